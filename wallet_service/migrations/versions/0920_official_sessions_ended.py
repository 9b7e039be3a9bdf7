"""an administrator can end all of an official's sessions: those opened before this time are refused

Revision ID: 0920
Revises: 0900
"""
from alembic import op
import sqlalchemy as sa

revision = '0920'
down_revision = '0900'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('officials') as batch:
        batch.add_column(sa.Column('sessions_ended_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('officials') as batch:
        batch.drop_column('sessions_ended_at')
