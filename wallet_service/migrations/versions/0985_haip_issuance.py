"""high-assurance issuance: DPoP-bound tokens, used proof jtis, pushed authorization requests,
issuer_state of offers, batch notifications

Revision ID: 0985
Revises: 0950
"""
from alembic import op
import sqlalchemy as sa

revision = '0985'
down_revision = '0950'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('credential_offers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('issuer_state_sha256', sa.String(64), nullable=True))
        batch_op.create_unique_constraint('uq_credential_offers_issuer_state_sha256', ['issuer_state_sha256'])
    with op.batch_alter_table('credential_access_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('dpop_jkt', sa.String(64), nullable=True))
    with op.batch_alter_table('issued_credentials', schema=None) as batch_op:
        batch_op.add_column(sa.Column('batch_notification_id', sa.String(64), nullable=True))
        batch_op.create_index('ix_issued_credentials_batch_notification_id', ['batch_notification_id'])
    op.create_table(
        'issuer_used_jtis',
        sa.Column('jti_sha256', sa.String(64), primary_key=True),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index('ix_issuer_used_jtis_expires_at', 'issuer_used_jtis', ['expires_at'])
    op.create_table(
        'credential_authorization_requests',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('request_uri_sha256', sa.String(64), nullable=False, unique=True),
        sa.Column('client_id', sa.String(255), nullable=False),
        sa.Column('redirect_uri', sa.String(2000), nullable=False),
        sa.Column('code_challenge', sa.String(128), nullable=False),
        sa.Column('state', sa.String(512), nullable=True),
        sa.Column('offer_id', sa.Integer(), sa.ForeignKey('credential_offers.id'), nullable=True),
        sa.Column('dpop_jkt', sa.String(64), nullable=True),
        sa.Column('code_sha256', sa.String(64), nullable=True, unique=True),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index('ix_credential_authorization_requests_expires_at', 'credential_authorization_requests', ['expires_at'])


def downgrade():
    op.drop_table('credential_authorization_requests')
    op.drop_table('issuer_used_jtis')
    with op.batch_alter_table('issued_credentials', schema=None) as batch_op:
        batch_op.drop_index('ix_issued_credentials_batch_notification_id')
        batch_op.drop_column('batch_notification_id')
    with op.batch_alter_table('credential_access_tokens', schema=None) as batch_op:
        batch_op.drop_column('dpop_jkt')
    with op.batch_alter_table('credential_offers', schema=None) as batch_op:
        batch_op.drop_constraint('uq_credential_offers_issuer_state_sha256', type_='unique')
        batch_op.drop_column('issuer_state_sha256')
