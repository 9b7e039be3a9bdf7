"""drop four indexes whose column leads another index of the same table

Each was written on every insert and on every update that moved the row (a result's row is rewritten
at each status; a delivery's at its claim and when sent) and no query needs it: `results.agency_id`
leads the dashboard's three (agency_id, time) indexes; `deliveries.result_id`,
`result_signatures.result_id` and `signing_batch_items.batch_id` lead their table's unique constraint.

Revision ID: 1030
Revises: 1020
"""
from alembic import op

revision = '1030'
down_revision = '1020'
branch_labels = None
depends_on = None

# (table, column) of each index dropped, named as SQLAlchemy named them (`ix_<table>_<column>`)
COVERED = (
    ('results', 'agency_id'),
    ('deliveries', 'result_id'),
    ('result_signatures', 'result_id'),
    ('signing_batch_items', 'batch_id'),
)


def upgrade():
    for table, column in COVERED:
        op.drop_index(f'ix_{table}_{column}', table_name=table)


def downgrade():
    for table, column in COVERED:
        op.create_index(f'ix_{table}_{column}', table, [column], unique=False)
