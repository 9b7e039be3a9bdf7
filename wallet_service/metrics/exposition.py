"""`/metrics` in the Prometheus text format: this process's instruments, or, with a multiprocess
folder, every process's (gunicorn workers, Celery workers), plus the gauges read from the database.

Protected by a bearer token (`METRICS_TOKEN`) when one is set; production without one closes it,
since the figures (agencies' volumes, queue ages) are not public. Development leaves it open."""
from __future__ import annotations

import hmac
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from flask import Blueprint, Response, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from ..models import db
from ..platform.errors import Forbidden, Unauthorized
from ..services import services
from .collectors import DatabaseCollector

bp = Blueprint("metrics", __name__)


@dataclass(frozen=True)
class _Scrape:
    """What one scrape shows: `generate_latest` needs only `collect()`."""

    sources: Iterable

    def collect(self) -> Iterator:
        for source in self.sources:
            yield from source.collect()


def _instruments(multiproc_dir: Path | None):
    if multiproc_dir is None:
        return services().metrics.registry
    merged = CollectorRegistry()
    MultiProcessCollector(merged, path=str(multiproc_dir))
    return merged


def _check_token() -> None:
    settings = services().settings
    token = settings.metrics.token
    if not token:
        if settings.is_production:
            raise Forbidden("/metrics is closed: set METRICS_TOKEN and send it as 'Authorization: Bearer ...'.",
                            "metrics_closed")
        return
    header = request.headers.get("Authorization", "")
    given = header[7:].strip() if header[:7].lower() == "bearer " else ""
    if not hmac.compare_digest(given.encode(), token.encode()):
        raise Unauthorized("/metrics needs 'Authorization: Bearer <METRICS_TOKEN>'.", "metrics_token_required")


@bp.get("/metrics")
def metrics():
    _check_token()
    settings = services().settings
    database = DatabaseCollector(lambda: db.session, settings.archive.renewal_margin_days)
    body = generate_latest(_Scrape((_instruments(settings.metrics.multiproc_dir), database)))
    return Response(body, mimetype=CONTENT_TYPE_LATEST.split(";")[0], headers={"Cache-Control": "no-store"})
