"""Annulling a result: an official with the `annul` role withdraws it. Everything that must follow
(status-list bit, external stores) receives the `result_annulled` signal and happens in the
same transaction, so a result is never annulled halfway."""
from __future__ import annotations

from sqlalchemy.orm import Session

from . import audit
from ..access import OFFICIAL, Principal, can_read_result
from ..models import InvalidTransition, Result, ResultStatus, utcnow
from ..platform.errors import Conflict, Forbidden, NotFound, Unprocessable
from .events import ResultEvents

ANNUL_ROLE = "annul"
MIN_REASON, MAX_REASON = 5, 1000


def annul(session: Session, principal: Principal, result_id: str, reason: str, events: ResultEvents) -> Result:
    if principal.kind != OFFICIAL or ANNUL_ROLE not in principal.roles:
        raise Forbidden("Only officials with the annul role may annul results.", "not_allowed_to_annul")
    result = session.get(Result, result_id)
    if result is None or not can_read_result(principal, result):
        raise NotFound("No such result.")
    reason = (reason or "").strip()
    if not MIN_REASON <= len(reason) <= MAX_REASON:
        raise Unprocessable(
            f"Give the reason for the annulment ({MIN_REASON} to {MAX_REASON} characters).", "invalid_reason"
        )
    try:
        result.move_to(ResultStatus.ANNULLED)
    except InvalidTransition:
        if result.status == ResultStatus.ANNULLED:
            raise Conflict("This result was annulled already.", "already_annulled") from None
        raise Conflict(f"A result that is {result.status} cannot be annulled now; wait until it is signed.", "not_annullable") from None
    result.annulled_at = utcnow()
    result.annulment_reason = reason
    events.annulled(session, result)
    audit.record(session, principal.actor, "result.annulled", result.id, reason=reason)
    session.commit()
    return result
