"""signing journal PDFs stored without PostgreSQL's compression

A signed PDF's streams are compressed already: PostgreSQL's attempt to compress each journal PDF
again (pglz, on every write) cost CPU for nothing. EXTERNAL keeps them out of line, uncompressed.

Revision ID: 1000
Revises: 0975
"""
from alembic import op

revision = '1000'
down_revision = '0975'
branch_labels = None
depends_on = None

_COLUMNS = ('prepared_pdf', 'output_pdf')


def _set_storage(storage: str) -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return  # SQLite has no storage modes
    for column in _COLUMNS:
        op.execute(f'ALTER TABLE signing_journal_entries ALTER COLUMN {column} SET STORAGE {storage}')


def upgrade():
    _set_storage('EXTERNAL')


def downgrade():
    _set_storage('EXTENDED')
