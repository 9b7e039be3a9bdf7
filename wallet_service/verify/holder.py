"""The app's verifier, made once per process on first use."""
from __future__ import annotations

import atexit
import os
import threading
from collections.abc import Callable

from verification import VerificationPolicy, Verifier


class VerifierHolder:
    """The app's `Verifier`, started on first use in each process: its worker pool takes 1-2 s to
    start, and a gunicorn worker must start its own after the fork rather than share the parent's
    pipes. Closed at interpreter exit."""

    def __init__(self, make: Callable[[], Verifier], load_policy: Callable[[], VerificationPolicy] | None = None):
        self._make = make
        self._load_policy = load_policy
        self._verifier: Verifier | None = None
        self._pid: int | None = None
        self._policy: tuple[int, VerificationPolicy] | None = None
        self._lock = threading.Lock()

    def policy(self) -> VerificationPolicy:
        """The policy the verifier judges by, without starting its pool (answers from stored
        reports need no worker). Read once per process, as the verifier reads its trust roots."""
        if self._load_policy is None:
            return self.get().policy
        with self._lock:
            if self._verifier is not None and self._pid == os.getpid():
                return self._verifier.policy
            if self._policy is None or self._policy[0] != os.getpid():
                self._policy = (os.getpid(), self._load_policy())
            return self._policy[1]

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
