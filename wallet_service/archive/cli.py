"""`wallet-service archive renew|status`."""
from __future__ import annotations

import datetime as dt

import click
from flask import current_app
from flask.cli import with_appcontext

from ..keys.errors import KeyUnavailable
from ..models import db, utcnow
from ..services import services
from . import renew
from .status import archive_status


@click.group("archive")
def archive_group():
    """Long-term proofs of issued results (B-LTA renewal)."""


@archive_group.command("renew")
@click.option("--before", type=click.DateTime(formats=["%Y-%m-%d"]),
              help="Renew the proofs expiring before this date (default: today + ARCHIVE_RENEWAL_MARGIN_DAYS).")
@click.option("--dry-run", is_flag=True, help="Only list the results that would be renewed.")
@click.option("--limit", default=None, type=click.IntRange(1), help="The most results to renew (default: ARCHIVE_RENEW_LIMIT).")
@click.option("--workers", default=None, type=click.IntRange(1),
              help="Processes renewing at once, on PostgreSQL (default: ARCHIVE_RENEW_WORKERS, else one per core, at most 4).")
@with_appcontext
def renew_command(before, dry_run: bool, limit: int | None, workers: int | None):
    """Renew the due proofs: validation data for the newest timestamp, then a new document timestamp."""
    cutoff = before.replace(tzinfo=dt.timezone.utc) if before else None
    try:
        report = renew(current_app, limit or services().settings.archive.renew_limit, cutoff, dry_run, workers)
    except (KeyUnavailable, RuntimeError) as exc:
        raise click.ClickException(str(exc)) from None
    if report.indexed:
        click.echo(f"read the proof of {report.indexed} newly signed result(s)")
    if dry_run:
        for result_id in report.due:
            click.echo(f"due: {result_id}")
        click.echo(f"{len(report.due)} result(s) would be renewed")
        return
    for result_id, why in report.failed:
        click.echo(f"failed: {result_id}: {why}", err=True)
    click.echo(f"renewed {len(report.renewed)} result(s), {len(report.failed)} failed")
    if report.failed:
        raise SystemExit(1)


@archive_group.command("status")
@with_appcontext
def status_command():
    """How many proofs fall due per month for the next 24 months, and the oldest not renewed yet."""
    status = archive_status(db.session, services().settings.archive.renewal_margin_days, utcnow())
    click.echo(f"overdue now: {status.overdue}")
    for month in status.months:
        click.echo(f"{month.month}: {month.count}")
    if status.unindexed:
        click.echo(f"not read yet: {status.unindexed} (the next run reads them)")
    if status.oldest_unrenewed_result:
        click.echo(f"oldest unrenewed proof: result {status.oldest_unrenewed_result}, "
                   f"made {status.oldest_unrenewed_proof_time.isoformat()}")
    else:
        click.echo("oldest unrenewed proof: none")
