"""Reviews: a district manager's comment on a round's plan, synced to the phones

Revision ID: b6e1d2f3a4c5
Revises: a5f0c1e2d3b4
Create Date: 2026-12-02 10:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b6e1d2f3a4c5'
down_revision = 'a5f0c1e2d3b4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('reviews',
    sa.Column('assessment_id', sa.String(length=36), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('reviewed', sa.Boolean(), nullable=False),
    sa.Column('reviewer', sa.String(length=254), nullable=False),
    sa.Column('reviewed_on', sa.String(length=10), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('facility_id', sa.Integer(), nullable=False),
    sa.Column('rev', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('clock', sa.JSON(), nullable=False),
    sa.Column('conflicts', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessments.id'], ),
    sa.ForeignKeyConstraint(['facility_id'], ['facilities.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reviews_assessment_id'), ['assessment_id'], unique=False)
        batch_op.create_index('ix_reviews_facility_seq', ['facility_id', 'seq'], unique=False)


def downgrade():
    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.drop_index('ix_reviews_facility_seq')
        batch_op.drop_index(batch_op.f('ix_reviews_assessment_id'))
    op.drop_table('reviews')
