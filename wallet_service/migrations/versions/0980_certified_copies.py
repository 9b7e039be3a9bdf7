"""certified copies: a result's kind, a client's kind, the copies' data and the citizens' shares

Revision ID: 0980
Revises: 0995
"""
from alembic import op
import sqlalchemy as sa

revision = '0980'
down_revision = '0995'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('results') as table:
        table.add_column(sa.Column('kind', sa.String(32), nullable=False, server_default='result'))
    with op.batch_alter_table('api_clients') as table:
        table.add_column(sa.Column('kind', sa.String(16), nullable=False, server_default='case_system'))
    op.create_table(
        'certified_copies',
        sa.Column('result_id', sa.String(36), sa.ForeignKey('results.id'), primary_key=True),
        sa.Column('agency_id', sa.Integer(), sa.ForeignKey('agencies.id'), nullable=False),
        sa.Column('document_type', sa.String(32), nullable=False),
        sa.Column('station_client_id', sa.Integer(), sa.ForeignKey('api_clients.id'), nullable=False),
        sa.Column('scan_sha256', sa.String(64), nullable=False),
        sa.Column('page_count', sa.Integer(), nullable=False),
        sa.Column('text_layer', sa.Boolean(), nullable=False),
        sa.Column('original_number', sa.String(64), nullable=True),
        sa.Column('issued_by', sa.String(255), nullable=True),
        sa.Column('extracted', sa.JSON(), nullable=False),
        sa.Column('confirmed', sa.JSON(), nullable=True),
        sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('certified_by_id', sa.Integer(), sa.ForeignKey('officials.id'), nullable=True),
        sa.Column('certification_year', sa.Integer(), nullable=True),
        sa.Column('certification_number', sa.Integer(), nullable=True),
        sa.Column('book_number', sa.String(32), nullable=True),
        sa.UniqueConstraint('agency_id', 'certification_year', 'certification_number'),
    )
    op.create_index('ix_certified_copies_agency_id', 'certified_copies', ['agency_id'])
    op.create_table(
        'copy_shares',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('result_id', sa.String(36), sa.ForeignKey('results.id'), nullable=False),
        sa.Column('agency_id', sa.Integer(), sa.ForeignKey('agencies.id'), nullable=False),
        sa.Column('valid_until', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index('ix_copy_shares_result_id', 'copy_shares', ['result_id'])


def downgrade():
    op.drop_table('copy_shares')
    op.drop_table('certified_copies')
    with op.batch_alter_table('api_clients') as table:
        table.drop_column('kind')
    with op.batch_alter_table('results') as table:
        table.drop_column('kind')
