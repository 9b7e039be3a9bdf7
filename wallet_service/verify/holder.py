"""The app's verifier, made once per process on first use."""
from __future__ import annotations

import atexit
import os
import threading
from collections.abc import Callable

from verification import Verifier


class VerifierHolder:
    """The app's `Verifier`, started on first use in each process: its worker pool takes 1-2 s to
    start, and a gunicorn worker must start its own after the fork rather than share the parent's
    pipes. Closed at interpreter exit."""

    def __init__(self, make: Callable[[], Verifier]):
        self._make = make
        self._verifier: Verifier | None = None
        self._pid: int | None = None
        self._lock = threading.Lock()

    def get(self) -> Verifier:
        with self._lock:
            if self._verifier is None or self._pid != os.getpid():
                self._verifier = self._make()
                self._pid = os.getpid()
                atexit.register(self._verifier.close)
            return self._verifier

    def close(self) -> None:
        with self._lock:
            if self._verifier is not None and self._pid == os.getpid():
                self._verifier.close()
            self._verifier = None
