"""The service indices, each from one aggregated query over an index (agency, time), never a scan of
every row in Python. Day buckets are Vietnam days; PostgreSQL and SQLite differ only in how a time
becomes a day and how a median is taken."""
from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import and_, case, func, literal, literal_column, or_, select
from sqlalchemy.orm import Session

from ..copies.kinds import KIND as CERTIFIED_COPY
from ..models import (
    Agency, BatchItemStatus, BatchStatus, Official, Rating, Result, ResultStatus, SigningBatch, SigningBatchItem,
)
from .scope import StatsFilter

PENDING = (ResultStatus.PENDING_SIGNATURE, ResultStatus.SIGNING, ResultStatus.FAILED)
_OPEN_BATCH = (BatchStatus.AWAITING_AUTHORISATION, BatchStatus.QUEUED, BatchStatus.RUNNING)
RECENT_COMMENTS = 5


@dataclass(frozen=True)
class DayCounts:
    day: dt.date
    received: int
    signed: int
    delivered: int


@dataclass(frozen=True)
class OnTime:
    key: str
    label: str
    on_time: int
    late: int
    open: int
    """Due later and not delivered yet: counted neither way."""

    @property
    def rate(self) -> float | None:
        decided = self.on_time + self.late
        return self.on_time / decided if decided else None


@dataclass(frozen=True)
class Pending:
    official: str | None
    """The official whose open signing batch holds them; None: waiting in the agency's queue."""
    procedure_code: str
    procedure_name: str
    count: int
    oldest: dt.datetime


@dataclass(frozen=True)
class Comment:
    stars: int
    comment: str
    at: dt.datetime
    agency: str
    procedure_name: str


@dataclass(frozen=True)
class Satisfaction:
    count: int
    average: float | None
    distribution: tuple[int, int, int, int, int]
    """Ratings of 1, 2, 3, 4 and 5 stars."""
    comments: tuple[Comment, ...]


def _day(session: Session, column):
    if session.get_bind().dialect.name == "postgresql":
        # Vietnam keeps UTC+7 all year: a fixed shift costs half of a named zone's conversion per row.
        return func.date(func.timezone("UTC", column + literal_column("interval '7 hours'")))
    return func.date(column, "+7 hours")


def _within(f: StatsFilter, column):
    conditions = [Result.agency_id.in_(f.agency_ids), column >= f.since, column < f.until]
    if f.procedure:
        conditions.append(Result.procedure_code == f.procedure)
    return and_(*conditions)


@dataclass(frozen=True)
class Received:
    per_day: Mapping[dt.date, int]
    by_agency: tuple[OnTime, ...]
    by_procedure: tuple[OnTime, ...]


def received(session: Session, f: StatsFilter, now: dt.datetime) -> Received:
    """Results received in the range per day, and on time by agency and by procedure, from one scan
    (the (agency, created) index alone on PostgreSQL) grouped by agency, procedure and day: a few
    thousand groups at most, summed up here.

    On time: delivered (hence signed) by `due_at`. Late: delivered after it, or still not delivered
    once it passed. Results without `due_at` and returned dossiers are not counted."""
    delivered = Result.delivered_at
    counted = and_(Result.due_at.is_not(None), Result.status != ResultStatus.RETURNED)
    ok = and_(counted, delivered.is_not(None), delivered <= Result.due_at)
    late = and_(counted, or_(delivered > Result.due_at, and_(delivered.is_(None), Result.due_at < now)))
    day = _day(session, Result.created_at)
    rows = session.execute(
        select(Result.agency_id, Result.procedure_code, day, func.count(), func.sum(case((ok, 1), else_=0)),
               func.sum(case((late, 1), else_=0)), func.sum(case((counted, 1), else_=0)), func.min(Result.procedure_name))
        .where(_within(f, Result.created_at))
        .group_by(Result.agency_id, Result.procedure_code, day)
    ).all()
    per_day: dict[dt.date, int] = defaultdict(int)
    agencies: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    procedures: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    names: dict[str, str] = {}
    for agency_id, code, when, n, on_time_n, late_n, due_n, name in rows:
        per_day[_as_date(when)] += n
        names[code] = name
        for sums in (agencies[agency_id], procedures[code]):
            sums[0], sums[1], sums[2] = sums[0] + int(on_time_n or 0), sums[1] + int(late_n or 0), sums[2] + int(due_n or 0)
    labels = {agency_id: (code, name) for agency_id, code, name in f.agencies}
    by_agency = sorted((OnTime(*labels[a], s[0], s[1], s[2] - s[0] - s[1]) for a, s in agencies.items() if s[2]),
                       key=lambda r: r.key)
    by_procedure = sorted((OnTime(c, names[c], s[0], s[1], s[2] - s[0] - s[1]) for c, s in procedures.items() if s[2]),
                          key=lambda r: r.key)
    return Received(per_day, tuple(by_agency), tuple(by_procedure))


