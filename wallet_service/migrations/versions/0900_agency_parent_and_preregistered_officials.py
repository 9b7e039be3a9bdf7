"""agencies may name a parent agency; an official registered by an administrator has no subject until
their first login

Revision ID: 0900
Revises: 0810
"""
from alembic import op
import sqlalchemy as sa

revision = '0900'
down_revision = '0810'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('agencies') as batch:
        batch.add_column(sa.Column('parent_id', sa.Integer(), nullable=True))
        batch.create_foreign_key('fk_agencies_parent_id', 'agencies', ['parent_id'], ['id'])
    with op.batch_alter_table('officials') as batch:
        batch.alter_column('subject', existing_type=sa.String(255), nullable=True)


def downgrade():
    with op.batch_alter_table('officials') as batch:
        batch.alter_column('subject', existing_type=sa.String(255), nullable=False)
    with op.batch_alter_table('agencies') as batch:
        batch.drop_constraint('fk_agencies_parent_id', type_='foreignkey')
        batch.drop_column('parent_id')
