"""The delivery worker: claims due deliveries, sends each, records the outcome.

Claiming is one statement, `WITH c AS (SELECT ... FOR UPDATE SKIP LOCKED) UPDATE ... WHERE id IN c RETURNING`:
on PostgreSQL concurrent workers skip each other's rows; on SQLite the database has one writer at
a time, so the same statement is atomic there (SQLAlchemy leaves out FOR UPDATE on SQLite). A claim
counts the attempt and leases the row (`next_attempt_at` = now + lease): a worker that dies
mid-send leaves the row pending, and another worker sends it again when the lease runs out — with
the same idempotency key, so the store keeps it once. Recording is conditional on the attempt
number the worker claimed, so a worker that outlived its lease cannot overwrite a newer attempt.
A round's sent deliveries are recorded together once all are sent; a worker that dies before that
leaves them pending, sent again (same key) when their lease runs out. A round sends for at most half
its lease, so a slow store cannot keep it sending what another worker may already have claimed again."""
from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass

from flask import Flask
from sqlalchemy import Integer, bindparam, exists, select, tuple_, update
from sqlalchemy.orm import Session, joinedload

from ..models import Delivery, DeliveryStatus, Result, db, utcnow
from ..results import audit
from ..services import services
from .config import WorkerSettings
from .messages import MessageSigner, message_claims
from .outbox import complete_if_delivered
from .notices import Notice, send_notice
from .targets import NOTICE_TYPES, TARGET_TYPES, DeliveryTarget
from .webhook import SendFailed, Sender, post_message

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


_DELIVERIES = Delivery.__table__


