"""Renewing due results in several processes at once (the extender is CPU-bound pyHanko work).

Each process opens its own engine, session, document store and extender, and claims results with
`renewal._claim` (SKIP LOCKED), so no result is renewed twice and each result still commits in its
own transaction: a killed process leaves what the single-process run leaves. Processes are spawned,
never forked, so no connection or event loop of the parent is shared."""
from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from ..platform.storage import FileDocumentStore
from .extend import ProofExtender, load_roots
from .renewal import renew_each
from .schedule import Policy


@dataclass(frozen=True)
class ExtenderSpec:
    """What a process needs to open its own extender."""

    tsa_url: str
    trust_roots: tuple[Path, ...]
    timeout: float


@dataclass(frozen=True)
class Share:
    """One process's part of a run."""

    database_url: str
    documents_dir: Path
    extender: ExtenderSpec
    policy: Policy
    result_ids: tuple[str, ...]


def default_workers() -> int:
    return min(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1, 4)


def renew_share(share: Share) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
    """In a worker process: renew `share.result_ids`; (renewed ids, (id, why) failed)."""
    engine = create_engine(share.database_url)
    spec = share.extender
    try:
        with Session(engine) as session, \
                ProofExtender(spec.tsa_url, load_roots(list(spec.trust_roots)), spec.timeout) as extender:
            return renew_each(session, FileDocumentStore(share.documents_dir), extender, share.result_ids, share.policy)
    finally:
        engine.dispose()


def renew_in_processes(database_url: str, documents_dir: Path, extender: ExtenderSpec, policy: Policy,
                       candidates: tuple[str, ...], workers: int) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
    """`candidates` dealt round-robin to `workers` spawned processes; their reports joined."""
    workers = max(1, min(workers, len(candidates)))
    shares = [Share(database_url, documents_dir, extender, policy, candidates[i::workers]) for i in range(workers)]
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        reports = list(pool.map(renew_share, shares))
    return (tuple(r for renewed, _ in reports for r in renewed), tuple(f for _, failed in reports for f in failed))
