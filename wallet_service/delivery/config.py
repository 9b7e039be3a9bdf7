"""What the delivery worker is configured with (built by `delivery.init_app` from `settings.delivery`)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ..issuer.keys import IssuerKeySource
from .targets import DeliveryTargets


@dataclass(frozen=True)
class WorkerSettings:
    """How the worker paces itself (from `settings.delivery`, see `delivery.init_app`)."""

    lease_seconds: float = 120.0
    """How long a claimed delivery is reserved for its worker; longer than any target's timeout."""
    backoff_seconds: float = 30.0
    """Wait after the first failed attempt; doubled after each further one."""
    backoff_max_seconds: float = 6 * 3600.0
    """The longest wait between two attempts."""
    batch_size: int = 100
    """Deliveries claimed at once, and recorded together once all are sent. A round costs ~5 ms CPU
    in claiming, reading and recording whatever its size (PostgreSQL): ~0.25 ms a delivery in rounds
    of 20, ~0.05 ms in rounds of 100. A worker that dies mid-round leaves at most a round to be sent
    again (same idempotency key). A round sends for at most half the lease; what a slow store leaves
    unsent then is handed back unattempted and claimed again."""

    def backoff(self, attempts: int) -> dt.timedelta:
        return dt.timedelta(seconds=min(self.backoff_seconds * 2 ** max(attempts - 1, 0), self.backoff_max_seconds))


@dataclass(frozen=True)
class DeliveryConfig:
    """Everything the delivery worker needs, at `services(app).delivery`."""

    targets: DeliveryTargets
    """The configured external stores."""
    key_source: IssuerKeySource
    """The delivery signing key file (the same file handling as the credential issuer's key)."""
    worker: WorkerSettings
    """Lease, backoff and batch size."""