def _claim_statement():
    """`claim_due`'s statement, with `now`, `lease_until` and `limit` bound at execution. Core on the
    table: an ORM-enabled update cost twice as much CPU to run, cached or not."""
    deliveries = _DELIVERIES
    now = bindparam("now", type_=deliveries.c.next_attempt_at.type)
    earlier = deliveries.alias("earlier")
    blocked = exists().where(
        earlier.c.result_id == deliveries.c.result_id,
        earlier.c.target == deliveries.c.target,
        earlier.c.id < deliveries.c.id,
        earlier.c.status == DeliveryStatus.PENDING,
    )
    due = (deliveries.c.status == DeliveryStatus.PENDING) & (deliveries.c.next_attempt_at <= now)
    # Evaluated once (a materialised CTE): as a plain `IN (subquery)` PostgreSQL may plan it as the
    # inner side of a nested loop, rescanned per row, each rescan skipping the rows this statement has
    # just updated and locking the next ones: one claim then took every due row, whatever the limit.
    candidates = (
        select(deliveries.c.id)
        .where(due, ~blocked)
        .order_by(deliveries.c.next_attempt_at, deliveries.c.id)
        .limit(bindparam("limit", type_=Integer))
        .with_for_update(skip_locked=True, of=deliveries)
        .cte("candidates")
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
    return (
        update(deliveries)
        .where(deliveries.c.id.in_(select(candidates.c.id)), due)
        .values(attempts=deliveries.c.attempts + 1,
                next_attempt_at=bindparam("lease_until", type_=deliveries.c.next_attempt_at.type))
        .returning(deliveries.c.id, deliveries.c.attempts)
    )


# Built once (every round runs it): composing it cost about as much as running it.
_CLAIM = _claim_statement()


def claim_due(session: Session, limit: int, lease: dt.timedelta, now: dt.datetime | None = None) -> list[Claim]:
    """Claim up to `limit` due deliveries for this worker, committed before anything is sent.

    A store's `annulled` message waits while its `signed` message for the same result is pending."""
    now = now or utcnow()
    claimed = session.execute(_CLAIM, {"now": now, "lease_until": now + lease, "limit": limit}).all()
    session.commit()
    return [Claim(row.id, row.attempts) for row in sorted(claimed)]


def deliver_due(app: Flask, now: dt.datetime | None = None) -> int:
    """The `deliver_due` task: send every due delivery; returns how many attempts were made.
    `now` is the clock that decides what is due (tests move it forward instead of sleeping)."""
    config = services(app).delivery
    session = db.session
    made = 0
    lease = dt.timedelta(seconds=config.worker.lease_seconds)
    with Sender() as http:
        while True:
            claims = claim_due(session, config.worker.batch_size, lease, now)
            if not claims:  # until none is due: a store's annulment becomes due when its signed message is sent
                return made
            # A slow store must not keep a round sending past its lease (another worker would claim and send
            # again what is not recorded yet): what is not sent in half the lease is handed back unattempted;
            # the first is always sent, so every round makes progress.
            send_until = time.monotonic() + lease.total_seconds() / 2
            outgoing = _prepare_round(app, session, claims, now)
            session.commit()  # no transaction stays open while the stores answer
            sent, unsent = [], []
            for number, item in enumerate(outgoing):
                if number and time.monotonic() > send_until:
                    unsent.append(item.claim)
                elif _send(app, session, http, item, now):
                    sent.append(item.claim)
            _record_sent(app, session, sent)
            _hand_back(session, unsent, now)
            made += len(claims) - len(unsent)


@dataclass(frozen=True)
class _Outgoing:
    """A claimed delivery ready to send: a signed message for a store, or a notice."""

    claim: Claim
    target: DeliveryTarget
    idempotency_key: str
    token: str | None = None
    notice: Notice | None = None


# Built once, as `_CLAIM`: the round's deliveries with what their messages say.
_ROUND = (select(Delivery, Result).join(Result, Result.id == Delivery.result_id)
          .where(Delivery.id.in_(bindparam("ids", expanding=True)))
          .options(joinedload(Result.agency, innerjoin=True), joinedload(Result.citizen, innerjoin=True)))


def _prepare_round(app: Flask, session: Session, claims: list[Claim], now: dt.datetime | None) -> list[_Outgoing]:
    """The round's messages, from one read of its deliveries and results; a delivery that cannot be
    prepared is recorded as failed here."""
    config = services(app).delivery
    metrics = services(app).metrics
    base = services(app).settings.public_base_url.rstrip("/")
    rows = {delivery.id: (delivery, result)
            for delivery, result in session.execute(_ROUND, {"ids": [c.delivery_id for c in claims]})}
    signer, outgoing, failed = None, [], []
    for claim in claims:
        delivery, result = rows[claim.delivery_id]
        metrics.delivery_attempts.labels(target=delivery.target).inc()
        target = config.targets.get(delivery.target)
        if target is None or target.type not in TARGET_TYPES:
            failed.append((claim, "this target is no longer configured", False, 1, delivery.target))
            continue
        try:
            if target.type in NOTICE_TYPES:
                outgoing.append(_Outgoing(claim, target, delivery.idempotency_key, notice=Notice.of(result, base)))
                continue
            document = None
            if target.include_document and delivery.event == "signed":
                document = services(app).documents.get(result.signed_sha256)
            signer = signer or MessageSigner.of(config.key_source.load())
            token = signer.sign(message_claims(delivery, result, target, base, document))
            outgoing.append(_Outgoing(claim, target, delivery.idempotency_key, token=token))
        except Exception as exc:  # a bug or a lost document: keep the trace, retry later like any failure
            log.exception("delivery %s could not be prepared", claim.delivery_id)
            failed.append((claim, f"internal error: {type(exc).__name__}", True, target.max_attempts, target.name))
    # recorded after the loop: recording a failure rolls the session back, expiring the rows read above
    for claim, message, retryable, max_attempts, target_name in failed:
        metrics.delivery_failures.labels(target=target_name).inc()
        _record_failure(session, claim, config.worker, now, message, retryable, max_attempts)
    return outgoing


def _send(app: Flask, session: Session, http: Sender, outgoing: _Outgoing, now: dt.datetime | None) -> bool:
    """Send one prepared delivery; True when the target took it (recorded with the round's others),
    a failure is recorded here."""
    try:
        if outgoing.notice is not None:
            send_notice(http, outgoing.target, outgoing.idempotency_key, outgoing.notice)
        else:
            post_message(http, outgoing.target, outgoing.idempotency_key, outgoing.token)
    except SendFailed as exc:
        services(app).metrics.delivery_failures.labels(target=outgoing.target.name).inc()
        _record_failure(session, outgoing.claim, services(app).delivery.worker, now, exc.message, exc.retryable,
                        outgoing.target.max_attempts)
        return False
    return True


def _still_ours(claim: Claim):
    return (Delivery.id == claim.delivery_id) & (Delivery.status == DeliveryStatus.PENDING) & (Delivery.attempts == claim.attempt)


# The rows still held by the claims bound as `held` (`_held`): one expanding parameter, one statement
# whatever the count.
_STILL_HELD = (tuple_(_DELIVERIES.c.id, _DELIVERIES.c.attempts).in_(bindparam("held", expanding=True))
               & (_DELIVERIES.c.status == DeliveryStatus.PENDING))


def _held(claims: list[Claim]) -> list[tuple[int, int]]:
    return [(c.delivery_id, c.attempt) for c in claims]


# Built once, Core on the table (as `_CLAIM`).
_MARK_SENT = (
    update(_DELIVERIES)
    .where(_STILL_HELD)
    .values(status=DeliveryStatus.SENT, delivered_at=bindparam("now", type_=_DELIVERIES.c.delivered_at.type), last_error=None)
    .returning(_DELIVERIES.c.id, _DELIVERIES.c.result_id, _DELIVERIES.c.target, _DELIVERIES.c.event,
               _DELIVERIES.c.idempotency_key, _DELIVERIES.c.attempts)
)


def _record_sent(app: Flask, session: Session, claims: list[Claim]) -> None:
    """Record a round's sent deliveries in one transaction: those still held by their claim (a
    worker that outlived its lease records nothing), their audit events, and each result that is
    now `delivered`."""
    session.rollback()
    if not claims:
        return
    sent = session.execute(_MARK_SENT, {"held": _held(claims), "now": utcnow()}).all()
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


# Built once, as `_MARK_SENT`: claims not attempted, due again at once and their attempt not counted.
_HAND_BACK = (
    update(_DELIVERIES)
    .where(_STILL_HELD)
    .values(attempts=_DELIVERIES.c.attempts - 1, next_attempt_at=bindparam("now", type_=_DELIVERIES.c.next_attempt_at.type))
)


def _hand_back(session: Session, claims: list[Claim], now: dt.datetime | None) -> None:
    """Release claims whose deliveries were not attempted (those still held by them)."""
    if claims:
        session.rollback()
        session.execute(_HAND_BACK, {"held": _held(claims), "now": now or utcnow()})
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
