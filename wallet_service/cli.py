"""The `wallet-service` command (also `flask --app wsgi ...`): init, run, clients, sign, agent, dev, audit."""
from __future__ import annotations

import datetime as dt
import os
import uuid
from pathlib import Path

import click
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from . import create_app
from .models import db
from .platform import database
from .platform.config import ConfigError
from .platform.startup import quiet_library_warnings
from .results import audit, audit_anchor
from .services import services


def _settings():
    return services().settings


def _app_or_one_line():
    """The app; a configuration it cannot start with is one line ("Error: ..."), not a traceback."""
    quiet_library_warnings()
    try:
        return create_app()
    except ConfigError as exc:
        raise click.ClickException(f"configuration: {exc}") from None


@click.group(cls=FlaskGroup, create_app=_app_or_one_line)
def main():
    """wallet-service: sign results of administrative procedures and deliver them into wallets."""


@main.command("init")
@with_appcontext
def init_command():
    """Create or upgrade the database; in development also the PKI and the demo data. Idempotent."""
    settings = _settings()
    database.upgrade(current_app)
    click.echo(f"database ready: {db.engine.url.render_as_string(hide_password=True)}")
    if settings.is_production:
        return
    from .dev import demo  # development only

    for step in services().init_steps:
        click.echo(step(current_app))
    added = demo.load(
        db.session,
        services().documents,
        official_issuer=services().official_issuer or settings.public_base_url,
        max_bytes=settings.max_document_bytes,
    )
    click.echo(f"demo data ready ({added} new pending results)")


@main.group("clients")
def clients():
    """Case systems allowed to post results."""


def _client_key_path(name: str) -> Path:
    return _settings().clients_dir / f"{name}.key.pem"


@clients.command("add")
@click.argument("name")
@click.option("--agency", "agencies", multiple=True, help="Agency code it may submit for (repeat); default: all.")
@click.option("--public-key", type=click.File("rb"), help="The client's own PEM public key (production).")
@with_appcontext
def clients_add(name: str, agencies: tuple[str, ...], public_key):
    """Register a client. Without --public-key a P-256 key pair is made and the private key is kept
    in a file under the instance folder (development); the database gets only the public key."""
    from .admin.cli import actor, one_line_errors
    from .admin.clients import add_client, read_public_key

    with one_line_errors():
        if public_key is not None:
            public_pem, where, key = read_public_key(public_key.read()), "the client keeps its private key", None
        else:
            key = ec.generate_private_key(ec.SECP256R1())
            public_pem = key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
            where = f"private key: {_client_key_path(name)}"
        client = add_client(db.session, actor(), name, agencies, public_pem)
    if key is not None:  # written once the client exists, so a refused name leaves no key file behind
        path = _client_key_path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                        serialization.NoEncryption()))
    click.echo(f"client '{name}' may submit for {', '.join(client.agency_codes)}; key {client.keys[0].kid}; {where}")


def make_assertion(private_key, client_name: str, audience: str, lifetime: int) -> str:
    now = int(dt.datetime.now(dt.timezone.utc).timestamp())
    claims = {"iss": client_name, "sub": client_name, "aud": audience, "iat": now, "exp": now + lifetime, "jti": str(uuid.uuid4())}
    return jwt.encode(claims, private_key, algorithm="ES256")


@clients.command("token")
@click.argument("name")
@click.option("--lifetime", default=120, show_default=True, help="Seconds (at most 300).")
@with_appcontext
def clients_token(name: str, lifetime: int):
    """Print a fresh bearer assertion for a development client (one per request)."""
    path = _client_key_path(name)
    if not path.exists():
        raise click.ClickException(f"no private key for '{name}' at {path} (was it added with --public-key?)")
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    click.echo(make_assertion(key, name, _settings().service_audience, lifetime))


