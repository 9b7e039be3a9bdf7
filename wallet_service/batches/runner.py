"""Running a signing batch: the `signing` pipeline signs each result (the official's signature, then
the agency seal) and each outcome is recorded result by result.

Exactly-once, across crashes and several workers:
- results are claimed for a batch with one conditional UPDATE (two batches never hold a result);
- a worker runs a batch only after claiming it: status `running`, a lease it keeps renewing, and a
  new attempt number; when a worker dies its lease runs out and another worker takes the batch over;
- the pipeline's journal (in the database) keeps every prepared document and signature value, so a batch
  resumed on any machine finishes what it had instead of signing again;
- outcomes are recorded a group at a time (`RECORD_GROUP`, one transaction each), fenced by the attempt
  number: an item leaves `queued` only if the batch is still this worker's, so a recorded item is never
  recorded twice and a worker that outlived its lease writes nothing; a crash mid-group rolls the whole
  group back, and the journal gives its PDFs again to whoever resumes the batch.

Each group's commit queues a delivery round (`delivery.deliver_soon`) instead of leaving its deliveries
to the next poll."""
from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Iterable, Iterator
from concurrent.futures.process import BrokenProcessPool
from itertools import islice

from flask import Flask
from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.orm import Session, joinedload

from signing.errors import KeySourceError, SigningError, TrustServiceError
from signing.keys import ApprovedKey, HolderApproval, KeySource
from signing.pipeline import BatchSigner, ItemOutcome
from signing.stamp import StampFont

from ..delivery import deliver_soon
from ..keys.directory import key_directory
from ..keys.errors import KeyUnavailable
from ..models import (
    BatchItemStatus, BatchStatus, Official, Result, ResultSignature, ResultStatus, SigningBatch, SigningBatchItem, db,
    utcnow,
)
from ..platform import jobs
from ..results import audit, audit_anchor
from ..services import services
from . import approval, preparation
from .journals import DatabaseBatchJournal, discard_journal, open_journal
from .leases import lease
from .plan import batch_items, batch_steps, official_key
from .signer import BatchSignerHolder

log = logging.getLogger(__name__)

TASK = "sign_batch"
RECORD_GROUP = 32
"""Outcomes recorded per transaction: one round trip per statement kind instead of per result."""


_INSERT_SIGNATURE = insert(ResultSignature.__table__)


class LostLease(RuntimeError):
    """Another worker took the batch over (this one was presumed dead)."""


