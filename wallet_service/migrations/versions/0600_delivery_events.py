"""delivery outbox: one row per (result, target, event), so an annulment is a message of its own

Revision ID: 0600
Revises: 0400
"""
from alembic import op
import sqlalchemy as sa


revision = '0600'
down_revision = '0400'
branch_labels = None
depends_on = None

# The initial schema left the unique constraint unnamed; SQLite's batch mode names reflected ones with this.
_NAMING = {"uq": "uq_%(table_name)s_%(column_0_N_name)s"}


def _old_unique_name(columns: str) -> str:
    if op.get_bind().dialect.name == "postgresql":
        return f"deliveries_{columns}_key"  # PostgreSQL's default name
    return "uq_deliveries_" + columns


def upgrade():
    with op.batch_alter_table('deliveries', naming_convention=_NAMING) as batch_op:
        batch_op.add_column(sa.Column('event', sa.String(length=16), nullable=False, server_default='signed'))
        batch_op.drop_constraint(_old_unique_name('result_id_target'), type_='unique')
        batch_op.create_unique_constraint('uq_deliveries_result_id_target_event', ['result_id', 'target', 'event'])


def downgrade():
    op.execute("DELETE FROM deliveries WHERE event <> 'signed'")
    with op.batch_alter_table('deliveries', naming_convention=_NAMING) as batch_op:
        batch_op.drop_constraint('uq_deliveries_result_id_target_event', type_='unique')
        batch_op.create_unique_constraint(_old_unique_name('result_id_target'), ['result_id', 'target'])
        batch_op.drop_column('event')
