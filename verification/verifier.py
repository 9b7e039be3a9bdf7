"""The long-lived verifier: a warm pool of worker processes with a time budget per document.

pyHanko can loop forever on hostile files (circular revision chains) and a thread cannot
be stopped, so each document is verified in a worker *process*: when the budget is spent
the worker is killed and replaced, and the caller gets ``verification_timeout``. Workers
stay alive between documents and keep their caches (:class:`WorkerCaches`).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import queue
import threading
from dataclasses import dataclass

from verification import errors
from verification.policy import VerificationPolicy
from verification.report import VerificationReport

logger = logging.getLogger(__name__)

_READY = "ready"


def _worker_main(conn) -> None:
    """Worker process: verify documents sent over ``conn`` until told to stop."""
    from verification.caches import WorkerCaches
    from verification.engine import verify_document
    from verification.worker_setup import prepare_worker

    caches = WorkerCaches()
    prepare_worker(caches)  # this process only verifies
    conn.send(_READY)
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        data, policy, strict, issued_as_is = message
        try:
            answer = ("report", verify_document(data, policy, caches, strict, issued_as_is))
        except errors.VerificationError as exc:
            answer = ("error", exc.code, exc.params)
        except Exception:  # never let one document take the worker down
            logger.exception("verification crashed")
            answer = ("error", "unreadable_pdf", {"reason": "reason.structure"})
        conn.send(answer)


@dataclass(eq=False)
class _Worker:
    process: multiprocessing.process.BaseProcess
    conn: object


class Verifier:
    """Verifies PDFs in a pool of warm worker processes. Thread-safe; create once per app.

    ``verify`` blocks the calling thread until a worker answers, so a web server with N
    threads can keep ``workers`` processes busy. Call :meth:`close` (or use ``with``) at exit.
    """

    def __init__(
        self,
        policy: VerificationPolicy,
        workers: int | None = None,
        acquire_timeout: float = 60.0,
    ):
        self.policy = policy
        self.workers = workers or os.cpu_count() or 1
        self.acquire_timeout = acquire_timeout
        self._context = multiprocessing.get_context("spawn")
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._all: set[_Worker] = set()
        self._lock = threading.Lock()
        self._closed = False
        for _ in range(self.workers):
            self._start_worker()

    # --- pool management ---------------------------------------------------------------

    def _start_worker(self) -> None:
        """Start a worker; it joins the idle queue once it has imported everything."""
        parent, child = self._context.Pipe()
        process = self._context.Process(
            target=_worker_main, args=(child,), name="verification-worker", daemon=True
        )
        process.start()
        child.close()
        worker = _Worker(process, parent)
        with self._lock:
            self._all.add(worker)
        threading.Thread(target=self._await_ready, args=(worker,), daemon=True).start()

    def _await_ready(self, worker: _Worker) -> None:
        try:
            ready = worker.conn.poll(120) and worker.conn.recv() == _READY
        except (EOFError, OSError):
            ready = False
        if ready and not self._closed:
            self._idle.put(worker)
        else:
            self._discard(worker)

    def _discard(self, worker: _Worker) -> None:
        # Only the first caller tears a worker down: close() and the thread awaiting its start
        # may both get here, and closing one pipe twice can close an fd reused meanwhile.
        with self._lock:
            if worker not in self._all:
                return
            self._all.discard(worker)
        if worker.process.is_alive():
            worker.process.kill()
        worker.process.join(5)
        worker.conn.close()

    def _replace(self, worker: _Worker) -> None:
        self._discard(worker)
        if not self._closed:
            self._start_worker()

    # --- public API -------------------------------------------------------------------

    def verify(
        self,
        data: bytes,
        policy: VerificationPolicy | None = None,
        strict_after_last_signature: bool = False,
        issued_as_is: bool = False,
    ) -> VerificationReport:
        """Verify one PDF; raises a :class:`~verification.errors.VerificationError` subclass
        for input that cannot be verified (including ``verification_timeout``).
        ``strict_after_last_signature``: judge it by the issued-document policy (the caller
        issued it): nothing but signatures, timestamps and validation data after a signature.
        ``issued_as_is``: the file is byte for byte a registered document (see
        :func:`verification.engine.verify_document`)."""
        from verification.engine import check_input

        policy = policy or self.policy
        check_input(data, policy)  # cheap refusals without a round trip
        if self._closed:
            raise errors.VerifierUnavailable()
        try:
            worker = self._idle.get(timeout=self.acquire_timeout)
        except queue.Empty:
            raise errors.VerifierUnavailable() from None
        try:
            worker.conn.send((data, policy, strict_after_last_signature, issued_as_is))
            if not worker.conn.poll(policy.time_budget_seconds):
                logger.warning("verification over budget; replacing worker pid %s", worker.process.pid)
                self._replace(worker)
                worker = None
                raise errors.VerificationTimeout(seconds=policy.time_budget_seconds)
            answer = worker.conn.recv()
        except (EOFError, OSError, BrokenPipeError):
            logger.error("verification worker died; replacing it")
            self._replace(worker)
            worker = None
            raise errors.VerifierUnavailable() from None
        finally:
            if worker is not None:
                self._idle.put(worker)
        if answer[0] == "report":
            return answer[1]
        _, code, params = answer
        raise errors.ERROR_CLASSES.get(code, errors.UnreadablePdf)(**params)

    def close(self) -> None:
        """Stop all workers. Idempotent."""
        self._closed = True
        with self._lock:
            workers = list(self._all)
        for worker in workers:
            try:
                worker.conn.send(None)
            except (OSError, BrokenPipeError):
                pass
        for worker in workers:
            worker.process.join(2)
            self._discard(worker)

    def __enter__(self) -> "Verifier":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


def verify_pdf(data: bytes, policy: VerificationPolicy) -> VerificationReport:
    """One-shot verification in a fresh worker process (time budget enforced).

    Starting a process costs about a second; services keep a :class:`Verifier` instead.
    """
    with Verifier(policy, workers=1) as verifier:
        return verifier.verify(data)
