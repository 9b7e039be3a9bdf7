"""The official approves their batch: with their PIN and one-time code (a remote-signing credential,
CSC v2 at SCAL2), or with the signature values their USB token made through their signing agent.

The PIN and the code pass through this request's memory once: they go to the remote service's
`credentials/authorize` with every digest of the batch and are dropped; the worker gets the
Signature Activation Data it answered (`runner.run_batch(secret=...)`), never them. Agent signatures are
checked one by one against the official's certificate before anything is kept."""
from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from flask import Flask
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from signing.errors import JournalError, KeySourceError
from signing.keys import HolderApproval, HolderSecrets, signature_check

from ..access import Principal
from ..models import (
    BatchItemStatus, BatchStatus, Official, Result, ResultStatus, SigningBatch, SigningBatchItem, utcnow,
)
from ..platform import jobs
from ..platform.errors import BadGateway, Conflict, Forbidden, NotFound, ServiceUnavailable, Unprocessable
from ..results import audit
from ..services import services
from . import approval
from .creation import SIGNABLE
from .journals import open_journal
from .plan import official_key
from .leases import lease
from .runner import TASK

DIGEST_ALGORITHM = "sha256"


@dataclass(frozen=True)
class ToSign:
    """What the official's agent signs for a batch: each result's to-be-signed digest."""

    batch_id: str
    nonce: str
    digests: tuple[tuple[str, bytes], ...]


def own_batch(session: Session, principal: Principal, batch_id: str) -> SigningBatch:
    """The batch, if it is this official's: only its creator may approve it, since the signature is theirs."""
    batch = session.get(SigningBatch, batch_id)
    if batch is None or session.get(Official, batch.official_id).agency.code not in principal.agency_codes:
        raise NotFound(_("There is no such signing batch in your agency."))
    if batch.official_id != principal.record_id:
        raise Forbidden(_("Only the official who created this batch can authorise it: the signature is theirs."),
                        "not_your_batch")
    return batch


def awaiting(app: Flask, session: Session, principal: Principal, batch_id: str) -> SigningBatch:
    """The official's batch if it is ready for their approval now; else a 409 saying why not."""
    batch = own_batch(session, principal, batch_id)
    if batch.status == BatchStatus.AWAITING_AUTHORISATION and batch.authorise_by < utcnow():
        approval.expire(app, session, batch.id, "authorisation_timeout")
        session.refresh(batch)
    if batch.status == BatchStatus.EXPIRED:
        raise Conflict(_("This batch expired before it was authorised; its documents are back in the queue. "
                         "Select them and sign again."), "batch_expired")
    if batch.status != BatchStatus.AWAITING_AUTHORISATION:
        raise Conflict(_("This batch is not waiting for your authorisation."), "not_awaiting_authorisation")
    if batch.prepared_at is None:
        raise Conflict(_("The documents are still being prepared; try again in a moment."), "not_ready")
    return batch


def to_sign(app: Flask, batch: SigningBatch) -> ToSign:
    journal = open_journal(app, batch.id)
    try:
        return ToSign(batch.id, batch.agent_nonce or "", tuple(journal.pending_digests(0)))
    finally:
        journal.close()


def approve_with_codes(app: Flask, session: Session, principal: Principal, batch_id: str,
                       holder: HolderSecrets) -> SigningBatch:
    batch = awaiting(app, session, principal, batch_id)
    official = session.get(Official, batch.official_id)
    source = official_key(app, official)
    if source.holder_approval is not HolderApproval.CODES:
        raise Conflict(_("Your key is not approved with a PIN and one-time code."), "wrong_authorisation_method")
    pending = to_sign(app, batch).digests
    handover = None
    if pending:
        try:
            given = source.authorize([d for _, d in pending], DIGEST_ALGORITHM, holder=holder)
        except KeySourceError as exc:
            session.rollback()
            services(app).metrics.authorisation_refusals.labels(reason=exc.code).inc()
            raise _refusal(exc) from None
        handover = given.handover()
    _queue(app, session, principal, batch, source.identity().certificate.sha256.hex(), pending, handover)
    return batch


