"""Creating a signing batch: an official with the signer role selects pending results of the
agency; they are claimed for the batch at once, or the whole selection is refused."""
from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from signing.keys import HolderApproval

from ..access import OFFICIAL, Principal
from ..copies.kinds import CERTIFIER_ROLE, KIND as COPY
from ..copies.models import CertifiedCopy
from ..models import BatchItemStatus, BatchStatus, Official, Result, ResultStatus, SigningBatch, SigningBatchItem, utcnow
from ..platform.errors import BadRequest, Conflict, Forbidden, Unprocessable
from ..platform.id_lists import among, insert_each
from ..results import audit

SIGNER_ROLE = "signer"
MAX_BATCH = 1000
SIGNABLE = (ResultStatus.PENDING_SIGNATURE, ResultStatus.FAILED)
# What the checks read of each selected result: columns, not up to 1,000 whole objects.
_SELECTED = select(Result.id, Result.kind, Result.status, CertifiedCopy.confirmed).outerjoin(
    CertifiedCopy, CertifiedCopy.result_id == Result.id)


def create_batch(session: Session, principal: Principal, result_ids: list[str],
                 approval: HolderApproval | None = None, authorise_by: dt.datetime | None = None) -> SigningBatch:
    """Claim the results for a new batch, or refuse naming why; nothing is claimed on refusal.
    With `approval` (the official's key needs their own approval) the batch awaits it until
    `authorise_by`, and the results are claimed only when it comes."""
    if principal.kind != OFFICIAL or not {SIGNER_ROLE, CERTIFIER_ROLE} & principal.roles:
        raise Forbidden("Only officials with the signer role may sign results.", "not_a_signer")
    ids = list(dict.fromkeys(result_ids))
    if not ids:
        raise BadRequest("Select at least one result to sign.", "empty_batch")
    if len(ids) > MAX_BATCH:
        raise BadRequest(f"A batch holds at most {MAX_BATCH} results.", "batch_too_large")
    official = session.get(Official, principal.record_id)
    visible = {r.id: r for r in session.execute(
        _SELECTED.where(among(session, Result.id, ids), Result.agency_id == official.agency_id))}
    unknown = [i for i in ids if i not in visible]
    if unknown:
        # Results of other agencies are reported as unknown: their ids reveal nothing.
        raise Unprocessable("Some results do not exist or are not your agency's.", "unknown_results", details={"result_ids": unknown})
    _check_kinds(principal, [visible[i] for i in ids])
    if approval is None:
        claimed = session.execute(
            update(Result)
            .where(among(session, Result.id, ids), Result.status.in_(SIGNABLE))
            .values(status=ResultStatus.SIGNING, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        ).rowcount
    else:
        claimed = sum(r.status in SIGNABLE for r in visible.values())
    if claimed != len(ids):
        session.rollback()
        states = dict(session.execute(select(Result.id, Result.status).where(among(session, Result.id, ids))).all())
        busy = {i: s for i, s in states.items() if s not in SIGNABLE}
        raise Conflict("Some results are not waiting for a signature.", "not_signable", details={"results": busy})
    batch = SigningBatch(official_id=official.id)
    if approval is not None:
        batch.status, batch.authorisation, batch.authorise_by = BatchStatus.AWAITING_AUTHORISATION, approval, authorise_by
        batch.agent_nonce = secrets.token_urlsafe(24) if approval is HolderApproval.AGENT else None
    session.add(batch)
    session.flush()
    # Written with Core, in the order selected (their ids order the batch): the ORM's unit of work cost
    # ~0.1 ms an item.
    insert_each(session, SigningBatchItem.__table__, "result_id", ids, batch_id=batch.id, status=BatchItemStatus.QUEUED)
    audit.record(session, principal.actor, "batch.created", None, batch=batch.id, results=ids)
    session.commit()
    return batch


def _check_kinds(principal: Principal, results: list) -> None:
    """Results (rows of `_SELECTED`) are signed by signers; certified copies by certifiers, once their
    fields are confirmed."""
    copies = [r for r in results if r.kind == COPY]
    if len(copies) < len(results) and SIGNER_ROLE not in principal.roles:
        raise Forbidden("Only officials with the signer role may sign results.", "not_a_signer")
    if copies and CERTIFIER_ROLE not in principal.roles:
        raise Forbidden("Only officials with the certifier role may sign certified copies.", "not_a_certifier")
    unconfirmed = [r.id for r in copies if r.confirmed is None]
    if unconfirmed:
        raise Conflict("Confirm the fields of these certified copies before signing them.", "copy_not_confirmed",
                       details={"result_ids": unconfirmed})
