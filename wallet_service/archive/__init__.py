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
`status` (the outlook), `cli` (`wallet-service archive renew|status`). The run is a periodic job
(`ARCHIVE_RENEW_SECONDS`; a Celery beat entry under Celery) bounded by `ARCHIVE_RENEW_LIMIT`, in `ARCHIVE_RENEW_WORKERS` processes."""
from __future__ import annotations

import datetime as dt
import multiprocessing
from functools import partial

from flask import Flask

from ..keys.directory import key_directory
from ..models import db, utcnow
from ..platform import jobs
from ..services import services
from .extend import ProofExtender, load_roots
from .parallel import ExtenderSpec, Setup, Workers, default_workers
from .renewal import CHUNK, RunReport, chunks, list_due, run
from .schedule import Policy, due, unindexed

__all__ = ["init_app", "renew", "renew_due"]


def policy_for(app: Flask, before: dt.datetime | None = None) -> Policy:
    settings = services(app).settings.archive
    cutoff = before or utcnow() + dt.timedelta(days=settings.renewal_margin_days)
    return Policy(cutoff, settings.deprecated_algorithms)


def extender_spec(app: Flask) -> ExtenderSpec:
    """The configured TSA, and the roots the service's own signatures chain to for validating the last timestamp."""
    keys = key_directory(app)
    if not keys.trust_services.tsa_url:
        raise RuntimeError("No timestamp authority is configured (tsa_url in KEYS_CONFIG); proofs cannot be renewed.")
    return ExtenderSpec(keys.trust_services.tsa_url, tuple(keys.trust_root_paths()), keys.trust_services.http_timeout)


def extender_for(app: Flask) -> ProofExtender:
    spec = extender_spec(app)
    return ProofExtender(spec.tsa_url, load_roots(list(spec.trust_roots)), spec.timeout)


def renew(app: Flask, limit: int, before: dt.datetime | None = None, dry_run: bool = False,
          workers: int | None = None) -> RunReport:
    """One bounded run, in `app`'s context, renewing in `workers` processes (None: the setting). SQLite
    serialises writers, so there the run stays in this process."""
    settings = services(app).settings
    workers = workers or settings.archive.renew_workers or default_workers()
    policy = policy_for(app, before)
    # A daemonic process (a worker pool's child) may not start processes of its own: renew in it.
    if dry_run or workers == 1 or db.engine.dialect.name != "postgresql" or multiprocessing.current_process().daemon:
        opener = None if dry_run else partial(extender_for, app)
        return run(db.session, services(app).documents, opener, policy, limit)
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