def claim_batch(session: Session, batch_id: str, lease: dt.timedelta, handed_over: bool = False) -> int | None:
    """Take the batch if it is queued or its holder's lease ran out; the new attempt number, or None.
    A batch just approved by its official is kept for one lease for the job that carries the approval
    (`handed_over`), so that a resume round does not take it first and find no approval."""
    now = utcnow()
    lapsed = or_(SigningBatch.lease_until.is_(None), SigningBatch.lease_until < now)
    queued = SigningBatch.status == BatchStatus.QUEUED
    taken = session.execute(
        update(SigningBatch)
        .where(
            SigningBatch.id == batch_id,
            or_(queued if handed_over else and_(queued, lapsed),
                and_(SigningBatch.status == BatchStatus.RUNNING, SigningBatch.lease_until < now)),
        )
        .values(status=BatchStatus.RUNNING, lease_until=now + lease, attempt=SigningBatch.attempt + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.commit()
    if not taken:
        return None
    return session.scalar(select(SigningBatch.attempt).where(SigningBatch.id == batch_id))


class LeaseKeeper:
    """Renews a batch's lease from its own thread and connection while the batch runs."""

    def __init__(self, app: Flask, batch_id: str, attempt: int, lease: dt.timedelta):
        self._app, self._batch_id, self._attempt, self._lease = app, batch_id, attempt, lease
        self._stop = threading.Event()
        self.lost = threading.Event()
        self._thread = threading.Thread(target=self._renew, name=f"lease-{batch_id[:8]}", daemon=True)

    def __enter__(self) -> LeaseKeeper:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _renew(self) -> None:
        with self._app.app_context():
            while not self._stop.wait(self._lease.total_seconds() / 3):
                with db.engine.begin() as connection:
                    renewed = connection.execute(
                        update(SigningBatch)
                        .where(SigningBatch.id == self._batch_id, SigningBatch.attempt == self._attempt)
                        .values(lease_until=utcnow() + self._lease)
                    ).rowcount
                if not renewed:
                    self.lost.set()
                    return


def run_batch(app: Flask, batch_id: str, secret: str | None = None) -> None:
    """The `sign_batch` task: sign whatever of the batch is not recorded yet. Idempotent; a batch
    another worker holds is left to it. `secret`: the official's approval of this batch handed over
    (`signing.keys.Authorization.handover`, a CSC SAD), never their PIN or code."""
    session = db.session
    attempt = claim_batch(session, batch_id, lease(app), handed_over=secret is not None)
    if attempt is None:
        return
    started = time.perf_counter()
    with LeaseKeeper(app, batch_id, attempt, lease(app)) as keeper:
        try:
            complete = _sign_and_record(app, session, _Fence(batch_id, attempt, keeper), secret)
        except LostLease:
            session.rollback()
            log.warning("signing batch %s: lease lost to another worker; stopping", batch_id)
            return
    if not complete:
        return  # resumed when the lease runs out, or when the official approves again
    session.execute(
        update(SigningBatch)
        .where(SigningBatch.id == batch_id, SigningBatch.attempt == attempt)
        .values(status=BatchStatus.FINISHED, finished_at=utcnow(), lease_until=None)
    )
    session.commit()
    _observe(app, session, batch_id, time.perf_counter() - started)
    discard_journal(app, batch_id)
    audit_anchor.checkpoint_after_batch(app)


def _observe(app: Flask, session: Session, batch_id: str, seconds: float) -> None:
    """The batch's duration in this worker and its documents per second, for `/metrics`."""
    signed = session.scalar(select(func.count()).select_from(SigningBatchItem).where(
        SigningBatchItem.batch_id == batch_id, SigningBatchItem.status == BatchItemStatus.DONE))
    metrics = services(app).metrics
    metrics.batch_seconds.observe(seconds)
    if signed and seconds > 0:
        metrics.batch_documents_per_second.observe(signed / seconds)


def _sign_and_record(app: Flask, session: Session, fence: _Fence, handover: str | None) -> bool:
    """Sign and record; False when the batch must wait: for a trust service (resumed when the lease
    runs out) or for its official's approval."""
    batch = session.get(SigningBatch, fence.batch_id)
    queued = {item.result_id: item.id for item in batch.items if item.status == BatchItemStatus.QUEUED}
    official = session.get(Official, batch.official_id)
    if not queued:
        return True
    journal = open_journal(app, batch.id, fence.attempt)
    try:
        items = batch_items(app, session, official, list(queued), stamped=journal.states(0))
        steps = batch_steps(app, official, _approved_key(app, official, handover))
        for group in _groups(services(app).batch_signer.get().sign(items, steps, journal), RECORD_GROUP):
            for outcome in group:
                if not outcome.ok:
                    _record_failure(session, fence, queued[outcome.result_id],
                                    f"{outcome.error.code}: {outcome.error.message}", official)
            if _record_signed(app, fence, queued, [o for o in group if o.ok], official, journal):
                deliver_soon(app)
    except KeyUnavailable as exc:
        _fail_unrecorded(session, fence, queued.values(), f"{exc.code}: {exc.message}", official)
    except LostLease:
        raise
    except TrustServiceError as exc:
        # Transient (TSA, OCSP or CRL unreachable): what was signed stays in the journal; say why we
        # wait, and let the lease run out so that the batch is resumed (and finished, not re-signed).
        _wait(session, fence, f"waiting: {exc.code}: {exc}")
        return False
    except KeySourceError as exc:
        if exc.code not in approval.ASK_AGAIN:
            _fail_unrecorded(session, fence, queued.values(), f"{exc.code}: {exc}", official)
            return True
        # The official's approval is missing, ran out, or their remote service is down: what is signed
        # stays in the journal; the rest waits for them to approve again.
        session.rollback()
        approval.ask_again(app, session, fence.batch_id, fence.attempt, exc.code)
        return False
    except SigningError as exc:
        # Batch-wide (TSA down, key refused): every unrecorded result fails with the reason and can be retried.
        _fail_unrecorded(session, fence, queued.values(), f"{exc.code}: {exc}", official)
    except Exception as exc:
        # A bug or a lost document must not leave results stuck in `signing`: fail them, keep the trace.
        log.exception("signing batch %s stopped", fence.batch_id)
        if isinstance(exc, BrokenProcessPool):  # a signing process died: the next batch gets a new pool
            services(app).batch_signer.discard_pool()
        _fail_unrecorded(session, fence, queued.values(), "internal_error: signing stopped unexpectedly; retry", official)
    finally:
        journal.close()
    return True


def _approved_key(app: Flask, official: Official, handover: str | None) -> KeySource:
    """The official's key as this run may use it: as it is when it needs no one's approval; else with
    the approval handed over (if any), so that signing without one stops and asks the official."""
    source = official_key(app, official)
    if source.holder_approval is None:
        return source
    given = source.take_over(handover) if handover and source.holder_approval is HolderApproval.CODES else None
    return ApprovedKey(source, given)


def _wait(session: Session, fence: _Fence, reason: str) -> None:
    session.rollback()
    log.warning("signing batch %s %s", fence.batch_id, reason)
    session.execute(
        update(SigningBatchItem)
        .where(SigningBatchItem.batch_id == fence.batch_id, SigningBatchItem.status == BatchItemStatus.QUEUED)
        .values(error=reason)
    )
    session.commit()


class _Fence:
    """Moves an item out of `queued` only while this worker still holds the batch."""

    def __init__(self, batch_id: str, attempt: int, keeper: LeaseKeeper):
        self.batch_id, self.attempt, self.keeper = batch_id, attempt, keeper

    def take(self, session: Session, item_id: int, status: BatchItemStatus) -> bool:
        """True when this call moved the item; False when it was recorded already."""
        return bool(self.take_many(session, [item_id], status))

    def take_many(self, session: Session, item_ids: list[int], status: BatchItemStatus) -> set[int]:
        """The items this call moved (the others were recorded already)."""
        if self.keeper.lost.is_set():
            raise LostLease(self.batch_id)
        still_ours = (
            select(SigningBatch.id)
            .where(SigningBatch.id == self.batch_id, SigningBatch.attempt == self.attempt)
            .exists()
        )
        moved = set(session.scalars(
            update(SigningBatchItem)
            .where(SigningBatchItem.id.in_(item_ids), SigningBatchItem.status == BatchItemStatus.QUEUED, still_ours)
            .values(status=status)
            .returning(SigningBatchItem.id)
            .execution_options(synchronize_session=False)
        ).all())
        if len(moved) < len(item_ids) and session.scalar(
                select(SigningBatch.attempt).where(SigningBatch.id == self.batch_id)) != self.attempt:
            raise LostLease(self.batch_id)
        return moved


def _groups(outcomes: Iterable[ItemOutcome], size: int) -> Iterator[list[ItemOutcome]]:
    iterator = iter(outcomes)
    while group := list(islice(iterator, size)):
        yield group


def _record_signed(app: Flask, fence: _Fence, queued: dict[str, int], outcomes: list[ItemOutcome],
                   official: Official, journal: DatabaseBatchJournal) -> bool:
    """Record signed outcomes in one transaction; True when some were recorded now (not before a crash:
    the journal gave the same PDFs again)."""
    session = db.session
    taken = fence.take_many(session, [queued[o.result_id] for o in outcomes], BatchItemStatus.DONE) if outcomes else set()
    outcomes = [o for o in outcomes if queued[o.result_id] in taken]
    if not outcomes:
        session.rollback()
        return False
    digests = {o.result_id: journal.take_stored(o.result_id) for o in outcomes}  # stored when journaled
    unstored = [o for o in outcomes if digests[o.result_id] is None]
    digests.update(zip([o.result_id for o in unstored], services(app).documents.put_many([o.signed_pdf for o in unstored])))
    results = {r.id: r for r in session.scalars(  # one statement with the agency and citizen the receivers read
        select(Result).where(Result.id.in_(list(digests)))
        .options(joinedload(Result.agency, innerjoin=True), joinedload(Result.citizen, innerjoin=True)))}
    now = utcnow()
    entries, signatures = [], []
    for outcome in outcomes:
        result = results[outcome.result_id]
        result.signed_sha256 = digests[result.id]
        result.signed_at = now
        result.move_to(ResultStatus.SIGNED)
        signatures.extend(
            {"result_id": result.id, "position": position, "role": "official" if position == 1 else "agency",
             "signer_name": signer.common_name, "organization": signer.organization,
             "certificate_serial": format(signer.serial_number, "x"), "certificate_sha256": signer.sha256_fingerprint,
             "signed_at": now, "official_id": official.id if position == 1 else None}
            for position, signer in enumerate(outcome.signers, start=1)
        )
        entries.append(audit.Entry("result.signed", result.id, {
            "sha256": digests[result.id], "certificates": [s.sha256_fingerprint for s in outcome.signers],
            "batch": fence.batch_id}))
    session.execute(_INSERT_SIGNATURE, signatures)  # Core: ORM objects cost ~0.3 ms a result to flush
    services(app).events.signed_many(session, [results[o.result_id] for o in outcomes])  # e.g. the delivery outbox rows
    audit.record_many(session, f"official:{official.id}:{official.full_name}", entries)
    session.commit()
    return True


def _fail_unrecorded(session: Session, fence: _Fence, item_ids, reason: str, official: Official) -> None:
    session.rollback()
    for item_id in item_ids:
        _record_failure(session, fence, item_id, reason, official)


def _record_failure(session: Session, fence: _Fence, item_id: int, reason: str, official: Official) -> None:
    if not fence.take(session, item_id, BatchItemStatus.FAILED):
        session.rollback()
        return
    item = session.get(SigningBatchItem, item_id)
    item.error = reason
    result = session.get(Result, item.result_id)
    result.move_to(ResultStatus.FAILED)
    audit.record(session, f"official:{official.id}:{official.full_name}", "result.signing_failed", result.id, reason=reason)
    session.commit()


def resume_unfinished(app: Flask) -> int:
    """Give up batches their official did not approve in time; queue every batch that is waiting, or
    whose worker stopped renewing its lease, and prepare again those whose preparation stopped; how many."""
    approval.expire_unapproved(app)
    now = utcnow()
    lapsed = or_(SigningBatch.lease_until.is_(None), SigningBatch.lease_until < now)
    stalled = db.session.scalars(
        select(SigningBatch.id).where(
            or_(and_(SigningBatch.status == BatchStatus.QUEUED, lapsed),
                and_(SigningBatch.status == BatchStatus.RUNNING, SigningBatch.lease_until < now))
        )
    ).all()
    unprepared = db.session.scalars(
        select(SigningBatch.id).where(SigningBatch.status == BatchStatus.AWAITING_AUTHORISATION,
                                      SigningBatch.prepared_at.is_(None), lapsed)
    ).all()
    for batch_id in stalled:
        jobs.runner(app).submit(TASK, batch_id)
    for batch_id in unprepared:
        jobs.runner(app).submit(preparation.TASK, batch_id)
    return len(stalled) + len(unprepared)


def init_app(app: Flask) -> None:
    settings = services(app).settings

    def make_signer() -> BatchSigner:
        keys = key_directory(app)
        return BatchSigner(trust_services=keys.trust_services, font=StampFont.load(), workers=settings.signing_workers)

    services(app).batch_signer = BatchSignerHolder(make_signer)
    # The embedded default resumes waiting and abandoned batches itself; under Celery a beat schedule does.
    poller = jobs.every(app, "batch-resume", resume_unfinished, settings.batches.resume_seconds)
    if poller is not None:
        services(app).batch_resume_poller = poller
