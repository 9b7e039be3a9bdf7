"""the signing journal moves into the database: any worker on any machine resumes any batch

Revision ID: 0940
Revises: 0930
"""
from alembic import op
import sqlalchemy as sa

revision = '0940'
down_revision = '0930'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'signing_journal_entries',
        sa.Column('batch_id', sa.String(36), sa.ForeignKey('signing_batches.id'), primary_key=True),
        sa.Column('step', sa.Integer(), primary_key=True),
        sa.Column('result_id', sa.String(36), primary_key=True),
        sa.Column('state', sa.String(16), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=True),
        sa.Column('prepared_pdf', sa.LargeBinary(), nullable=True),
        sa.Column('document_digest', sa.LargeBinary(), nullable=True),
        sa.Column('reserved_start', sa.Integer(), nullable=True),
        sa.Column('reserved_end', sa.Integer(), nullable=True),
        sa.Column('signed_attributes', sa.LargeBinary(), nullable=True),
        sa.Column('tbs_digest', sa.LargeBinary(), nullable=True),
        sa.Column('signature', sa.LargeBinary(), nullable=True),
        sa.Column('output_pdf', sa.LargeBinary(), nullable=True),
        sa.Column('error_code', sa.String(64), nullable=True),
        sa.Column('error_message', sa.Text(), nullable=True),
    )


def downgrade():
    op.drop_table('signing_journal_entries')
