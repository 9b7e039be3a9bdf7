"""signing batches wait for their official's own authorisation (PIN and one-time code, or token agent)

Revision ID: 0800
Revises: 0700
"""
from alembic import op
import sqlalchemy as sa

revision = '0800'
down_revision = '0700'
branch_labels = None
depends_on = None

_TIMES = ('authorise_by', 'prepared_at', 'authorised_at')


def upgrade():
    with op.batch_alter_table('signing_batches') as batch:
        batch.alter_column('status', type_=sa.String(32), existing_type=sa.String(16))
        batch.add_column(sa.Column('authorisation', sa.String(16), nullable=True))
        for name in _TIMES:
            batch.add_column(sa.Column(name, sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('agent_nonce', sa.String(64), nullable=True))
        batch.add_column(sa.Column('note', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('signing_batches') as batch:
        for name in ('note', 'agent_nonce', *_TIMES, 'authorisation'):
            batch.drop_column(name)
        batch.alter_column('status', type_=sa.String(16), existing_type=sa.String(32))
