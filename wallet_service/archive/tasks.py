"""The renewal under Celery. The beat run executes in a pool process, which is daemonic and may not
start processes of its own (`ARCHIVE_RENEW_WORKERS` processes cannot be started there); the pool is
the parallelism instead: the run lists what is due and sends it as tasks of a few chunks each, which
every pool process of every worker machine takes in turn. A task claims and commits chunk by chunk
(`renewal.renew_chunk`), and a redelivered task finds its results renewed already, so no result is
renewed twice. Task messages carry result ids and the cutoff only."""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence

from flask import Flask

from ..models import db
from ..platform import jobs
from ..services import services
from .configured import extender_for, policy_for
from .renewal import CHUNK, chunks, renew_each
from .schedule import Policy

log = logging.getLogger(__name__)
TASK = "archive_renew"
TASK_CHUNKS = 8
"""Chunks per task: one extender (its TSA session, its revocation data) serves them all."""


def send_due(app: Flask, policy: Policy, candidates: Sequence[str], workers: int) -> int:
    """Send `candidates` as renewal tasks, spread over at least `workers` tasks; how many were sent."""
    size = max(1, min(CHUNK * TASK_CHUNKS, -(-len(candidates) // workers)))
    parts = list(chunks(candidates, size))
    for part in parts:
        jobs.runner(app).submit(TASK, policy.cutoff.isoformat(), *part)
    return len(parts)


def renew_task(app: Flask, cutoff: str, *result_ids: str) -> None:
    """Renew `result_ids` still due at `cutoff` (in an app context; failures are logged, the next run retries)."""
    policy = policy_for(app, dt.datetime.fromisoformat(cutoff))
    with extender_for(app) as extender:
        renewed, failed = renew_each(db.session, services(app).documents, extender, chunks(result_ids), policy)
    for result_id, why in failed:
        log.warning("archive: result %s not renewed: %s", result_id, why)
    log.info("archive: renewed %d of %d result(s)", len(renewed), len(result_ids))
