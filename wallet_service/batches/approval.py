"""A batch waits for its official's own approval, and is given up when none comes.

An official's key is theirs alone to use: a batch of an official whose key needs their approval
(`signing.keys.HolderApproval`) is created `awaiting_authorisation`; its documents are prepared
(`preparation`) and the official approves exactly their digests (`authorisation`). The results are
claimed only then, so a wrong PIN leaves them waiting in the queue. A batch that is not approved in
time (`BATCH_AUTHORISATION_SECONDS`) expires: anything not signed goes back to the queue, nothing is
half-signed (a signature value that no published PDF carries signs nothing)."""
from __future__ import annotations

import datetime as dt

from flask import Flask
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..models import BatchItemStatus, BatchStatus, Result, ResultStatus, SigningBatch, SigningBatchItem, db, utcnow
from ..results import audit
from ..services import services
from .journals import discard_journal

ASK_AGAIN = frozenset({"authorisation_required", "authorisation_expired", "csc_unreachable"})
"""Key source refusals after which the official is asked to approve the rest again."""


def approval_deadline(app: Flask) -> dt.datetime:
    return utcnow() + dt.timedelta(seconds=services(app).settings.batches.authorisation_seconds)


def ask_again(app: Flask, session: Session, batch_id: str, attempt: int, note: str) -> None:
    """Hand a running batch back to its official (only while `attempt` still holds it)."""
    moved = session.execute(
        update(SigningBatch)
        .where(SigningBatch.id == batch_id, SigningBatch.attempt == attempt)
        .values(status=BatchStatus.AWAITING_AUTHORISATION, lease_until=None, authorise_by=approval_deadline(app),
                note=note)
    ).rowcount
    if moved:
        audit.record(session, "system", "batch.authorisation_needed", None, batch=batch_id, reason=note)
    session.commit()


def expire_unapproved(app: Flask) -> int:
    """Give up every batch whose approval time ran out; how many."""
    session = db.session
    overdue = session.scalars(
        select(SigningBatch.id).where(SigningBatch.status == BatchStatus.AWAITING_AUTHORISATION,
                                      SigningBatch.authorise_by < utcnow())
    ).all()
    return sum(expire(app, session, batch_id, "authorisation_timeout") for batch_id in overdue)


def expire(app: Flask, session: Session, batch_id: str, reason: str) -> bool:
    """Give the batch up now if it is still awaiting approval: unsigned results back to the queue."""
    batch = session.get(SigningBatch, batch_id)
    moved = session.execute(
        update(SigningBatch)
        .where(SigningBatch.id == batch_id, SigningBatch.status == BatchStatus.AWAITING_AUTHORISATION)
        .values(status=BatchStatus.EXPIRED, finished_at=utcnow(), authorise_by=None, note=reason)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not moved:
        session.rollback()
        return False
    unsigned = session.scalars(
        select(SigningBatchItem.result_id).where(SigningBatchItem.batch_id == batch_id,
                                                 SigningBatchItem.status == BatchItemStatus.QUEUED)
    ).all()
    session.execute(
        update(SigningBatchItem)
        .where(SigningBatchItem.batch_id == batch_id, SigningBatchItem.status == BatchItemStatus.QUEUED)
        .values(status=BatchItemStatus.RELEASED)
    )
    if batch.authorised_at is not None:  # its results were claimed at the first approval
        session.execute(
            update(Result)
            .where(Result.id.in_(unsigned), Result.status == ResultStatus.SIGNING)
            .values(status=ResultStatus.PENDING_SIGNATURE, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )
    audit.record(session, "system", "batch.expired", None, batch=batch_id, reason=reason, released=list(unsigned))
    session.commit()
    discard_journal(app, batch_id)
    return True
