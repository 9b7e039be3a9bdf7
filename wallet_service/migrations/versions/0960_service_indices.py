"""service indices: dossier timing (received, due, delivered), citizens' ratings, indexes for the dashboard

Revision ID: 0960
Revises: 0950
"""
from alembic import op
import sqlalchemy as sa

revision = '0960'
down_revision = '0990'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('results') as batch:
        batch.add_column(sa.Column('received_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('due_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True))
    # The dashboard counts per agency over a time range: one index per time it ranges over, carrying
    # (PostgreSQL) the columns its counts read, so they are answered from the index alone.
    op.create_index('ix_results_agency_created', 'results', ['agency_id', 'created_at'],
                    postgresql_include=['procedure_code', 'procedure_name', 'status', 'due_at', 'delivered_at'])
    op.create_index('ix_results_agency_signed', 'results', ['agency_id', 'signed_at'],
                    postgresql_include=['procedure_code'])
    op.create_index('ix_results_agency_delivered', 'results', ['agency_id', 'delivered_at'],
                    postgresql_include=['procedure_code', 'created_at'])
    op.create_table(
        'ratings',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('result_id', sa.String(36), sa.ForeignKey('results.id'), nullable=False, unique=True),
        sa.Column('citizen_id', sa.Integer(), sa.ForeignKey('citizens.id'), nullable=False),
        sa.Column('agency_id', sa.Integer(), sa.ForeignKey('agencies.id'), nullable=False),
        sa.Column('stars', sa.Integer(), nullable=False),
        sa.Column('comment', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index('ix_ratings_agency_updated', 'ratings', ['agency_id', 'updated_at'], postgresql_include=['stars'])


def downgrade():
    op.drop_table('ratings')
    op.drop_index('ix_results_agency_delivered', 'results')
    op.drop_index('ix_results_agency_signed', 'results')
    op.drop_index('ix_results_agency_created', 'results')
    with op.batch_alter_table('results') as batch:
        batch.drop_column('delivered_at')
        batch.drop_column('due_at')
        batch.drop_column('received_at')
