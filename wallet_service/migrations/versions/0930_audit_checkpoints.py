"""audit chain checkpoints: the chain's head timestamped by the TSA, so truncation and rewriting show

Revision ID: 0930
Revises: 0920
"""
from alembic import op
import sqlalchemy as sa

revision = '0930'
down_revision = '0920'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'audit_checkpoints',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('head_hash', sa.String(64), nullable=False),
        sa.Column('stamped_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('token', sa.LargeBinary(), nullable=False),
    )


def downgrade():
    op.drop_table('audit_checkpoints')
