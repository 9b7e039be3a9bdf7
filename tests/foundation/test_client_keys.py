"""A case system changes its key without a pause: `clients add --public-key`, then `clients keys add`
(both keys valid), then `clients keys retire` (the old one refused), each step through the command an
operator types, each assertion through the API a case system calls."""
from __future__ import annotations

import time
import uuid

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from sqlalchemy import select

from wallet_service.admin.clients import thumbprint
from wallet_service.cli import main
from wallet_service.models import AuditEvent, db
from wallet_service.services import services

WARD = "000.00.15.H40"


def run(app, *args):
    return app.test_cli_runner().invoke(main, list(args))


def public_pem_file(key, folder, name: str):
    path = folder / f"{name}.pub.pem"
    path.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                   serialization.PublicFormat.SubjectPublicKeyInfo))
    return path


def call(app, key, *, kid: str | None = None, algorithm: str = "ES256"):
    now = int(time.time())
    claims = {"iss": "mot-cua", "aud": services(app).settings.service_audience, "iat": now, "exp": now + 60,
              "jti": str(uuid.uuid4())}
    token = jwt.encode(claims, key, algorithm=algorithm, headers={"kid": kid} if kid else None)
    return app.test_client().get("/api/v1/agencies", headers={"Authorization": f"Bearer {token}"})


@pytest.fixture
def old_and_new(app, demo, tmp_path):
    """mot-cua registered with its old EC key; its new key is RSA (a change of key type too)."""
    old, new = ec.generate_private_key(ec.SECP256R1()), rsa.generate_private_key(65537, 2048)
    added = run(app, "clients", "add", "mot-cua", "--agency", WARD, "--public-key", str(public_pem_file(old, tmp_path, "old")))
    assert added.exit_code == 0, added.output
    return old, new


def kid_of(key) -> str:
    return thumbprint(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                    serialization.PublicFormat.SubjectPublicKeyInfo).decode())


def test_both_keys_are_valid_during_the_change_and_the_old_one_is_refused_after(app, old_and_new, tmp_path):
    old, new = old_and_new
    assert call(app, new, algorithm="RS256").status_code == 401
    added = run(app, "clients", "keys", "add", "mot-cua", "--public-key", str(public_pem_file(new, tmp_path, "new")))
    assert added.exit_code == 0, added.output
    assert kid_of(new) in added.output
    for key, algorithm in ((old, "ES256"), (new, "RS256")):  # without kid: any active key
        assert call(app, key, algorithm=algorithm).status_code == 200
    assert call(app, new, kid=kid_of(new), algorithm="RS256").status_code == 200
    assert call(app, old, kid=kid_of(old)).status_code == 200
    wrong_kid = call(app, old, kid=kid_of(new))  # the kid decides which key is tried
    assert wrong_kid.status_code == 401 and wrong_kid.json["error"] == "invalid_algorithm"

    listed = run(app, "clients", "keys", "list", "mot-cua").output.splitlines()
    assert [line.split()[0] for line in listed] == [kid_of(old), kid_of(new)]
    assert all(line.endswith("active") for line in listed)
    retired = run(app, "clients", "keys", "retire", "mot-cua", "--kid", kid_of(old))
    assert retired.exit_code == 0, retired.output

    refused = call(app, old)
    assert refused.status_code == 401 and refused.json["error"] == "invalid_algorithm"
    named = call(app, old, kid=kid_of(old))
    assert named.status_code == 401 and named.json["error"] == "unknown_key"
    assert call(app, new, algorithm="RS256").status_code == 200
    assert "retired" in run(app, "clients", "keys", "list", "mot-cua").output.splitlines()[0]
    events = [e.action for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert events[-3:] == ["client.added", "client.key_added", "client.key_retired"]


def test_a_second_key_of_the_same_type_is_tried_after_the_first(app, demo, old_and_new, tmp_path):
    old, _ = old_and_new
    newer = ec.generate_private_key(ec.SECP256R1())
    assert run(app, "clients", "keys", "add", "mot-cua", "--public-key", str(public_pem_file(newer, tmp_path, "n"))).exit_code == 0
    assert call(app, old).status_code == 200 and call(app, newer).status_code == 200
    stranger = call(app, ec.generate_private_key(ec.SECP256R1()))
    assert stranger.status_code == 401 and stranger.json["error"] == "invalid_signature"


@pytest.mark.parametrize("steps, message", [
    ((("keys", "retire", "mot-cua", "--kid", "OLD"),), "is the only active key of 'mot-cua': add its new key first"),
    ((("keys", "add", "mot-cua", "--public-key", "OLDFILE"),), "has this key already"),
    ((("keys", "add", "mot-cua", "--public-key", "NEWFILE"), ("keys", "add", "mot-cua", "--public-key", "THIRDFILE")),
     "has 2 active keys already; retire the old one first"),
    ((("keys", "add", "nobody", "--public-key", "NEWFILE"),), "no client 'nobody'"),
    ((("keys", "retire", "mot-cua", "--kid", "-no-such-kid"),), "has no active key -no-such-kid"),
    ((("keys", "add", "mot-cua", "--public-key", "NOTAKEY"),), "not a PEM public key"),
], ids=["last-key", "same-key", "third-key", "unknown-client", "unknown-kid", "not-a-key"])
def test_refusals_are_one_line_and_change_nothing(app, old_and_new, tmp_path, steps, message):
    old, new = old_and_new
    files = {"OLDFILE": public_pem_file(old, tmp_path, "o"), "NEWFILE": public_pem_file(new, tmp_path, "n"),
             "THIRDFILE": public_pem_file(ec.generate_private_key(ec.SECP256R1()), tmp_path, "t"),
             "NOTAKEY": tmp_path / "junk.pem"}
    files["NOTAKEY"].write_text("hello")
    *before, last = steps
    for step in before:
        assert run(app, "clients", *[str(files.get(a, a)) for a in step]).exit_code == 0
    keys_before = run(app, "clients", "keys", "list", "mot-cua").output
    refused = run(app, "clients", *[str(files.get(a, kid_of(old) if a == "OLD" else a)) for a in last])
    assert refused.exit_code == 1
    assert refused.output.startswith("Error: ") and message in refused.output and len(refused.output.splitlines()) == 1
    assert run(app, "clients", "keys", "list", "mot-cua").output == keys_before


def test_the_migration_keeps_each_registered_clients_key(tmp_path):
    """A client registered before keys had their own table still authenticates with its key."""
    import sqlalchemy as sa
    from alembic import command

    from wallet_service.platform.database import alembic_config

    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "0950")
        connection.execute(sa.text("INSERT INTO api_clients (name, public_key_pem, agency_codes, active, created_at) "
                                   "VALUES ('mot-cua', :pem, '[]', 1, '2026-01-01 00:00:00')"), {"pem": pem})
        command.upgrade(alembic_config(connection), "0970")
        rows = connection.execute(sa.text("SELECT kid, public_key_pem, retired_at FROM api_client_keys")).all()
    assert [tuple(row) for row in rows] == [(kid_of(key), pem, None)]
