"""The officials' lists: their agency's queue (waiting for a signature or failed) and history
(signed), filtered and paginated, plus the latest failure reason of failed results."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, selectinload

from ..batches.creation import SIGNABLE
from ..models import BatchItemStatus, Citizen, Result, SigningBatchItem, db
from ..platform.ui import TIME_ZONE
from ..results.formats import fold
from .filters import ResultFilters

_LOCAL = ZoneInfo(TIME_ZONE)


def _day_start(day: dt.date) -> dt.datetime:
    """Midnight in Vietnam: officials think in local days, the database stores UTC."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=_LOCAL)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _filtered(stmt: Select, filters: ResultFilters, date_column) -> Select:
    if filters.procedure_code:
        stmt = stmt.where(Result.procedure_code == filters.procedure_code)
    if filters.kind:
        stmt = stmt.where(Result.kind == filters.kind)
    if filters.date_from:
        stmt = stmt.where(date_column >= _day_start(filters.date_from))
    if filters.date_to:
        stmt = stmt.where(date_column < _day_start(filters.date_to + dt.timedelta(days=1)))
    if filters.citizen_id:
        stmt = stmt.where(Result.citizen.has(Citizen.personal_id == filters.citizen_id))
    if filters.dossier_code:
        pattern = f"%{_escape_like(filters.dossier_code.lower())}%"
        stmt = stmt.where(func.lower(Result.dossier_code).like(pattern, escape="\\"))
    if filters.search:
        pattern = f"%{_escape_like(filters.search.lower())}%"
        folded = f"%{_escape_like(fold(filters.search))}%"
        stmt = stmt.where(or_(func.lower(Result.citizen_name).like(pattern, escape="\\"),
                              func.lower(Result.title).like(pattern, escape="\\"),
                              Result.search_text.like(folded, escape="\\")))
    return stmt


_SORT_COLUMNS = {"received": Result.created_at, "signed": Result.signed_at, "dossier": Result.dossier_code,
                 "citizen": Result.citizen_name, "procedure": Result.procedure_name}


def _ordered(stmt: Select, filters: ResultFilters, *default) -> Select:
    if filters.sort is None:
        return stmt.order_by(*default)
    column = _SORT_COLUMNS[filters.sort.removeprefix("-")]
    first = column.desc() if filters.sort.startswith("-") else column.asc()
    return stmt.order_by(first, Result.dossier_code)


def queue_statement(agency_id: int, filters: ResultFilters) -> Select:
    """The agency's results waiting for a signature or whose signing failed, oldest first."""
    stmt = select(Result).where(Result.agency_id == agency_id, Result.status.in_(SIGNABLE))
    return _ordered(_filtered(stmt, filters, Result.created_at), filters, Result.created_at, Result.dossier_code)


def queue(agency_id: int, filters: ResultFilters) -> Pagination:
    stmt = queue_statement(agency_id, filters)
    return db.paginate(stmt, page=filters.page, per_page=filters.per_page, error_out=False, count=True)


def history(agency_id: int, filters: ResultFilters) -> Pagination:
    """The agency's signed results (also those delivered or annulled since), newest first."""
    stmt = (
        select(Result)
        .where(Result.agency_id == agency_id, Result.signed_at.is_not(None))
        .options(selectinload(Result.signatures))
    )
    stmt = _ordered(_filtered(stmt, filters, Result.signed_at), filters, Result.signed_at.desc(), Result.dossier_code)
    return db.paginate(stmt, page=filters.page, per_page=filters.per_page, error_out=False, count=True)


def procedures(session: Session, agency_id: int) -> list[tuple[str, str]]:
    """(code, name) of every procedure the agency has results of, for the filter's list."""
    rows = session.execute(
        select(Result.procedure_code, func.min(Result.procedure_name))
        .where(Result.agency_id == agency_id)
        .group_by(Result.procedure_code)
        .order_by(Result.procedure_code)
    )
    return [(code, name) for code, name in rows]


def failure_reasons(session: Session, result_ids: list[str]) -> dict[str, str]:
    """Why each of these results last failed to be signed (from its newest failed batch item)."""
    if not result_ids:
        return {}
    rows = session.execute(
        select(SigningBatchItem.result_id, SigningBatchItem.error)
        .where(SigningBatchItem.result_id.in_(result_ids), SigningBatchItem.status == BatchItemStatus.FAILED)
        .order_by(SigningBatchItem.id)
    )
    return {result_id: error or "" for result_id, error in rows}  # later rows overwrite earlier ones
