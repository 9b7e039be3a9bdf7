"""`wallet-service keys check`: each configured key tried as signing will use it, one line per key."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from .check import check_all
from .errors import KeyUnavailable


@click.group("keys")
def keys_group():
    """The signing keys KEYS_CONFIG names."""


@keys_group.command("check")
@with_appcontext
def keys_check():
    """Open every key, sign a test digest (keys the service uses alone), build its chain to a trusted
    root, fetch its revocation status and reach the TSA; exit 1 when any key fails."""
    try:
        checks = check_all(current_app)
    except KeyUnavailable as exc:
        raise click.ClickException(exc.message) from None
    for check in checks:
        click.echo(check.line())
    if not checks:
        click.echo("no key is configured in KEYS_CONFIG")
    if any(not check.ok for check in checks):
        raise SystemExit(1)
