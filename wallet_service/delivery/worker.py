"""The delivery worker: claims due deliveries, sends each, records the outcome.

Claiming is one statement, `UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED) RETURNING`:
on PostgreSQL concurrent workers skip each other's rows; on SQLite the database has one writer at
a time, so the same statement is atomic there (SQLAlchemy leaves out FOR UPDATE on SQLite). A claim
counts the attempt and leases the row (`next_attempt_at` = now + lease): a worker that dies
mid-send leaves the row pending, and another worker sends it again when the lease runs out — with
the same idempotency key, so the store keeps it once. Recording is conditional on the attempt
number the worker claimed, so a worker that outlived its lease cannot overwrite a newer attempt.
A round's sent deliveries are recorded together once all are sent; a worker that dies before that
leaves them pending, sent again (same key) when their lease runs out."""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

import requests
from flask import Flask
from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.orm import Session, aliased

from ..models import Delivery, DeliveryStatus, Result, db, utcnow
from ..results import audit
from ..services import services
from .config import WorkerSettings
from .messages import message_claims, sign_message
from .outbox import complete_if_delivered
from .notices import Notice, send_notice
from .targets import NOTICE_TYPES, TARGET_TYPES
from .webhook import SendFailed, post_message

log = logging.getLogger(__name__)

TASK = "deliver_due"
ACTOR = "system:delivery"


@dataclass(frozen=True)
class Claim:
    """A delivery this worker holds, and the attempt number it holds it for."""

    delivery_id: int
    """The outbox row."""
    attempt: int
    """`Delivery.attempts` after the claim; the outcome is recorded only if it is still this."""


def claim_due(session: Session, limit: int, lease: dt.timedelta, now: dt.datetime | None = None) -> list[Claim]:
    """Claim up to `limit` due deliveries for this worker, committed before anything is sent.

    A store's `annulled` message waits while its `signed` message for the same result is pending."""
    now = now or utcnow()
    earlier = aliased(Delivery)
    blocked = exists().where(
        earlier.result_id == Delivery.result_id,
        earlier.target == Delivery.target,
        earlier.id < Delivery.id,
        earlier.status == DeliveryStatus.PENDING,
    )
    due = (Delivery.status == DeliveryStatus.PENDING) & (Delivery.next_attempt_at <= now)
    candidates = (
        select(Delivery.id)
        .where(due, ~blocked)
        .order_by(Delivery.next_attempt_at, Delivery.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=Delivery)
    )
    claimed = session.execute(
        update(Delivery)
        .where(Delivery.id.in_(candidates.scalar_subquery()), due)
        .values(attempts=Delivery.attempts + 1, next_attempt_at=now + lease)
        .returning(Delivery.id, Delivery.attempts)
        .execution_options(synchronize_session=False)
    ).all()
    session.commit()
    return [Claim(row.id, row.attempts) for row in sorted(claimed)]


def deliver_due(app: Flask, now: dt.datetime | None = None) -> int:
    """The `deliver_due` task: send every due delivery; returns how many attempts were made.
    `now` is the clock that decides what is due (tests move it forward instead of sleeping)."""
    config = services(app).delivery
    session = db.session
    made = 0
    with requests.Session() as http:
        while True:
            claims = claim_due(session, config.worker.batch_size, dt.timedelta(seconds=config.worker.lease_seconds), now)
            if not claims:  # until none is due: a store's annulment becomes due when its signed message is sent
                return made
            _record_sent(app, session, [claim for claim in claims if _attempt(app, session, http, claim, now)])
            made += len(claims)


