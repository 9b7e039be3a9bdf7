"""officials' signature images, agencies' seal images, results' accent-free search text, citizens'
e-mail address and phone number for arrival notices

Revision ID: 0975
Revises: 0995
"""
import unicodedata

from alembic import op
import sqlalchemy as sa

revision = '0975'
down_revision = '0980'
branch_labels = None
depends_on = None


def _fold(text):
    """As wallet_service.results.formats.fold at this revision (a migration never imports app code)."""
    text = unicodedata.normalize("NFD", (text or "").replace("đ", "d").replace("Đ", "D"))
    return " ".join("".join(c for c in text if unicodedata.category(c) != "Mn").lower().split())


def upgrade():
    op.add_column('officials', sa.Column('signature_image_sha256', sa.String(64), nullable=True))
    op.add_column('agencies', sa.Column('seal_image_sha256', sa.String(64), nullable=True))
    op.add_column('results', sa.Column('search_text', sa.Text(), nullable=True))
    op.add_column('citizens', sa.Column('email', sa.String(254), nullable=True))
    op.add_column('citizens', sa.Column('phone', sa.String(32), nullable=True))
    results = sa.table('results', sa.column('id', sa.String), sa.column('title', sa.String),
                       sa.column('citizen_name', sa.String), sa.column('procedure_name', sa.String),
                       sa.column('search_text', sa.Text))
    connection = op.get_bind()
    rows = connection.execute(sa.select(results.c.id, results.c.title, results.c.citizen_name,
                                        results.c.procedure_name)).all()
    for row in rows:
        connection.execute(results.update().where(results.c.id == row.id).values(
            search_text=_fold(" ".join((row.title, row.citizen_name, row.procedure_name)))))


def downgrade():
    op.drop_column('citizens', 'phone')
    op.drop_column('citizens', 'email')
    op.drop_column('results', 'search_text')
    op.drop_column('agencies', 'seal_image_sha256')
    op.drop_column('officials', 'signature_image_sha256')
