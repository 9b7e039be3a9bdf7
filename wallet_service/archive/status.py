"""The renewal outlook: how many proofs fall due in each of the coming months, how many are overdue,
and the oldest proof not renewed yet."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import Result
from .models import ArchiveProof
from .schedule import current_proof, unindexed

MONTHS = 24


@dataclass(frozen=True)
class MonthDue:
    month: str
    """`YYYY-MM`."""
    count: int


@dataclass(frozen=True)
class ArchiveStatus:
    overdue: int
    """Due now (their renewal date has passed)."""
    months: tuple[MonthDue, ...]
    """Falling due in each month, the current one first."""
    unindexed: int
    """Signed results whose proof has not been read yet (the next run reads them)."""
    oldest_unrenewed_result: str | None
    oldest_unrenewed_proof_time: dt.datetime | None
    """When the oldest proof never renewed was made."""


def _month_starts(now: dt.datetime, count: int) -> list[dt.datetime]:
    year, month = now.year, now.month
    starts = []
    for _ in range(count + 1):
        starts.append(dt.datetime(year, month, 1, tzinfo=dt.timezone.utc))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return starts


def archive_status(session: Session, margin_days: int, now: dt.datetime, months: int = MONTHS) -> ArchiveStatus:
    """A proof falls due `margin_days` before it expires; counted with one range query per month."""
    margin = dt.timedelta(days=margin_days)
    base = select(func.count()).select_from(Result).join(ArchiveProof, current_proof())
    overdue = session.scalar(base.where(ArchiveProof.expires_at < now + margin))
    starts = _month_starts(now, months)
    counts = []
    for start, end in zip(starts, starts[1:]):
        low = max(start, now)
        count = session.scalar(base.where(ArchiveProof.expires_at >= low + margin, ArchiveProof.expires_at < end + margin))
        counts.append(MonthDue(start.strftime("%Y-%m"), count))
    oldest = session.execute(
        select(Result.id, ArchiveProof.proof_time).join(ArchiveProof, current_proof())
        .where(ArchiveProof.renewals == 0, ArchiveProof.proof_time.is_not(None))
        .order_by(ArchiveProof.proof_time).limit(1)
    ).first()
    waiting = session.scalar(select(func.count()).select_from(unindexed().subquery()))
    return ArchiveStatus(overdue, tuple(counts), waiting, oldest[0] if oldest else None, oldest[1] if oldest else None)