def _attempt(app: Flask, session: Session, http: requests.Session, claim: Claim, now: dt.datetime | None) -> bool:
    """Send one claimed delivery; True when the target took it (recorded with the round's others),
    a failure is recorded here."""
    config = services(app).delivery
    metrics = services(app).metrics
    delivery = session.get(Delivery, claim.delivery_id)
    metrics.delivery_attempts.labels(target=delivery.target).inc()
    target = config.targets.get(delivery.target)
    if target is None or target.type not in TARGET_TYPES:
        metrics.delivery_failures.labels(target=delivery.target).inc()
        _record_failure(session, claim, config.worker, now, "this target is no longer configured", False, 1)
        return False
    try:
        result = session.get(Result, delivery.result_id)
        base = services(app).settings.public_base_url.rstrip("/")
        key = delivery.idempotency_key
        if target.type in NOTICE_TYPES:
            notice = Notice.of(result, base)
            session.commit()  # no transaction stays open while the mail server or gateway answers
            send_notice(http, target, key, notice)
        else:
            document = None
            if target.include_document and delivery.event == "signed":
                document = services(app).documents.get(result.signed_sha256)
            token = sign_message(message_claims(delivery, result, target, base, document), config.key_source.load())
            session.commit()  # no transaction stays open while the store answers
            post_message(http, target, key, token)
    except SendFailed as exc:
        metrics.delivery_failures.labels(target=target.name).inc()
        _record_failure(session, claim, config.worker, now, exc.message, exc.retryable, target.max_attempts)
        return False
    except Exception as exc:  # a bug or a lost document: keep the trace, retry later like any failure
        log.exception("delivery %s could not be prepared", claim.delivery_id)
        metrics.delivery_failures.labels(target=target.name).inc()
        _record_failure(session, claim, config.worker, now, f"internal error: {type(exc).__name__}", True,
                        target.max_attempts)
        return False
    return True


def _still_ours(claim: Claim):
    return (Delivery.id == claim.delivery_id) & (Delivery.status == DeliveryStatus.PENDING) & (Delivery.attempts == claim.attempt)


def _record_sent(app: Flask, session: Session, claims: list[Claim]) -> None:
    """Record a round's sent deliveries in one transaction: those still held by their claim (a
    worker that outlived its lease records nothing), their audit events, and each result that is
    now `delivered`."""
    session.rollback()
    if not claims:
        return
    held = or_(*(and_(Delivery.id == c.delivery_id, Delivery.attempts == c.attempt) for c in claims))
    sent = session.execute(
        update(Delivery).where(held, Delivery.status == DeliveryStatus.PENDING)
        .values(status=DeliveryStatus.SENT, delivered_at=utcnow(), last_error=None)
        .returning(Delivery.id, Delivery.result_id, Delivery.target, Delivery.event, Delivery.idempotency_key,
                   Delivery.attempts)
        .execution_options(synchronize_session=False)
    ).all()
    if not sent:
        session.commit()
        return
    sent.sort()
    audit.record_many(session, ACTOR, [
        audit.Entry("delivery.sent", row.result_id, {"target": row.target, "event": row.event,
                                                     "idempotency_key": row.idempotency_key, "attempts": row.attempts})
        for row in sent])
    for delivered in complete_if_delivered(session, sorted({row.result_id for row in sent})):
        services(app).events.delivered(session, delivered)
    session.commit()


def _record_failure(session: Session, claim: Claim, worker: WorkerSettings, now: dt.datetime | None, message: str,
                    retryable: bool, max_attempts: int) -> None:
    session.rollback()
    gives_up = not retryable or claim.attempt >= max_attempts
    values = {"last_error": message[:2000]}
    if gives_up:
        values["status"] = DeliveryStatus.FAILED
    else:
        values["next_attempt_at"] = (now or utcnow()) + worker.backoff(claim.attempt)
    recorded = session.execute(
        update(Delivery).where(_still_ours(claim)).values(**values).execution_options(synchronize_session=False)
    ).rowcount
    if recorded and gives_up:
        delivery = session.get(Delivery, claim.delivery_id)
        session.refresh(delivery)
        audit.record(session, ACTOR, "delivery.failed", delivery.result_id, target=delivery.target, event=delivery.event,
                     attempts=delivery.attempts, error=message[:500])
    session.commit()
