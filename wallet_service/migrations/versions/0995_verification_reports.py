"""stored verification reports of registered documents, answered again without verifying

Revision ID: 0995
Revises: 0970
"""
from alembic import op
import sqlalchemy as sa

revision = '0995'
down_revision = '0970'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'verification_reports',
        sa.Column('sha256', sa.String(64), primary_key=True),
        sa.Column('policy_key', sa.String(64), primary_key=True),
        sa.Column('result_id', sa.String(36), sa.ForeignKey('results.id'), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('valid_until', sa.DateTime(timezone=True), nullable=False),
        sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index('ix_verification_reports_result_id', 'verification_reports', ['result_id'])


def downgrade():
    op.drop_table('verification_reports')
