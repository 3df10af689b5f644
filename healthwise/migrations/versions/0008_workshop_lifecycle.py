"""Workshop lifecycle: closing and resetting workshops; join codes shown again

Revision ID: d8a3f4b5c6e7
Revises: a5f0c1e2d3b4
Create Date: 2026-12-02 10:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd8a3f4b5c6e7'
down_revision = 'c7f2e3a4b5d6'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('workshops', schema=None) as batch_op:
        batch_op.add_column(sa.Column('closed_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('reset_at', sa.DateTime(), nullable=True))
    with op.batch_alter_table('enrolment_codes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('code', sa.String(length=9), nullable=True))


def downgrade():
    with op.batch_alter_table('enrolment_codes', schema=None) as batch_op:
        batch_op.drop_column('code')
    with op.batch_alter_table('workshops', schema=None) as batch_op:
        batch_op.drop_column('reset_at')
        batch_op.drop_column('closed_at')
