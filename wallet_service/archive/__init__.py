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

import dataclasses
import datetime as dt
import multiprocessing
from functools import partial

from flask import Flask

from ..keys.directory import key_directory
from ..models import db, utcnow
from ..platform import jobs
from ..services import services
from .extend import ProofExtender, load_roots
from .parallel import ExtenderSpec, default_workers, renew_in_processes
from .renewal import RunReport, run
from .schedule import Policy

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
    listed = run(db.session, services(app).documents, None, policy, limit)  # index, and list what is due
    if not listed.due:
        return listed
    renewed, failed = renew_in_processes(settings.sqlalchemy_url, settings.documents_dir, extender_spec(app),
                                         policy, listed.due, workers)
    return dataclasses.replace(listed, renewed=renewed, failed=failed)


def renew_due(app: Flask) -> RunReport:
    """The periodic run (its runner gives it an app context)."""
    return renew(app, services(app).settings.archive.renew_limit)


def init_app(app: Flask) -> None:
    jobs.every(app, "archive_renewal", renew_due, services(app).settings.archive.renew_seconds)
