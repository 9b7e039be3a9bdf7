"""Returning a dossier (trả lại hồ sơ): an official who may sign decides not to issue the result and
sends the dossier back to the case system that submitted it, with the reason. Unlike an annulment,
nothing was issued: the result was never signed, and the citizen's wallet never showed it as theirs.
The case systems configured as delivery targets are told through the outbox, in the same transaction."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from . import audit
from ..access import OFFICIAL, Principal, can_read_result
from ..models import InvalidTransition, Result, ResultStatus, utcnow
from ..platform.errors import Conflict, Forbidden, NotFound, Unprocessable
from .annulment import MAX_REASON, MIN_REASON
from .events import ResultEvents

RETURN_ROLE = "signer"
"""Who decides to sign a result decides not to."""


def return_dossier(session: Session, principal: Principal, result_id: str, reason: str,
                   events: ResultEvents) -> Result:
    if principal.kind != OFFICIAL or RETURN_ROLE not in principal.roles:
        raise Forbidden(_("Only officials with the signer role may return dossiers."), "not_allowed_to_return")
    result = session.get(Result, result_id)
    if result is None or not can_read_result(principal, result):
        raise NotFound(_("There is no such result in your agency."))
    reason = " ".join((reason or "").split())
    if not MIN_REASON <= len(reason) <= MAX_REASON:
        raise Unprocessable(_("Give the reason for returning the dossier (%(min)s to %(max)s characters).",
                              min=MIN_REASON, max=MAX_REASON), "invalid_reason")
    try:
        result.move_to(ResultStatus.RETURNED)
    except InvalidTransition:
        if result.status == ResultStatus.RETURNED:
            raise Conflict(_("This dossier was returned already."), "already_returned") from None
        raise Conflict(_("Only a result waiting for a signature can be returned; a signed one is annulled "
                         "instead."), "not_returnable") from None
    result.returned_at = utcnow()
    result.return_reason = reason
    events.returned(session, result)
    audit.record(session, principal.actor, "result.returned", result.id, reason=reason)
    session.commit()
    return result
