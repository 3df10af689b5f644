"""Workshop rounds: a round's module subset, and workshop groups

Revision ID: e9b4a5c6d7f8
Revises: a5f0c1e2d3b4
Create Date: 2026-12-02 10:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e9b4a5c6d7f8'
down_revision = 'd8a3f4b5c6e7'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('assessments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('modules', sa.JSON(), nullable=True))
    op.create_table(
        'workshop_groups',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('workshop_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('token_ids', sa.JSON(), nullable=False),
        sa.Column('assessment_id', sa.String(length=36), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['workshop_id'], ['workshops.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('workshop_groups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_workshop_groups_workshop_id'), ['workshop_id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('workshop_groups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_workshop_groups_workshop_id'))
    op.drop_table('workshop_groups')
    with op.batch_alter_table('assessments', schema=None) as batch_op:
        batch_op.drop_column('modules')
