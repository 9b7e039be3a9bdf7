"""Keeping issued results verifiable for decades: scheduled renewal of their B-LTA proof.

A B-LTA document stays verifiable while its newest document timestamp can be validated. Before that
timestamp's TSA certificate expires (`ARCHIVE_RENEWAL_MARGIN_DAYS`), or once its algorithms are
deprecated (`ARCHIVE_DEPRECATED_ALGORITHMS`), the renewal adds the validation data of that timestamp
and a new document timestamp, and stores the result as a new version of the document; citizens and
verifiers get the newest, and the registry still recognises every earlier one. Annulled results are
not renewed.

Modules: `models` (proof facts per result, superseded versions), `proofs` (facts read from a PDF),
`extend` (the pyHanko step), `schedule` (what is due), `renewal` (index, claim, renew, record),
`parallel` (the renewal in several processes, PostgreSQL),
`configured` (policy and extender from the settings), `tasks` (the run under Celery),
`status` (the outlook), `cli` (`wallet-service archive renew|status`). The run is a periodic job
(`ARCHIVE_RENEW_SECONDS`; a Celery beat entry under Celery) bounded by `ARCHIVE_RENEW_LIMIT`, in `ARCHIVE_RENEW_WORKERS` processes."""
from __future__ import annotations

import datetime as dt
import multiprocessing
from functools import partial

from flask import Flask

from ..models import db
from ..platform import jobs
from ..services import services
from .configured import extender_for, extender_spec, policy_for
from .parallel import Setup, Workers, default_workers
from .renewal import CHUNK, RunReport, chunks, list_due, run
from .schedule import Policy, due, unindexed
from .tasks import TASK, renew_task, send_due

__all__ = ["TASK", "extender_for", "init_app", "policy_for", "renew", "renew_due", "renew_task"]


def renew(app: Flask, limit: int, before: dt.datetime | None = None, dry_run: bool = False,
          workers: int | None = None) -> RunReport:
    """One bounded run, in `app`'s context, renewing in `workers` processes (None: the setting). SQLite
    serialises writers, so there the run stays in this process; in a Celery pool process it is spread
    over the pool as tasks."""
    settings = services(app).settings
    workers = workers or settings.archive.renew_workers or default_workers()
    policy = policy_for(app, before)
    # A daemonic process (a Celery pool's child) may not start processes of its own: it sends tasks to
    # the pool instead (tasks.py), or renews in itself outside Celery.
    pool_child = multiprocessing.current_process().daemon
    if dry_run or workers == 1 or db.engine.dialect.name != "postgresql" or (pool_child and not services(app).celery):
        opener = None if dry_run else partial(extender_for, app)
        return run(db.session, services(app).documents, opener, policy, limit)
    if pool_child:
        indexed, candidates = list_due(db.session, services(app).documents, policy, limit)
        send_due(app, policy, candidates, workers)
        return RunReport(indexed=indexed, due=candidates)  # renewed by the tasks
    if not _anything_to_do(policy):
        return RunReport()
    # Started first: their imports overlap the indexing and listing below.
    pool = Workers(Setup(settings.sqlalchemy_url, settings.documents_dir, extender_spec(app), policy), workers)
    try:
        indexed, candidates = list_due(db.session, services(app).documents, policy, limit)
        size = max(1, min(CHUNK, -(-len(candidates) // workers)))  # a small run still reaches every process
        renewed, failed, startup = pool.renew(chunks(candidates, size))
    except BaseException:
        pool.stop()
        raise
    return RunReport(indexed, renewed, failed, candidates, startup)


def _anything_to_do(policy: Policy) -> bool:
    """A result is due or not indexed yet (else no process is started)."""
    found = any(db.session.scalars(query.limit(1)).first() is not None for query in (due(policy), unindexed()))
    db.session.rollback()
    return found


def renew_due(app: Flask) -> RunReport:
    """The periodic run (its runner gives it an app context)."""
    return renew(app, services(app).settings.archive.renew_limit)


def init_app(app: Flask) -> None:
    jobs.every(app, "archive_renewal", renew_due, services(app).settings.archive.renew_seconds)
