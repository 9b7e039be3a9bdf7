"""archive renewal: each result's proof facts, and the document versions a renewal replaced

Revision ID: 0950
Revises: 0940
"""
from alembic import op
import sqlalchemy as sa

revision = '0950'
down_revision = '0940'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'archive_proofs',
        sa.Column('result_id', sa.String(36), sa.ForeignKey('results.id'), primary_key=True),
        sa.Column('document_sha256', sa.String(64), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('proof_time', sa.DateTime(timezone=True), nullable=True),
        sa.Column('algorithms', sa.String(255), nullable=False),
        sa.Column('renewals', sa.Integer(), nullable=False),
        sa.Column('checked_at', sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index('ix_archive_proofs_expires_at', 'archive_proofs', ['expires_at'])
    op.create_table(
        'result_versions',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('result_id', sa.String(36), sa.ForeignKey('results.id'), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('sha256', sa.String(64), nullable=False, unique=True),
        sa.Column('superseded_by', sa.String(64), nullable=False),
        sa.Column('superseded_at', sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index('ix_result_versions_result_id', 'result_versions', ['result_id'])


def downgrade():
    op.drop_table('result_versions')
    op.drop_table('archive_proofs')
