"""The app's batch signer, made once per app on first use."""
from __future__ import annotations

import concurrent.futures
import copy
import os
import threading
from collections.abc import Callable

from signing.executors import new_worker_pool
from signing.pipeline import BatchSigner


class BatchSignerHolder:
    """The app's BatchSigner, built on first use: subsetting the stamp font takes a second, and
    neither the CLI nor most requests need it.

    With `share_pool()`, the batches of one process share one pool of signing processes instead of
    starting one per batch (~0.3 s each): for a long-lived process that runs batch after batch (a
    Celery worker whose tasks run in threads). The pool belongs to the process that started it, so a
    forked child (a prefork pool process) starts its own, which is in-process there."""

    def __init__(self, make: Callable[[], BatchSigner]):
        self._make = make
        self._signer: BatchSigner | None = None
        self._lock = threading.Lock()
        self._share_pool = False
        self._pool: tuple[int, concurrent.futures.Executor] | None = None

    def share_pool(self) -> None:
        self._share_pool = True

    def get(self) -> BatchSigner:
        with self._lock:
            if self._signer is None:
                self._signer = self._make()
            if not self._share_pool or self._signer.executor is not None:
                return self._signer
            if self._pool is None or self._pool[0] != os.getpid():
                self._pool = (os.getpid(), new_worker_pool(self._signer.workers))
            shared = copy.copy(self._signer)
            shared.executor = self._pool[1]
            return shared

    def discard_pool(self) -> None:
        """Drop a pool that broke (a signing process died): the next batch starts a new one."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None and pool[0] == os.getpid():
            pool[1].shutdown(wait=False, cancel_futures=True)

    def replace(self, signer: BatchSigner) -> BatchSigner:
        """Use `signer` from now on (e.g. other trust services); returns the previous one."""
        with self._lock:
            previous, self._signer = self._signer, signer
            return previous
