"""Who may see the service indices, of which agencies, and the filters of one view.

A `leader` sees their own agency; a `province` official sees every agency of their agency's province.
Bad filters are a 400 with a message per field in the caller's language; an agency outside the
caller's view is a 403."""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..access import OFFICIAL, Principal
from ..models import Agency, Official
from ..platform.errors import BadRequest, Forbidden

LEADER_ROLE = "leader"
PROVINCE_ROLE = "province"
STATS_ROLES = frozenset({LEADER_ROLE, PROVINCE_ROLE})
VIETNAM = dt.timezone(dt.timedelta(hours=7))
"""Days are Vietnam's days (UTC+7 all year, no daylight saving)."""
DEFAULT_DAYS = 30
MAX_DAYS = 366
"""The longest range one view may ask for: the daily chart stays readable and the queries bounded."""
FIRST_DAY, LAST_DAY = dt.date(2000, 1, 1), dt.date(2999, 12, 31)
"""Days a filter may name: the service keeps no older dossiers, and days at the calendar's ends cannot be
turned into UTC instants (year 1 at 00:00 UTC+7 is in year 0)."""


@dataclass(frozen=True)
class StatsFilter:
    agencies: tuple[tuple[int, str, str], ...]
    """(id, code, name) of each agency counted."""
    procedure: str | None
    start: dt.date
    end: dt.date
    """Inclusive."""
    province_view: bool
    """Every agency of the province may be chosen (role `province`)."""

    @property
    def agency_ids(self) -> tuple[int, ...]:
        return tuple(a[0] for a in self.agencies)

    @property
    def since(self) -> dt.datetime:
        return dt.datetime.combine(self.start, dt.time(), VIETNAM).astimezone(dt.timezone.utc)

    @property
    def until(self) -> dt.datetime:
        """Exclusive: the first moment after the last day."""
        return dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time(), VIETNAM).astimezone(dt.timezone.utc)

    @property
    def days(self) -> list[dt.date]:
        return [self.start + dt.timedelta(days=n) for n in range((self.end - self.start).days + 1)]


def visible_agencies(session: Session, principal: Principal | None) -> tuple[list[Agency], bool]:
    """The agencies `principal` may see figures of, and whether that is the province-wide view."""
    if principal is None or principal.kind != OFFICIAL or not principal.roles & STATS_ROLES:
        raise Forbidden(_("The service indices are for officials with the leader or province role."), "stats_forbidden")
    official = session.get(Official, principal.record_id)
    if official is None:
        raise Forbidden(_("Your official account no longer exists."), "unknown_official")
    if PROVINCE_ROLE in principal.roles:
        found = session.scalars(select(Agency).where(Agency.province_code == official.agency.province_code)
                                .order_by(Agency.name)).all()
        return list(found), True
    return [official.agency], False


def _date(raw: str | None, field: str, errors: dict[str, str], strict: bool) -> dt.date | None:
    """`strict` (the API): a parameter given empty is an error; a form's empty field means the default."""
    if raw is None or (not raw.strip() and not strict):
        return None
    raw = raw.strip()
    try:
        day = dt.date.fromisoformat(raw)
    except ValueError:
        errors[field] = _("Enter a date as YYYY-MM-DD.")
        return None
    if not FIRST_DAY <= day <= LAST_DAY:
        errors[field] = _("Choose a day from %(first)s to %(last)s.",
                          first=FIRST_DAY.strftime("%d/%m/%Y"), last=LAST_DAY.strftime("%d/%m/%Y"))
        return None
    return day


def parse_filter(args: Mapping[str, str], agencies: list[Agency], province_view: bool, today: dt.date,
                 strict: bool = False) -> StatsFilter:
    errors: dict[str, str] = {}
    start, end = _date(args.get("from"), "from", errors, strict), _date(args.get("to"), "to", errors, strict)
    end = end or today
    start = start or end - dt.timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        errors["to"] = _("The end date is before the start date.")
    elif (end - start).days >= MAX_DAYS:
        errors["from"] = _("Choose a range of at most %(num)s days.", num=MAX_DAYS)
    procedure = (args.get("procedure") or "").strip() or None
    if procedure is not None and len(procedure) > 64:
        errors["procedure"] = _("Choose a procedure from the list.")
    if errors:
        raise BadRequest(_("Some filters cannot be used."), "invalid_filter", details=errors)
    chosen = [(a.id, a.code, a.name) for a in agencies]
    code = (args.get("agency") or "").strip()
    if code:
        chosen = [a for a in chosen if a[1] == code]
        if not chosen:
            raise Forbidden(_("Agency %(code)s is not among the agencies you may see.", code=code[:40]),
                            "agency_not_visible")
    return StatsFilter(tuple(chosen), procedure, start, end, province_view)
