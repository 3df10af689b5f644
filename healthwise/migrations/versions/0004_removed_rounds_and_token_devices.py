"""Rounds can be removed; tokens remember the phones they sync from

Revision ID: 4d1e2f3a5b60
Revises: cc80d0a8c041
Create Date: 2026-12-01 21:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '4d1e2f3a5b60'
down_revision = 'cc80d0a8c041'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('assessments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('removed', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    with op.batch_alter_table('device_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('device_ids', sa.JSON(), nullable=False,
                                      server_default='[]'))


def downgrade():
    with op.batch_alter_table('device_tokens', schema=None) as batch_op:
        batch_op.drop_column('device_ids')
    with op.batch_alter_table('assessments', schema=None) as batch_op:
        batch_op.drop_column('removed')
