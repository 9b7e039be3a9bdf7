"""credential issuer: offers, tokens, nonces, status lists, issued credentials

Revision ID: 0100
Revises: 0001
Create Date: 2026-11-23 11:21:05.338008
"""
from alembic import op
import sqlalchemy as sa


revision = '0100'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('credential_nonces',
    sa.Column('nonce_sha256', sa.String(length=64), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('nonce_sha256')
    )
    with op.batch_alter_table('credential_nonces', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_credential_nonces_expires_at'), ['expires_at'], unique=False)

    op.create_table('status_lists',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bits', sa.Integer(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('credential_offers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('result_id', sa.String(length=36), nullable=False),
    sa.Column('citizen_id', sa.Integer(), nullable=False),
    sa.Column('code_sha256', sa.String(length=64), nullable=False),
    sa.Column('tx_code_sha256', sa.String(length=64), nullable=False),
    sa.Column('tx_code_failures', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('redeemed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['citizen_id'], ['citizens.id'], ),
    sa.ForeignKeyConstraint(['result_id'], ['results.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code_sha256')
    )
    with op.batch_alter_table('credential_offers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_credential_offers_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_credential_offers_result_id'), ['result_id'], unique=False)

    op.create_table('credential_access_tokens',
    sa.Column('token_sha256', sa.String(length=64), nullable=False),
    sa.Column('offer_id', sa.Integer(), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['offer_id'], ['credential_offers.id'], ),
    sa.PrimaryKeyConstraint('token_sha256')
    )
    with op.batch_alter_table('credential_access_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_credential_access_tokens_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_credential_access_tokens_offer_id'), ['offer_id'], unique=False)

    op.create_table('issued_credentials',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('result_id', sa.String(length=36), nullable=False),
    sa.Column('offer_id', sa.Integer(), nullable=False),
    sa.Column('status_list_id', sa.Integer(), nullable=False),
    sa.Column('status_index', sa.Integer(), nullable=False),
    sa.Column('notification_id', sa.String(length=64), nullable=False),
    sa.Column('holder_key_thumbprint', sa.String(length=64), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('notification_event', sa.String(length=32), nullable=True),
    sa.Column('notified_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['offer_id'], ['credential_offers.id'], ),
    sa.ForeignKeyConstraint(['result_id'], ['results.id'], ),
    sa.ForeignKeyConstraint(['status_list_id'], ['status_lists.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('notification_id'),
    sa.UniqueConstraint('status_list_id', 'status_index')
    )
    with op.batch_alter_table('issued_credentials', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_issued_credentials_offer_id'), ['offer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_issued_credentials_result_id'), ['result_id'], unique=False)



def downgrade():
    with op.batch_alter_table('issued_credentials', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_issued_credentials_result_id'))
        batch_op.drop_index(batch_op.f('ix_issued_credentials_offer_id'))

    op.drop_table('issued_credentials')
    with op.batch_alter_table('credential_access_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_credential_access_tokens_offer_id'))
        batch_op.drop_index(batch_op.f('ix_credential_access_tokens_expires_at'))

    op.drop_table('credential_access_tokens')
    with op.batch_alter_table('credential_offers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_credential_offers_result_id'))
        batch_op.drop_index(batch_op.f('ix_credential_offers_expires_at'))

    op.drop_table('credential_offers')
    op.drop_table('status_lists')
    with op.batch_alter_table('credential_nonces', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_credential_nonces_expires_at'))

    op.drop_table('credential_nonces')