def daily(session: Session, f: StatsFilter, received_per_day: Mapping[dt.date, int]) -> list[DayCounts]:
    counts: dict[str, dict[dt.date, int]] = {}
    for name, column in (("signed", Result.signed_at), ("delivered", Result.delivered_at)):
        day = _day(session, column)
        rows = session.execute(select(day, func.count()).where(_within(f, column)).group_by(day)).all()
        counts[name] = {_as_date(d): n for d, n in rows}
    return [DayCounts(d, received_per_day.get(d, 0), counts["signed"].get(d, 0), counts["delivered"].get(d, 0))
            for d in f.days]


def copies_certified(session: Session, f: StatsFilter) -> list[tuple[dt.date, int]]:
    """Certified copies signed in the range, per day of signature (every day of the range)."""
    day = _day(session, Result.signed_at)
    rows = session.execute(select(day, func.count())
                           .where(_within(f, Result.signed_at), Result.kind == CERTIFIED_COPY).group_by(day)).all()
    counts = {_as_date(d): n for d, n in rows}
    return [(d, counts.get(d, 0)) for d in f.days]


def pending(session: Session, f: StatsFilter) -> list[Pending]:
    """Results not signed yet, now (the date range does not apply): by the official whose open batch
    holds them, and by procedure, with the oldest."""
    held = (select(SigningBatchItem.result_id, Official.full_name)
            .join(SigningBatch, SigningBatch.id == SigningBatchItem.batch_id)
            .join(Official, Official.id == SigningBatch.official_id)
            .where(SigningBatchItem.status == BatchItemStatus.QUEUED, SigningBatch.status.in_(_OPEN_BATCH))
            .subquery())
    conditions = [Result.agency_id.in_(f.agency_ids), Result.status.in_(PENDING)]
    if f.procedure:
        conditions.append(Result.procedure_code == f.procedure)
    rows = session.execute(
        select(held.c.full_name, Result.procedure_code, func.min(Result.procedure_name), func.count(),
               func.min(Result.created_at))
        .outerjoin(held, held.c.result_id == Result.id)
        .where(*conditions)
        .group_by(held.c.full_name, Result.procedure_code)
        .order_by(func.min(Result.created_at))
    ).all()
    return [Pending(name, code, proc, n, _as_time(oldest)) for name, code, proc, n, oldest in rows]


def median_delivery_seconds(session: Session, f: StatsFilter) -> tuple[int, float | None]:
    """How many results were delivered in the range, and the median time from intake to delivery."""
    where = _within(f, Result.delivered_at)
    if session.get_bind().dialect.name == "postgresql":
        seconds = func.extract("epoch", Result.delivered_at - Result.created_at)
        n, median = session.execute(
            select(func.count(), func.percentile_cont(0.5).within_group(seconds)).where(where)).one()
        return n, float(median) if median is not None else None
    # SQLite has no percentile: the embedded default's few rows are read and sorted here.
    seconds = (func.julianday(Result.delivered_at) - func.julianday(Result.created_at)) * 86400.0
    values = session.scalars(select(seconds).where(where)).all()
    return len(values), float(statistics.median(values)) if values else None


def satisfaction(session: Session, f: StatsFilter) -> Satisfaction:
    conditions = [Rating.agency_id.in_(f.agency_ids), Rating.updated_at >= f.since, Rating.updated_at < f.until]
    base = select(Rating.stars, func.count()).select_from(Rating)
    if f.procedure:
        base = base.join(Result, Result.id == Rating.result_id)
        conditions.append(Result.procedure_code == f.procedure)
    counts = dict(session.execute(base.where(*conditions).group_by(Rating.stars)).all())
    distribution = tuple(int(counts.get(stars, 0)) for stars in range(1, 6))
    total = sum(distribution)
    average = sum(s * n for s, n in zip(range(1, 6), distribution)) / total if total else None
    recent = session.execute(
        select(Rating.stars, Rating.comment, Rating.updated_at, Agency.name, Result.procedure_name)
        .join(Result, Result.id == Rating.result_id).join(Agency, Agency.id == Rating.agency_id)
        .where(*conditions, Rating.comment.is_not(None), Rating.comment != literal(""))
        .order_by(Rating.updated_at.desc()).limit(RECENT_COMMENTS)
    ).all()
    return Satisfaction(total, average, distribution, tuple(Comment(s, c, _as_time(at), a, p) for s, c, at, a, p in recent))


def _as_date(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def _as_time(value) -> dt.datetime:
    """SQLite's aggregates return the stored text, without the column type's zone."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
