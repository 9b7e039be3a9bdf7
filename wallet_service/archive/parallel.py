"""Renewing due results in several processes at once (the extender is CPU-bound pyHanko work).

The processes are started before the run knows what is due, so their start-up (imports, database
engine, extender: ~1 s of CPU each) overlaps the parent's indexing and listing. The parent then puts
chunks of result ids on one shared queue, and each process takes the next chunk when it is free (a
busy core slows only its own process), claiming it with `renewal.renew_chunk` (SKIP LOCKED) and
committing it in one transaction: a killed process leaves what the single-process run leaves.
Processes are spawned, never forked, so no connection or event loop of the parent is shared."""
from __future__ import annotations

import multiprocessing
import os
import queue
import time
import traceback
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from .schedule import Policy

WAIT_SECONDS = 1.0
"""How often the parent, waiting for reports, checks that its processes are still alive."""


@dataclass(frozen=True)
class ExtenderSpec:
    """What a process needs to open its own extender."""

    tsa_url: str
    trust_roots: tuple[Path, ...]
    timeout: float


@dataclass(frozen=True)
class Setup:
    """What every process opens before it takes work."""

    database_url: str
    documents_dir: Path
    extender: ExtenderSpec
    policy: Policy


def default_workers() -> int:
    return min(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1, 4)


def _serve(setup: Setup, work: Iterable[Sequence[str]], reports) -> None:
    """Open the session and extender, say so, renew chunk after chunk, then report."""
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    from ..platform.storage import FileDocumentStore
    from .extend import ProofExtender, load_roots
    from .renewal import renew_each

    engine = create_engine(setup.database_url)
    spec = setup.extender
    try:
        with Session(engine) as session, \
                ProofExtender(spec.tsa_url, load_roots(list(spec.trust_roots)), spec.timeout) as extender:
            reports.put(("ready", time.monotonic()))
            store = FileDocumentStore(setup.documents_dir)
            reports.put(("done", renew_each(session, store, extender, work, setup.policy)))
    finally:
        engine.dispose()


def renew_from_queue(setup: Setup, chunks, reports) -> None:
    """A worker process's body: `chunks` gives tuples of ids until None."""
    try:
        _serve(setup, iter(chunks.get, None), reports)
    except BaseException:  # the parent reports it; the chunk in hand was not committed
        reports.put(("error", traceback.format_exc()))


class Workers:
    """`count` spawned renewing processes sharing one queue of chunks."""

    def __init__(self, setup: Setup, count: int):
        context = multiprocessing.get_context("spawn")
        self.started = time.monotonic()
        self.chunks, self.reports = context.Queue(), context.Queue()
        self.processes = [context.Process(target=renew_from_queue, args=(setup, self.chunks, self.reports),
                                          name=f"archive-renewal-{n}", daemon=True) for n in range(count)]
        for process in self.processes:
            process.start()

    def renew(self, chunks: Iterable[tuple[str, ...]]) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...], float]:
        """Hand out `chunks`, then stop the processes; (renewed ids, (id, why) failed, start-up seconds)."""
        for chunk in chunks:
            self.chunks.put(chunk)
        return self.finish()

    def stop(self) -> None:
        """End the processes at once (the parent failed): what they hold uncommitted is rolled back."""
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            process.join()

    def finish(self) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...], float]:
        """Tell each process to stop after the last chunk, and join their reports."""
        for _ in self.processes:
            self.chunks.put(None)
        renewed, failed, ready, errors, done = [], [], [], [], 0
        for kind, value in self._reports():
            if kind == "ready":
                ready.append(value)
                continue
            if kind == "done":
                renewed += value[0]
                failed += value[1]
            else:
                errors.append(value)
            done += 1
            if done == len(self.processes):
                break
        for process in self.processes:
            process.join()
        if errors:
            raise RuntimeError(f"archive renewal processes failed ({len(renewed)} renewed before):\n"
                               + "\n".join(errors))
        return tuple(renewed), tuple(failed), max(ready, default=self.started) - self.started

    def _reports(self) -> Iterator[tuple[str, object]]:
        """The processes' reports as they come; an error for each one that ended without its last."""
        while True:
            try:
                yield self.reports.get(timeout=WAIT_SECONDS)
            except queue.Empty:
                if all(process.exitcode is not None for process in self.processes):
                    yield "error", "a renewal process ended without reporting (killed?)"
