"""presentation requests of the OpenID4VP verifier

Revision ID: 0990
Revises: 0950
"""
from alembic import op
import sqlalchemy as sa

revision = '0990'
down_revision = '0985'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'presentation_requests',
        sa.Column('id', sa.String(32), primary_key=True),
        sa.Column('secret_sha256', sa.String(64), nullable=False),
        sa.Column('state', sa.String(64), nullable=False, unique=True),
        sa.Column('nonce', sa.String(64), nullable=False),
        sa.Column('client_id', sa.String(300), nullable=False),
        sa.Column('asked', sa.JSON(), nullable=False),
        sa.Column('status', sa.String(16), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('request_fetched_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('report', sa.JSON(), nullable=True),
    )
    op.create_index('ix_presentation_requests_expires_at', 'presentation_requests', ['expires_at'])


def downgrade():
    op.drop_table('presentation_requests')
