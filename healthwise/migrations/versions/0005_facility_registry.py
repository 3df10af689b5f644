"""Facility registry: codes and DHIS2 ids of districts and facilities, facility types

Revision ID: a5f0c1e2d3b4
Revises: 4d1e2f3a5b60
Create Date: 2026-12-02 06:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a5f0c1e2d3b4'
down_revision = '4d1e2f3a5b60'
branch_labels = None
depends_on = None

KINDS = ('hospital', 'health centre', 'clinic', 'dispensary', 'other')


def upgrade():
    for table in ('districts', 'facilities'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('code', sa.String(length=50), nullable=True))
            batch_op.add_column(sa.Column('external_id', sa.String(length=50), nullable=True))
            batch_op.add_column(sa.Column('updated_at', sa.DateTime(), nullable=True))
        op.execute(f'UPDATE {table} SET updated_at = created_at')
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('updated_at', existing_type=sa.DateTime(), nullable=False)
            batch_op.create_unique_constraint(f'uq_{table}_external_id', ['external_id'])
    with op.batch_alter_table('districts', schema=None) as batch_op:
        batch_op.create_unique_constraint('uq_districts_code', ['code'])
    with op.batch_alter_table('facilities', schema=None) as batch_op:
        batch_op.create_unique_constraint('uq_facilities_district_code', ['district_id', 'code'])
    # A district facility's type is one of the fixed set from now on.
    kinds = ', '.join(f"'{kind}'" for kind in KINDS)
    op.execute("UPDATE facilities SET kind = 'other' "
               f"WHERE district_id IS NOT NULL AND kind NOT IN ({kinds})")


def downgrade():
    with op.batch_alter_table('facilities', schema=None) as batch_op:
        batch_op.drop_constraint('uq_facilities_district_code', type_='unique')
    with op.batch_alter_table('districts', schema=None) as batch_op:
        batch_op.drop_constraint('uq_districts_code', type_='unique')
    for table in ('facilities', 'districts'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f'uq_{table}_external_id', type_='unique')
            batch_op.drop_column('updated_at')
            batch_op.drop_column('external_id')
            batch_op.drop_column('code')
