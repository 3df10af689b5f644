"""Workshop groups keep what they walk (a ward or facility) and their modules

Revision ID: f1c2d3e4a5b6
Revises: 05885cfe5847
Create Date: 2026-12-02 18:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f1c2d3e4a5b6'
down_revision = '05885cfe5847'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('workshop_groups', schema=None) as batch_op:
        batch_op.add_column(sa.Column('walks', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('modules', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('workshop_groups', schema=None) as batch_op:
        batch_op.drop_column('modules')
        batch_op.drop_column('walks')
