"""Photo evidence: the photos (sha-256 names) an answer or an action item carries

Revision ID: 05885cfe5847
Revises: e9b4a5c6d7f8
Create Date: 2026-12-02 17:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '05885cfe5847'
down_revision = 'e9b4a5c6d7f8'
branch_labels = None
depends_on = None


def upgrade():
    for table in ('answers', 'action_items'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('photos', sa.JSON(), nullable=True))


def downgrade():
    for table in ('action_items', 'answers'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('photos')
