"""signing batches are claimed with a lease and a fencing attempt number

Revision ID: 0700
Revises: 0600
"""
from alembic import op
import sqlalchemy as sa

revision = '0700'
down_revision = '0600'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('signing_batches') as batch:
        batch.add_column(sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('attempt', sa.Integer(), nullable=False, server_default='0'))
        batch.create_index('ix_signing_batches_status', ['status'])


def downgrade():
    with op.batch_alter_table('signing_batches') as batch:
        batch.drop_index('ix_signing_batches_status')
        batch.drop_column('attempt')
        batch.drop_column('lease_until')
