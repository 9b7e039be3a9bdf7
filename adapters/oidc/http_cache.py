"""Expiring cache of one provider document (discovery or JWKS), sized by the answer's HTTP caching
headers, so a provider that changes its endpoints or rotates its keys is seen without a restart.
"""
from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping
from email.utils import parsedate_to_datetime

DEFAULT_LIFETIME = 300.0
"""Seconds a document is kept when the provider says nothing about caching."""
MAX_LIFETIME = 3600.0
"""Upper bound on any lifetime, whatever the provider says, so changes are seen within the hour."""
MIN_REFRESH_INTERVAL = 60.0
"""Seconds between two refetches asked for out of turn (unknown `kid`, failed back-channel call):
a forged token with random `kid`s must not make us hammer the provider."""


def lifetime(headers: Mapping[str, str], default: float = DEFAULT_LIFETIME, maximum: float = MAX_LIFETIME) -> float:
    """Seconds the answer may be reused, after RFC 9111 as it applies to a private cache:
    `no-store`/`no-cache` → 0, then `max-age` (less `Age`), then `Expires` − `Date`, else `default`;
    never more than `maximum`."""
    directives = _cache_control(headers.get("Cache-Control", ""))
    if "no-store" in directives or "no-cache" in directives:
        return 0.0
    if "max-age" in directives:
        seconds = _seconds(directives["max-age"])
        if seconds is None:
            return 0.0  # a malformed max-age makes the answer stale (RFC 9111 §4.2.1)
        seconds -= _seconds(headers.get("Age", "")) or 0
    elif "Expires" in headers:
        seconds = _expires_in(headers["Expires"], headers.get("Date"))
    else:
        seconds = default
    return min(max(float(seconds), 0.0), maximum)


def _cache_control(value: str) -> dict[str, str]:
    directives = {}
    for part in value.split(","):
        name, _, argument = part.strip().partition("=")
        if name:
            directives[name.strip().lower()] = argument.strip().strip('"')
    return directives


def _seconds(value: str) -> int | None:
    return int(value) if value.strip().isdigit() else None


def _expires_in(expires: str, date: str | None) -> float:
    """`Expires` relative to the answer's own `Date` (so clock skew does not matter), or to our
    wall clock when the answer has none; an unparsable `Expires` means already expired."""
    try:
        until = parsedate_to_datetime(expires).timestamp()
    except (TypeError, ValueError, IndexError):
        return 0.0
    try:
        start = parsedate_to_datetime(date).timestamp() if date else time.time()
    except (TypeError, ValueError, IndexError):
        start = time.time()
    return until - start


class CachedDocument:
    """One document and when it expires. Thread-safe: one fetch at a time, and threads waiting for
    it get its result instead of fetching again."""

    def __init__(
        self,
        fetch: Callable[[], tuple[dict, float]],
        clock: Callable[[], float] = time.monotonic,
        min_refresh_interval: float = MIN_REFRESH_INTERVAL,
    ):
        self._fetch = fetch
        """Returns the document and its lifetime in seconds; raises when it cannot."""
        self._clock = clock
        self._min_refresh_interval = min_refresh_interval
        self._lock = threading.Lock()
        self._value: dict | None = None
        self._expires_at = -math.inf
        self._last_refresh: float | None = None

    def get(self, refresh: bool = False) -> dict:
        """The document, fetched again when expired; `refresh` asks for a refetch even if it is
        not, which is granted at most once per `min_refresh_interval`."""
        with self._lock:
            if refresh:
                self._expire_early(self._clock())
            if self._value is None or self._clock() >= self._expires_at:
                value, seconds = self._fetch()
                self._value, self._expires_at = value, self._clock() + seconds
            return self._value

    def invalidate(self) -> None:
        """Have the next `get` fetch again (same rate limit as `get(refresh=True)`)."""
        with self._lock:
            self._expire_early(self._clock())

    def _expire_early(self, now: float) -> None:
        if self._last_refresh is not None and now - self._last_refresh < self._min_refresh_interval:
            return
        self._last_refresh = now
        self._expires_at = -math.inf
