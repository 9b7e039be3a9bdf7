"""The rate counters `POST /api/v1/verify` charges itself: Flask-Limiter's shared store and this
process's own memory (see `platform.limits`). Apart from `limits` so that `services` can name them."""
from __future__ import annotations

import threading
from dataclasses import dataclass

from limits import RateLimitItem
from limits.storage import MemoryStorage
from limits.strategies import RateLimiter


class ProcessMemoryStorage(MemoryStorage):
    """The `limits` memory store, purging expired counters once a second rather than 10 ms after
    each burst: it started a thread for every 10 ms of traffic, ~9 % of an answer from the register.
    Expiry is also checked on every read, so counts are as exact as before; only the memory of
    clients gone quiet is given back later. (The library names its scheduler privately.)"""

    PURGE_SECONDS = 1.0

    def _MemoryStorage__schedule_expiry(self) -> None:
        if not self.timer.is_alive():
            self.timer = threading.Timer(self.PURGE_SECONDS, self._MemoryStorage__expire_events)
            self.timer.daemon = True  # never holds up a worker's exit
            self.timer.start()


@dataclass(frozen=True)
class Counters:
    """The shared counters (Flask-Limiter's store) and this process's own."""

    shared: RateLimiter
    local: RateLimiter
    verify: RateLimitItem
    verify_registered: RateLimitItem
