"""signing journal: a step's prepared PDF stored as what it appends to the previous step's output

The next step's prepared PDF begins with this step's output, which is this step's prepared PDF (kept in
its row) with the signature's contents written into the placeholder. Those contents (a few KB of DER) and
the appended bytes are stored instead of the whole file: about half the journal's PDF bytes per result.
Stored uncompressed, as the PDFs are (1000): DER certificates and signatures do not compress.

Revision ID: 1020
Revises: 1010
"""
from alembic import op
import sqlalchemy as sa

revision = '1020'
down_revision = '1010'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('signing_journal_entries', sa.Column('prior_contents', sa.LargeBinary(), nullable=True))
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ALTER TABLE signing_journal_entries ALTER COLUMN prior_contents SET STORAGE EXTERNAL')


def downgrade():
    extended = op.get_bind().scalar(
        sa.text('SELECT count(*) FROM signing_journal_entries WHERE prior_contents IS NOT NULL'))
    if extended:  # their prepared PDFs cannot be read without the column
        raise RuntimeError(f'{extended} journal rows hold their prepared PDF as an extension: finish or '
                           'discard the running batches before downgrading.')
    op.drop_column('signing_journal_entries', 'prior_contents')
