"""How long a worker holds a batch (preparing or signing it) before another may take it over."""
from __future__ import annotations

import datetime as dt

from flask import Flask

from ..services import services


def lease(app: Flask) -> dt.timedelta:
    """`BATCH_LEASE_SECONDS`: a holder that has not renewed its lease for this long is presumed gone."""
    return dt.timedelta(seconds=services(app).settings.batches.lease_seconds)
