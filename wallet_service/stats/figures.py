"""One view's figures, gathered from the queries, and the same figures as JSON and as CSV rows."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from . import queries
from .queries import DayCounts, OnTime, Pending, Satisfaction
from .scope import VIETNAM, StatsFilter

CHARTS = ("daily", "on_time_agency", "on_time_procedure", "pending", "delivery_time", "satisfaction", "comments",
          "copies")
"""The charts whose data `/official/dashboard.csv?chart=` gives."""


@dataclass(frozen=True)
class Figures:
    filter: StatsFilter
    daily: tuple[DayCounts, ...]
    on_time_agency: tuple[OnTime, ...]
    on_time_procedure: tuple[OnTime, ...]
    pending: tuple[Pending, ...]
    delivered_count: int
    median_delivery_seconds: float | None
    satisfaction: Satisfaction
    copies: tuple[tuple[dt.date, int], ...]
    """Digitised copies certified (signed) per day."""

    @property
    def copies_total(self) -> int:
        return sum(n for _, n in self.copies)


def gather(session: Session, f: StatsFilter, now: dt.datetime) -> Figures:
    received = queries.received(session, f, now)
    delivered, median = queries.median_delivery_seconds(session, f)
    return Figures(
        f, tuple(queries.daily(session, f, received.per_day)), received.by_agency, received.by_procedure,
        tuple(queries.pending(session, f)), delivered, median, queries.satisfaction(session, f),
        tuple(queries.copies_certified(session, f)),
    )


def _on_time_json(rows: tuple[OnTime, ...], key: str) -> list[dict]:
    return [{key: r.key, "name": r.label, "on_time": r.on_time, "late": r.late, "open": r.open,
             "rate": round(r.rate, 4) if r.rate is not None else None} for r in rows]


def to_json(figures: Figures) -> dict:
    f, s = figures.filter, figures.satisfaction
    return {
        "filters": {"agencies": [code for _, code, _ in f.agencies], "procedure": f.procedure,
                    "from": f.start.isoformat(), "to": f.end.isoformat()},
        "daily": [{"date": d.day.isoformat(), "received": d.received, "signed": d.signed, "delivered": d.delivered}
                  for d in figures.daily],
        "on_time": {"by_agency": _on_time_json(figures.on_time_agency, "agency"),
                    "by_procedure": _on_time_json(figures.on_time_procedure, "procedure")},
        "pending": [{"official": p.official, "procedure": p.procedure_code, "procedure_name": p.procedure_name,
                     "count": p.count, "oldest_received_at": p.oldest.isoformat()} for p in figures.pending],
        "delivery_time": {"delivered": figures.delivered_count, "median_seconds": figures.median_delivery_seconds},
        "satisfaction": {
            "count": s.count, "average": round(s.average, 2) if s.average is not None else None,
            "distribution": {str(stars): n for stars, n in zip(range(1, 6), s.distribution)},
            "recent_comments": [{"stars": c.stars, "comment": c.comment, "at": c.at.isoformat(), "agency": c.agency,
                                 "procedure_name": c.procedure_name} for c in s.comments],
        },
        "copies_certified": {"total": figures.copies_total,
                             "daily": [{"date": d.isoformat(), "certified": n} for d, n in figures.copies]},
    }


def _percent(rate: float | None) -> str:
    return "" if rate is None else f"{rate * 100:.1f}"


def csv_rows(figures: Figures, chart: str) -> list[list[object]]:
    """The header and rows of one chart, headers in the page's language."""
    if chart == "daily":
        return [[_("Date"), _("Received"), _("Signed"), _("Delivered")]] + [
            [d.day.strftime("%d/%m/%Y"), d.received, d.signed, d.delivered] for d in figures.daily]
    if chart in ("on_time_agency", "on_time_procedure"):
        rows = figures.on_time_agency if chart == "on_time_agency" else figures.on_time_procedure
        first = _("Agency") if chart == "on_time_agency" else _("Procedure")
        return [[first, _("Name"), _("On time"), _("Late"), _("Not due yet"), _("On-time rate (%)")]] + [
            [r.key, r.label, r.on_time, r.late, r.open, _percent(r.rate)] for r in rows]
    if chart == "pending":
        return [[_("Official"), _("Procedure"), _("Name"), _("Pending"), _("Oldest received")]] + [
            [p.official or _("Agency queue"), p.procedure_code, p.procedure_name, p.count,
             p.oldest.astimezone(VIETNAM).strftime("%d/%m/%Y %H:%M")] for p in figures.pending]
    if chart == "delivery_time":
        median = figures.median_delivery_seconds
        return [[_("Delivered"), _("Median hours from intake to delivery")],
                [figures.delivered_count, "" if median is None else f"{median / 3600:.2f}"]]
    if chart == "copies":
        return [[_("Date"), _("Digitised copies certified")]] + [[d.strftime("%d/%m/%Y"), n] for d, n in figures.copies]
    if chart == "satisfaction":
        return [[_("Stars"), _("Ratings")]] + [[stars, n] for stars, n in zip(range(1, 6), figures.satisfaction.distribution)]
    return [[_("Date"), _("Stars"), _("Agency"), _("Procedure"), _("Comment")]] + [
        [c.at.astimezone(VIETNAM).strftime("%d/%m/%Y"), c.stars, c.agency, c.procedure_name, c.comment]
        for c in figures.satisfaction.comments]
