"""Preparing a batch that waits for its official's approval: every document gets its signature field
and stamp, and the digest the official's key is to sign, in the batch's journal. The official then
approves exactly those digests (`authorisation`), and signing goes on from the same journal."""
from __future__ import annotations

import logging

from flask import Flask
from sqlalchemy import and_, or_, update
from sqlalchemy.orm import Session

from signing.errors import SigningError, TrustServiceError

from ..keys.errors import KeyUnavailable
from ..models import BatchItemStatus, BatchStatus, Official, SigningBatch, db, utcnow
from ..services import services
from . import approval
from .journals import open_journal
from .plan import batch_items, batch_steps
from .leases import lease

log = logging.getLogger(__name__)

TASK = "prepare_batch"


def prepare_batch(app: Flask, batch_id: str) -> None:
    """The `prepare_batch` task. Idempotent: what is prepared stays, a second run does the rest."""
    session = db.session
    if not _take(session, batch_id, app):
        return
    batch = session.get(SigningBatch, batch_id)
    official = session.get(Official, batch.official_id)
    ids = [item.result_id for item in batch.items if item.status == BatchItemStatus.QUEUED]
    journal = open_journal(app, batch_id)
    try:
        items = batch_items(app, session, official, ids, stamped=journal.states(0))
        services(app).batch_signer.get().prepare(items, batch_steps(app, official), journal)
    except TrustServiceError as exc:
        # The lease runs out and the resume round prepares the rest; the page says why it waits.
        log.warning("preparing batch %s waits for a trust service: %s", batch_id, exc)
        _note(session, batch_id, f"waiting: {exc.code}: {exc}")
        return
    except (SigningError, KeyUnavailable) as exc:
        session.rollback()
        approval.expire(app, session, batch_id, f"{exc.code}: {getattr(exc, 'message', exc)}")
        return
    finally:
        journal.close()
    session.execute(
        update(SigningBatch)
        .where(SigningBatch.id == batch_id, SigningBatch.status == BatchStatus.AWAITING_AUTHORISATION)
        .values(prepared_at=utcnow(), lease_until=None, note=None)
    )
    session.commit()


def _take(session: Session, batch_id: str, app: Flask) -> bool:
    """Hold the batch's preparation for one lease (two workers must not prepare the same document)."""
    now = utcnow()
    taken = session.execute(
        update(SigningBatch)
        .where(SigningBatch.id == batch_id, SigningBatch.status == BatchStatus.AWAITING_AUTHORISATION,
               SigningBatch.prepared_at.is_(None),
               or_(SigningBatch.lease_until.is_(None), and_(SigningBatch.lease_until < now)))
        .values(lease_until=now + lease(app))
        .execution_options(synchronize_session=False)
    ).rowcount
    session.commit()
    return bool(taken)


def _note(session: Session, batch_id: str, note: str) -> None:
    session.rollback()
    session.execute(update(SigningBatch).where(SigningBatch.id == batch_id).values(note=note))
    session.commit()
