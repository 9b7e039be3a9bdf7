"""Reuse with consent: a citizen shares a signed certified copy with one agency until a time; that
agency's case systems read it (the signed PDF and the confirmed fields) while the share is valid.
Every read, and every refused one, is an audit event the citizen sees with the share."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from .kinds import KIND, STATION
from ..access import CITIZEN, CLIENT, Principal, can_read_result
from ..models import Agency, AuditEvent, Citizen, Result, ResultStatus, utcnow
from .models import CopyShare
from ..platform.errors import Forbidden, NotFound, Unprocessable
from ..results import audit

MAX_SHARE_DAYS = 365
SHAREABLE = frozenset({ResultStatus.SIGNED, ResultStatus.DELIVERED})
READ, REFUSED = "copy.share_read", "copy.share_refused"


@dataclass(frozen=True)
class ShareRead:
    at: dt.datetime
    client: str


def _citizen(principal: Principal) -> None:
    if principal.kind != CITIZEN:
        raise Forbidden(_("Only the citizen whose copy it is may share it."), "citizens_only")


def create_share(session: Session, principal: Principal, copy_id: str, agency_code: str,
                 valid_until: dt.datetime) -> CopyShare:
    _citizen(principal)
    result = session.get(Result, copy_id)
    if result is None or result.kind != KIND or not can_read_result(principal, result):
        raise NotFound(_("You have no such digitised document."))
    if result.status not in SHAREABLE:
        raise Unprocessable(_("Only a certified (signed) copy that is not annulled can be shared."), "copy_not_shareable")
    agency = session.scalar(select(Agency).where(Agency.code == agency_code))
    if agency is None:
        raise Unprocessable(_("Unknown agency %(code)s.", code=agency_code), "unknown_agency")
    now = utcnow()
    if not now < valid_until <= now + dt.timedelta(days=MAX_SHARE_DAYS):
        raise Unprocessable(_("A share must end in the future and at most %(days)s days from now.", days=MAX_SHARE_DAYS),
                            "invalid_valid_until")
    share = CopyShare(result_id=result.id, agency_id=agency.id, valid_until=valid_until, created_at=now)
    session.add(share)
    session.flush()
    audit.record(session, principal.actor, "copy.shared", result.id, share=share.id, agency=agency.code,
                 valid_until=valid_until.isoformat())
    session.commit()
    return share


def _own_share(session: Session, principal: Principal, share_id: str) -> CopyShare:
    _citizen(principal)
    share = session.get(CopyShare, share_id)
    if share is None or not can_read_result(principal, share.result):
        raise NotFound(_("You have no such share."))
    return share


def revoke_share(session: Session, principal: Principal, share_id: str) -> CopyShare:
    share = _own_share(session, principal, share_id)
    if share.revoked_at is None:
        share.revoked_at = utcnow()
        audit.record(session, principal.actor, "copy.share_revoked", share.result_id, share=share.id)
        session.commit()
    return share


def citizen_shares(session: Session, principal: Principal) -> list[tuple[CopyShare, list[ShareRead]]]:
    """The citizen's shares, newest first, each with its reads by case systems."""
    _citizen(principal)
    shares = list(session.scalars(
        select(CopyShare).join(Result, CopyShare.result_id == Result.id).join(Citizen, Result.citizen_id == Citizen.id)
        .where(Citizen.personal_id == principal.personal_id).order_by(CopyShare.created_at.desc())))
    ids = [s.result_id for s in shares]
    reads: dict[str, list[ShareRead]] = {s.id: [] for s in shares}
    events = session.scalars(select(AuditEvent).where(AuditEvent.action == READ, AuditEvent.result_id.in_(ids))
                             .order_by(AuditEvent.id)) if ids else []
    for event in events:
        if event.details.get("share") in reads:
            reads[event.details["share"]].append(ShareRead(event.occurred_at, event.details.get("client", "")))
    return [(share, reads[share.id]) for share in shares]


def read_shared(session: Session, principal: Principal, share_id: str) -> CopyShare:
    """The share, if the calling case system may read it now; 403 otherwise, audited either way."""
    if principal.kind != CLIENT or STATION in principal.roles:
        raise Forbidden(_("Only a case system may read a shared document."), "not_a_case_system")
    share = session.get(CopyShare, share_id)
    if share is None or share.agency.code not in principal.agency_codes:
        # No share for this agency: nothing to audit against, and nothing about other agencies' shares leaks.
        raise Forbidden(_("The citizen has not shared this document with your agency."), "no_share")
    now = utcnow()
    refusal = None
    if share.revoked_at is not None:
        refusal = (_("The citizen has withdrawn this share."), "share_revoked")
    elif share.valid_until <= now:
        refusal = (_("This share has expired."), "share_expired")
    elif share.result.status not in SHAREABLE:
        refusal = (_("This certified copy has been annulled."), "copy_annulled")
    details = {"share": share.id, "client": principal.display_name, "agency": share.agency.code}
    if refusal is not None:
        audit.record(session, principal.actor, REFUSED, share.result_id, reason=refusal[1], **details)
        session.commit()
        raise Forbidden(*refusal)
    audit.record(session, principal.actor, READ, share.result_id, **details)
    session.commit()
    return share
