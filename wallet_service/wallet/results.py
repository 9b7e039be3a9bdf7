"""Which results a citizen sees, and how each looks to them.

Every result of theirs is listed, from the moment the case system posts it: a citizen whose
dossier was decided expects to see it coming. Until it is signed it shows as "processing", with
nothing to download (the unsigned draft has no legal force, so the wallet does not hand it out);
signed and delivered results are "issued" (download, verification QR, add to a wallet app);
annulled ones stay listed, marked, with the reason, so the citizen learns why a paper they hold
no longer counts (the signed PDF stays downloadable; every verification says it is annulled)."""
from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import Select, bindparam, func, or_, select
from sqlalchemy.orm import Session, joinedload, scoped_session

from ..access import CITIZEN, Principal, can_read_result
from ..copies.kinds import KIND as COPY
from ..models import Agency, Citizen, Result, ResultStatus
from ..platform.ui import TIME_ZONE
from ..results.formats import fold
from .query import WalletQuery


class Stage(str, enum.Enum):
    PROCESSING = "processing"
    ISSUED = "issued"
    ANNULLED = "annulled"
    RETURNED = "returned"
    """Not issued: the agency returned the dossier to the one-stop shop, with its reason."""


_STAGES = {
    ResultStatus.PENDING_SIGNATURE: Stage.PROCESSING,
    ResultStatus.SIGNING: Stage.PROCESSING,
    ResultStatus.FAILED: Stage.PROCESSING,  # a failed signing is retried by the agency, not the citizen's concern
    ResultStatus.SIGNED: Stage.ISSUED,
    ResultStatus.DELIVERED: Stage.ISSUED,
    ResultStatus.ANNULLED: Stage.ANNULLED,
    ResultStatus.RETURNED: Stage.RETURNED,
}


def stage(result: Result) -> Stage:
    return _STAGES[result.status]


def downloadable(result: Result) -> bool:
    """Only a signed PDF is handed out to the citizen."""
    return result.signed_sha256 is not None and stage(result) is not Stage.PROCESSING


def offerable(result: Result) -> bool:
    """May go into a wallet app as a credential (the issuer refuses anything else, too)."""
    return stage(result) is Stage.ISSUED


# Built once: composing this statement cost more CPU than running it (a listing is the busiest read).
_CITIZEN_RESULTS = (
    select(Result)
    .join(Citizen, Result.citizen_id == Citizen.id)
    .options(joinedload(Result.agency))  # every item names its agency: one query, not one per agency
    .where(Citizen.personal_id == bindparam("personal_id"))
    .order_by(Result.created_at.desc(), Result.id)
)
_CITIZEN_PAGE = _CITIZEN_RESULTS.limit(bindparam("limit")).offset(bindparam("offset"))
_CITIZEN_COUNT = (
    select(func.count(Result.id))
    .join(Citizen, Result.citizen_id == Citizen.id)
    .where(Citizen.personal_id == bindparam("personal_id"))
)
_LOCAL = ZoneInfo(TIME_ZONE)


@dataclass(frozen=True)
class WalletPage:
    """One page of a citizen's results and how many match in all."""

    items: tuple[Result, ...]
    total: int
    query: WalletQuery

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.query.per_page))


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _contains(column, pattern: str):
    return func.lower(column).like(pattern, escape="\\")


def _narrowed(stmt: Select, query: WalletQuery) -> Select:
    if query.agency_code:
        stmt = stmt.where(Result.agency.has(Agency.code == query.agency_code))
    if query.year:
        # The year the citizen sees on the item: signed on, or received on while not signed yet.
        moment = func.coalesce(Result.signed_at, Result.created_at)
        start = dt.datetime(query.year, 1, 1, tzinfo=_LOCAL)
        stmt = stmt.where(moment >= start, moment < start.replace(year=query.year + 1))
    if query.search:
        pattern = f"%{_escape_like(query.search.lower())}%"
        columns = (Result.title, Result.procedure_name, Result.procedure_code, Result.dossier_code)
        folded = f"%{_escape_like(fold(query.search))}%"  # "giay phep" finds "Giấy phép"
        stmt = stmt.where(or_(*(_contains(c, pattern) for c in columns), Result.search_text.like(folded, escape="\\"),
                              Result.agency.has(_contains(Agency.name, pattern))))
    return stmt


def _read_only(session: Session | scoped_session) -> None:
    """One SELECT is its own snapshot, so it runs outside a transaction when it is the request's
    first use of the database: no BEGIN and no ROLLBACK round trips. The listing's callers only read."""
    if (session() if isinstance(session, scoped_session) else session).get_transaction() is None:
        session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


def citizen_results(session: Session | scoped_session, principal: Principal,
                    query: WalletQuery = WalletQuery()) -> WalletPage:
    """A page of the citizen's own results, newest first; nobody else's, whoever asks. One query,
    plus a count only when the page does not tell the total (it is full, or past the end)."""
    if principal.kind != CITIZEN or not principal.personal_id:
        return WalletPage((), 0, query)
    _read_only(session)
    params = {"personal_id": principal.personal_id, "limit": query.per_page, "offset": query.offset}
    if query.narrowed:
        stmt = _narrowed(_CITIZEN_RESULTS, query).limit(query.per_page).offset(query.offset)
        items = tuple(session.scalars(stmt, params))
    else:
        items = tuple(session.scalars(_CITIZEN_PAGE, params))
    if items and len(items) < query.per_page:
        return WalletPage(items, query.offset + len(items), query)
    if not items and query.page == 1:
        return WalletPage(items, 0, query)
    count = _narrowed(_CITIZEN_COUNT, query) if query.narrowed else _CITIZEN_COUNT
    return WalletPage(items, session.scalar(count, params), query)


def citizen_facets(session: Session, principal: Principal) -> tuple[list[tuple[str, str]], list[int]]:
    """The citizen's agencies (code, name) and the years of their results, for the page's filters."""
    if principal.kind != CITIZEN or not principal.personal_id:
        return [], []
    moment = func.coalesce(Result.signed_at, Result.created_at)
    rows = session.execute(
        select(Agency.code, Agency.name, func.min(moment), func.max(moment))
        .join(Result, Result.agency_id == Agency.id)
        .join(Citizen, Result.citizen_id == Citizen.id)
        .where(Citizen.personal_id == principal.personal_id)
        .group_by(Agency.code, Agency.name)
        .order_by(Agency.name)
    ).all()
    years = {y for _code, _name, first, last in rows
             for y in range(first.astimezone(_LOCAL).year, last.astimezone(_LOCAL).year + 1)}
    return [(code, name) for code, name, _first, _last in rows], sorted(years, reverse=True)


def citizen_copies(session: Session, principal: Principal) -> list[Result]:
    """The citizen's certified copies (digitised documents), newest first: a citizen has a handful."""
    if principal.kind != CITIZEN or not principal.personal_id:
        return []
    return list(session.scalars(
        select(Result).join(Citizen, Result.citizen_id == Citizen.id)
        .where(Citizen.personal_id == principal.personal_id, Result.kind == COPY)
        .order_by(Result.created_at.desc(), Result.id)))


def citizen_result(session: Session, principal: Principal, result_id: str) -> Result | None:
    result = session.get(Result, result_id)
    if result is None or principal.kind != CITIZEN or not can_read_result(principal, result):
        return None
    return result
