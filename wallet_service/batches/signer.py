"""The app's batch signer, made once per app on first use."""
from __future__ import annotations

import threading
from collections.abc import Callable

from signing.pipeline import BatchSigner


class BatchSignerHolder:
    """The app's BatchSigner, built on first use: subsetting the stamp font takes a second, and
    neither the CLI nor most requests need it."""

    def __init__(self, make: Callable[[], BatchSigner]):
        self._make = make
        self._signer: BatchSigner | None = None
        self._lock = threading.Lock()

    def get(self) -> BatchSigner:
        with self._lock:
            if self._signer is None:
                self._signer = self._make()
            return self._signer

    def replace(self, signer: BatchSigner) -> BatchSigner:
        """Use `signer` from now on (e.g. other trust services); returns the previous one."""
        with self._lock:
            previous, self._signer = self._signer, signer
            return previous
