"""a dossier can be returned to its case system with a reason instead of being signed

Revision ID: 0810
Revises: 0800
"""
from alembic import op
import sqlalchemy as sa

revision = '0810'
down_revision = '0800'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('results') as batch:
        batch.add_column(sa.Column('returned_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('return_reason', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('results') as batch:
        batch.drop_column('return_reason')
        batch.drop_column('returned_at')
