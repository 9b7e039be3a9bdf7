"""Figures read from the database at scrape time (so they are right whichever process changed them):
pending results and the age of the oldest, by agency and procedure; the archive's renewal outlook.
One grouped query over the pending results (few, found by the status index) and the archive's own
range counts."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..archive.status import archive_status
from ..models import Agency, Result, ResultStatus, utcnow

PENDING = (ResultStatus.PENDING_SIGNATURE, ResultStatus.SIGNING, ResultStatus.FAILED)
"""Not decided yet from the citizen's side: waiting for a signature, being signed, or to sign again."""
ARCHIVE_MONTHS = 12
"""Months of the renewal outlook on the metrics page (`wallet-service archive status` shows 24)."""


class DatabaseCollector(Collector):
    """Gauges computed at each scrape, in a session the caller provides."""

    def __init__(self, session: Callable[[], Session], archive_margin_days: int):
        self._session = session
        self._margin_days = archive_margin_days

    def collect(self) -> Iterator[GaugeMetricFamily]:
        session, now = self._session(), utcnow()
        yield from _pending(session, now)
        yield from _archive(session, self._margin_days, now)


def _pending(session: Session, now: dt.datetime) -> Iterator[GaugeMetricFamily]:
    count = GaugeMetricFamily("wallet_results_pending", "Results not signed yet, by agency and procedure",
                              labels=("agency", "procedure"))
    oldest = GaugeMetricFamily("wallet_results_pending_oldest_age_seconds",
                               "Age of the oldest result not signed yet, by agency and procedure",
                               labels=("agency", "procedure"))
    rows = session.execute(
        select(Agency.code, Result.procedure_code, func.count(), func.min(Result.created_at))
        .join(Agency, Agency.id == Result.agency_id)
        .where(Result.status.in_(PENDING))
        .group_by(Agency.code, Result.procedure_code)
    ).all()
    for agency, procedure, n, first in rows:
        count.add_metric((agency, procedure), n)
        oldest.add_metric((agency, procedure), max(0.0, (now - _aware(first)).total_seconds()))
    yield count
    yield oldest


def _archive(session: Session, margin_days: int, now: dt.datetime) -> Iterator[GaugeMetricFamily]:
    status = archive_status(session, margin_days, now, months=ARCHIVE_MONTHS)
    due = GaugeMetricFamily("wallet_archive_renewals_due", "Signed results whose long-term proof falls due for "
                            "renewal in each coming month (YYYY-MM), or is overdue", labels=("month",))
    due.add_metric(("overdue",), status.overdue)
    for month in status.months:
        due.add_metric((month.month,), month.count)
    yield due
    yield GaugeMetricFamily("wallet_archive_unindexed", "Signed results whose proof the renewal has not read yet",
                            value=status.unindexed)
    oldest = status.oldest_unrenewed_proof_time
    yield GaugeMetricFamily("wallet_archive_oldest_unrenewed_proof_timestamp_seconds",
                            "When the oldest proof never renewed was made (Unix time; 0 when there is none)",
                            value=_aware(oldest).timestamp() if oldest else 0.0)


def _aware(moment: dt.datetime) -> dt.datetime:
    """SQLite's aggregates return the stored text without the column type's zone."""
    if isinstance(moment, str):
        moment = dt.datetime.fromisoformat(moment)
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)