@main.command("sign")
@click.argument("in_path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--output", "out_path", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--level", default=None, help="B-B, B-T, B-LT or B-LTA (default: SIGNATURE_LEVEL).")
@click.option("--key", "key_name", help="A configured key: an official's key reference (username) or an agency code.")
@click.option("--pkcs12", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="Sign with this PKCS#12 file instead.")
@click.option("--passphrase-env", default="PKCS12_PASSPHRASE", show_default=True,
              help="Environment variable holding the PKCS#12 passphrase (never typed on the command line).")
@click.option("--stamp/--no-stamp", default=False, help="Draw the visible Vietnamese stamp (signer's name and organisation).")
@click.option("--field", "field_name", default="Signature1", show_default=True,
              help="Signature field to sign in; another name adds a signature to a PDF signed before.")
@with_appcontext
def sign_command(in_path: Path, out_path: Path, level, key_name, pkcs12, passphrase_env, stamp, field_name):
    """Sign one PDF (operators): PAdES at the given level, timestamped by the configured TSA."""
    from adapters.keys.pkcs12 import Pkcs12KeySource
    from signing.errors import SigningError
    from signing.operator import sign_file
    from signing.stamp import StampText

    from .keys.directory import key_directory
    from .keys.errors import KeyUnavailable

    if bool(key_name) == bool(pkcs12):
        raise click.UsageError("give exactly one of --key NAME or --pkcs12 FILE")
    settings = _settings()
    try:
        keys = key_directory(current_app)
        if pkcs12:
            # A secret named on the command line (PKCS12_PASSPHRASE by default), not a setting.
            passphrase = os.environ.get(passphrase_env)
            key_source = Pkcs12KeySource.from_file(pkcs12, passphrase.encode() if passphrase else None)
        else:
            key_source = _configured_key(keys, key_name)
        subject = key_source.identity().certificate.subject.native
        stamp_text = StampText(subject.get("common_name", ""), subject.get("organization_name", "")) if stamp else None
        signed = sign_file(in_path, out_path, level or settings.signature_level, key_source,
                           tsa_url=keys.trust_services.tsa_url, stamp=stamp_text, field_name=field_name)
    except (SigningError, KeyUnavailable) as exc:
        raise click.ClickException(f"{exc.code}: {exc}") from None
    click.echo(f"signed {signed.out_path} ({signed.size} bytes) by {signed.signer.common_name}, {signed.signer.level.value}")


def _configured_key(keys, name: str):
    """An official's key reference or an agency code: KEYS_CONFIG keeps the two apart, the CLI does not."""
    from .keys.errors import KeyUnavailable

    try:
        return keys.official_key(name)
    except KeyUnavailable as as_official:
        try:
            return keys.agency_key(name)
        except KeyUnavailable as as_agency:
            raise KeyUnavailable(" ".join(dict.fromkeys([as_official.message, as_agency.message]))) from None


@main.group("dev")
def dev_group():
    """Development helpers (refused in production)."""


@dev_group.command("otp")
@click.argument("name")
@with_appcontext
def dev_otp(name: str):
    """Print the current one-time code of demo official NAME's credential at the development
    remote-signing service (what the official's authenticator app would show)."""
    if _settings().is_production:
        raise click.ClickException("`wallet-service dev otp` is refused when WALLET_ENV=production: "
                                   "one-time codes come from the official's own authenticator.")
    from .dev import csc  # development only
    from .dev.csc.holders import HolderSecretsMissing

    if name not in csc.credential_ids():
        raise click.ClickException(f"no demo official '{name}' (known: {', '.join(csc.credential_ids())})")
    try:
        known = csc.load_secrets(Path(current_app.instance_path))
        click.echo(known.totp(name).now())
    except HolderSecretsMissing as exc:
        raise click.ClickException(str(exc)) from None


@main.command("agent", with_appcontext=False)
@click.option("--module", "module_path", required=True, help="The token's PKCS#11 library (.so / .dll).")
@click.option("--token", "token_label", required=True, help="Token label.")
@click.option("--key", "key_label", required=True, help="Label of the official's key and certificate.")
@click.option("--origin", required=True, help="The signing service's origin, exactly (https://host[:port]).")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(0, 65535), help="Loopback port (0: any free one).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Bind address; only 127.0.0.1 is accepted.")
@click.option("--confirm", is_flag=True, help="Ask on this terminal before each signing.")
@click.option("--pin-stdin", is_flag=True, help="Read the PIN from the first line of stdin instead of a prompt (scripts).")
def agent_command(module_path, token_label, key_label, origin, port, host, confirm, pin_stdin):
    """Token-signing agent for an official's PC: the PIN is typed here and stays here; only the
    service's page (--origin) may ask it to sign. Needs no database."""
    from adapters.agent import AgentConfig, AgentStartError, run
    from adapters.agent.token import TokenOptions

    config = AgentConfig(TokenOptions(module_path, token_label, key_label), origin=origin, port=port,
                         host=host, confirm=confirm, pin_from_stdin=pin_stdin)
    try:
        run(config)
    except AgentStartError as exc:
        raise click.ClickException(str(exc)) from None


@main.group("audit")
def audit_group():
    """The tamper-evident audit trail."""


@audit_group.command("checkpoint")
@with_appcontext
def audit_checkpoint():
    """Timestamp the audit chain's head now (what the periodic round does)."""
    checkpoint = audit_anchor.checkpoint_now(current_app)
    click.echo(f"checkpoint at event {checkpoint.event_id}, {checkpoint.stamped_at.isoformat()}" if checkpoint
               else "nothing new to anchor (or no timestamp authority configured)")


@audit_group.command("verify")
@with_appcontext
def audit_verify():
    """Check the hash chain of audit events and its timestamped checkpoints; exit 1 naming each
    broken event, truncation, rewriting or missing recent checkpoint."""
    problems = audit.verify_chain(db.session) + audit_anchor.verify_app_checkpoints(current_app)
    for problem in problems:
        click.echo(f"event {problem.event_id}: {problem.message}", err=True)
    if problems:
        raise SystemExit(1)
    click.echo("audit chain intact")


quiet_library_warnings()  # the commands below import pyhanko, whose import warns
from .verify.cli import verify_command; main.add_command(verify_command)  # noqa: E402,E702  (one line: wallet_service/verify)
from .offline.cli import verify_qr_command; main.add_command(verify_qr_command)  # noqa: E402,E702  (one line: wallet_service/offline)
from .admin.cli import register as register_admin; register_admin(main)  # noqa: E402,E702  (one line: wallet_service/admin)
from .auth.cli import sessions_group; main.add_command(sessions_group)  # noqa: E402,E702  (one line: wallet_service/auth)
from .archive.cli import archive_group; main.add_command(archive_group)  # noqa: E402,E702  (one line: wallet_service/archive)
from .keys.cli import keys_group; main.add_command(keys_group)  # noqa: E402,E702  (one line: wallet_service/keys)
