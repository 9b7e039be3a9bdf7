"""client keys: several public keys per case system, so a key can be changed with two valid at once

Revision ID: 0970
Revises: 0950
"""
import base64
import datetime as dt
import hashlib
import json

from alembic import op
import sqlalchemy as sa
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from jwt.algorithms import get_default_algorithms

revision = '0970'
down_revision = '0960'
branch_labels = None
depends_on = None


def _thumbprint(pem: str) -> str:
    """RFC 7638, computed here rather than imported so the migration never changes with the code."""
    key = load_pem_public_key(pem.encode())
    for name in ("ES256", "RS256", "EdDSA"):
        algorithm = get_default_algorithms()[name]
        try:
            jwk = json.loads(algorithm.to_jwk(key))
        except Exception:  # not this key type
            continue
        members = {k: jwk[k] for k in ("crv", "e", "kty", "n", "x", "y") if k in jwk}
        digest = hashlib.sha256(json.dumps(members, separators=(",", ":"), sort_keys=True).encode()).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    raise ValueError("unsupported client key type")


def upgrade():
    keys = op.create_table(
        'api_client_keys',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('client_id', sa.Integer(), sa.ForeignKey('api_clients.id'), nullable=False),
        sa.Column('kid', sa.String(64), nullable=False),
        sa.Column('public_key_pem', sa.Text(), nullable=False),
        sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint('client_id', 'kid'),
    )
    op.create_index('ix_api_client_keys_client_id', 'api_client_keys', ['client_id'])
    connection = op.get_bind()
    rows = connection.execute(sa.text('SELECT id, public_key_pem FROM api_clients')).all()
    now = dt.datetime.now(dt.timezone.utc)
    if rows:
        op.bulk_insert(keys, [{'client_id': row.id, 'kid': _thumbprint(row.public_key_pem),
                               'public_key_pem': row.public_key_pem, 'added_at': now} for row in rows])
    with op.batch_alter_table('api_clients') as batch:
        batch.drop_column('public_key_pem')


def downgrade():
    with op.batch_alter_table('api_clients') as batch:
        batch.add_column(sa.Column('public_key_pem', sa.Text(), nullable=True))
    op.execute('UPDATE api_clients SET public_key_pem = (SELECT k.public_key_pem FROM api_client_keys k '
               'WHERE k.client_id = api_clients.id AND k.retired_at IS NULL ORDER BY k.id DESC LIMIT 1)')
    op.drop_index('ix_api_client_keys_client_id', 'api_client_keys')
    op.drop_table('api_client_keys')
