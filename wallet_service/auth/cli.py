"""`wallet-service sessions end --official ID`: an administrator ends every session of an official
(a lost laptop, a departure); the official must log in again."""
from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from ..models import Official, db, utcnow
from ..results import audit


@click.group("sessions")
def sessions_group():
    """Login sessions of officials and citizens."""


@sessions_group.command("end")
@click.option("--official", "official_ref", required=True, help="The official's id or username.")
@with_appcontext
def sessions_end(official_ref: str):
    """End all sessions of one official: every session opened before now is refused from its next request."""
    query = select(Official).where(Official.username == official_ref)
    if official_ref.isascii() and official_ref.isdigit():
        query = select(Official).where((Official.id == int(official_ref)) | (Official.username == official_ref))
    found = db.session.scalars(query).all()
    if len(found) != 1:
        raise click.ClickException(f"no single official with id or username '{official_ref}' ({len(found)} found)")
    official = found[0]
    official.sessions_ended_at = utcnow()
    audit.record(db.session, "cli", "official.sessions_ended", official_id=official.id)
    db.session.commit()
    click.echo(f"sessions of official {official.id} ({official.full_name}) ended at {official.sessions_ended_at.isoformat()}")
