"""signing journal: finished PDFs in the document store, prepared PDFs without their placeholder

A batch's final PDFs are the results' signed documents, which go to the document store anyway: writing
them there when the step finishes, and only their digest in the journal, spares the database a copy of
every signed PDF (about 40 % of the journal's bytes). A prepared PDF's signature placeholder (`<00...0>`,
11 to 20 KB) is left out of the stored copy and put back when it is read.

Revision ID: 1010
Revises: 1000
"""
from alembic import op
import sqlalchemy as sa

revision = '1010'
down_revision = '1000'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('signing_journal_entries', sa.Column('output_sha256', sa.String(64), nullable=True))
    op.add_column('signing_journal_entries', sa.Column('placeholder_omitted', sa.Boolean(), nullable=True))


def downgrade():
    op.drop_column('signing_journal_entries', 'placeholder_omitted')
    op.drop_column('signing_journal_entries', 'output_sha256')
