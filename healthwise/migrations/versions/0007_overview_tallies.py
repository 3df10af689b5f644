"""Round tallies: each round's answers counted by checkpoint, for the district overview

Revision ID: c7f2e3a4b5d6
Revises: a5f0c1e2d3b4
Create Date: 2026-12-02 10:20:00

"""
from alembic import op
import sqlalchemy as sa

from healthwise.assessments.tallies import counting_query, fold


# revision identifiers, used by Alembic.
revision = 'c7f2e3a4b5d6'
down_revision = 'b6e1d2f3a4c5'
branch_labels = None
depends_on = None


def upgrade():
    tallies = op.create_table(
        'round_tallies',
        sa.Column('assessment_id', sa.String(length=36), nullable=False),
        sa.Column('answers', sa.Integer(), nullable=False),
        sa.Column('counts', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['assessment_id'], ['assessments.id'], ),
        sa.PrimaryKeyConstraint('assessment_id'),
    )
    # Count the answers there are, as `healthwise districts recount` would: the table
    # as it is at this revision (the query and the folding are pure, and shared).
    answers = sa.table('answers', sa.column('assessment_id', sa.String),
                       sa.column('checkpoint_id', sa.String),
                       sa.column('action', sa.String), sa.column('priority', sa.Boolean))
    found = fold(op.get_bind().execute(counting_query(answers)))
    rows = [{'assessment_id': assessment_id, 'answers': n, 'counts': counts}
            for assessment_id, (n, counts) in found.items()]
    for start in range(0, len(rows), 5000):
        op.bulk_insert(tallies, rows[start:start + 5000])


def downgrade():
    op.drop_table('round_tallies')