def approve_with_signatures(app: Flask, session: Session, principal: Principal, batch_id: str,
                            nonce: str, signatures: list[dict]) -> SigningBatch:
    batch = awaiting(app, session, principal, batch_id)
    source = official_key(app, session.get(Official, batch.official_id))
    if source.holder_approval is not HolderApproval.AGENT:
        raise Conflict(_("Your key is not on a USB token signed through the agent."), "wrong_authorisation_method")
    if nonce != batch.agent_nonce:
        raise Conflict(_("These signatures were made for another batch or an earlier request; sign this batch again."),
                       "wrong_batch")
    pending = to_sign(app, batch).digests
    values = _agent_values(signatures, [rid for rid, _ in pending])
    check = signature_check(source.identity().certificate)
    forged = [rid for rid, digest in pending if not check(values[rid], digest)]
    if forged:
        services(app).metrics.authorisation_refusals.labels(reason="bad_signature").inc()
        raise Unprocessable(_("Some signatures were not made by the key of your certificate; nothing was signed."),
                            "bad_signature", details={"result_ids": forged})
    journal = open_journal(app, batch.id)
    try:
        journal.save_signatures(0, [(rid, values[rid]) for rid, _ in pending])
    except JournalError:
        raise Conflict(_("This batch's documents were signed already."), "already_signed") from None
    finally:
        journal.close()
    _queue(app, session, principal, batch, source.identity().certificate.sha256.hex(), pending, None)
    return batch


def _agent_values(signatures: list[dict], expected: list[str]) -> dict[str, bytes]:
    values: dict[str, bytes] = {}
    for entry in signatures:
        try:
            values[entry["result_id"]] = base64.b64decode(entry["signature"], validate=True)
        except (binascii.Error, ValueError):
            raise Unprocessable(_("A signature is not valid Base64."), "bad_signature_encoding",
                                details={"result_id": entry["result_id"]}) from None
    if sorted(values) != sorted(expected) or len(signatures) != len(expected):
        raise Unprocessable(_("The signatures do not match this batch's documents: one for each, no more."),
                            "signatures_do_not_match",
                            details={"missing": sorted(set(expected) - set(values)),
                                     "unexpected": sorted(set(values) - set(expected))})
    return values


def _queue(app: Flask, session: Session, principal: Principal, batch: SigningBatch, certificate: str,
           pending: tuple[tuple[str, bytes], ...], handover: str | None) -> None:
    """Record the approval and hand the batch to a worker; the first approval claims its results."""
    now = utcnow()
    if batch.authorised_at is None:
        _claim_results(app, session, batch)
    batch.status = BatchStatus.QUEUED
    # Kept for one lease for the job that carries the approval (see runner.claim_batch).
    batch.lease_until = now + lease(app) if handover else None
    batch.authorised_at = batch.authorised_at or now
    batch.authorise_by = batch.note = None
    audit.record(session, principal.actor, "batch.authorised", None, batch=batch.id, method=batch.authorisation,
                 certificate_sha256=certificate, digest_algorithm=DIGEST_ALGORITHM,
                 documents={rid: digest.hex() for rid, digest in pending})
    session.commit()
    jobs.runner(app).submit(TASK, batch.id, secret=handover)


def _claim_results(app: Flask, session: Session, batch: SigningBatch) -> None:
    ids = session.scalars(
        select(SigningBatchItem.result_id).where(SigningBatchItem.batch_id == batch.id,
                                                 SigningBatchItem.status == BatchItemStatus.QUEUED)
    ).all()
    claimed = session.execute(
        update(Result)
        .where(Result.id.in_(ids), Result.status.in_(SIGNABLE))
        .values(status=ResultStatus.SIGNING, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != len(ids):
        session.rollback()
        approval.expire(app, session, batch.id, "results_changed")
        raise Conflict(_("Some of these results were signed, annulled or taken into another batch meanwhile; "
                         "nothing was signed. Select the results again."), "not_signable")


def _refusal(exc: KeySourceError):
    if exc.code == "authorisation_refused":
        left = exc.remaining_attempts
        message = _("The PIN or the one-time code is not correct.")
        if left is not None:
            message += " " + _("%(num)s attempts left.", num=left)
        return Forbidden(message, "authorisation_refused", extra={"remaining_attempts": left})
    if exc.code == "authorisation_locked":
        return Forbidden(_("Your signing credential is locked after too many wrong PINs or codes; contact your "
                           "remote signing provider to unlock it."), "authorisation_locked",
                         extra={"remaining_attempts": 0})
    if exc.code == "csc_unreachable":
        return ServiceUnavailable(_("The remote signing service cannot be reached; nothing was signed. Try again "
                                    "in a moment."), "remote_signing_unavailable")
    return BadGateway(_("The remote signing service refused the request (%(code)s); nothing was signed.",
                        code=exc.code), "remote_signing_error")
