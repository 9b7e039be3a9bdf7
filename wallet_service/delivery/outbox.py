"""The delivery outbox: rows written in the transaction that signs or annuls a result, so a result is
never signed without its deliveries being due, and never delivered without having been signed.

The citizen's own wallet inside the service is not an outbox target: it reads the result row
itself, so it has the result the moment the signing commits. A result whose configured targets
are all served (or that has none) is therefore `delivered` — at once when there is no target."""
from __future__ import annotations

from sqlalchemy import bindparam, exists, insert, select, update
from sqlalchemy.orm import Session, joinedload

from ..models import Delivery, DeliveryStatus, Result, ResultStatus, utcnow
from .targets import CASE_SYSTEM, EMAIL, NOTICE_TYPES, DeliveryTargets

SIGNED = "signed"
ANNULLED = "annulled"
RETURNED = "returned"
NOTICE = "notice"
"""An arrival notice to the citizen: sent like the others, but `delivered` never waits for it."""

_INSERT_DELIVERY = insert(Delivery.__table__)


def enqueue_signed(targets: DeliveryTargets, session: Session, results: list[Result]) -> list[Result]:
    """Receiver of `results_signed`: for each result, one pending delivery per store that wants it, and
    one arrival notice per notice target the citizen can be reached by (an e-mail address, a phone).
    Returns the results no store wants, moved to `delivered` (the wallet here is their delivery)."""
    rows, delivered = [], []
    for result in results:
        wanted = targets.for_result(result.agency.code, result.procedure_code)
        stores = [t for t in wanted if t.type not in NOTICE_TYPES]
        if not stores:
            result.move_to(ResultStatus.DELIVERED)
            delivered.append(result)
        contact = {EMAIL: result.citizen.email}
        notices = [t for t in wanted if t.type in NOTICE_TYPES and contact.get(t.type, result.citizen.phone)]
        rows += [{"result_id": result.id, "target": t.name, "event": SIGNED} for t in stores]
        rows += [{"result_id": result.id, "target": t.name, "event": NOTICE} for t in notices]
    if rows:
        session.execute(_INSERT_DELIVERY, rows)  # Core executemany: no ORM objects to flush nor ids to read back
    return delivered


def enqueue_annulled(session: Session, result: Result) -> list[Delivery]:
    """Receiver of `result_annulled`: tell every store that was (or was about to be) given the
    result. The worker sends it only after that store's `signed` message, never before it."""
    told = session.scalars(
        select(Delivery.target).where(Delivery.result_id == result.id, Delivery.event == SIGNED)
    ).all()
    rows = [Delivery(result_id=result.id, target=name, event=ANNULLED) for name in told]
    session.add_all(rows)
    return rows


def enqueue_returned(targets: DeliveryTargets, session: Session, result: Result) -> list[Delivery]:
    """Receiver of `result_returned`: tell the case systems that want this result's dossiers (stores and
    wallets never had the result, so they are not told)."""
    rows = [
        Delivery(result_id=result.id, target=target.name, event=RETURNED)
        for target in targets.for_result(result.agency.code, result.procedure_code)
        if target.type == CASE_SYSTEM
    ]
    session.add_all(rows)
    return rows


_RESULTS = Result.__table__
_DELIVERIES = Delivery.__table__
# Built once, Core: every delivery round runs them, and loading and flushing the results through the
# ORM cost more than the statements themselves.
_LOCK_RESULTS = (select(_RESULTS.c.id).where(_RESULTS.c.id.in_(bindparam("ids", expanding=True)))
                 .order_by(_RESULTS.c.id).with_for_update())
_UNSENT = exists().where(_DELIVERIES.c.result_id == _RESULTS.c.id, _DELIVERIES.c.event == SIGNED,
                         _DELIVERIES.c.status != DeliveryStatus.SENT)
_COMPLETE = (update(_RESULTS)
             .where(_RESULTS.c.id.in_(bindparam("ids", expanding=True)), _RESULTS.c.status == ResultStatus.SIGNED, ~_UNSENT)
             .values(status=ResultStatus.DELIVERED, delivered_at=bindparam("now", type_=_RESULTS.c.delivered_at.type))
             .returning(_RESULTS.c.id))
# with the agency the `delivered` receivers read (a lazy load per result otherwise); refreshing any
# copy the session holds, which the Core update left behind
_MOVED = (select(Result).where(Result.id.in_(bindparam("ids", expanding=True))).order_by(Result.id)
          .options(joinedload(Result.agency, innerjoin=True)).execution_options(populate_existing=True))


def complete_if_delivered(session: Session, result_ids: list[str]) -> list[Result]:
    """Move each signed result of `result_ids` to `delivered` once every one of its `signed`
    deliveries is sent; the results that moved, in id order.

    Locks the result rows first, in id order (PostgreSQL), and only then looks at their deliveries
    (a statement of its own, so it sees what was committed while it waited), so two workers finishing
    a result's last two deliveries at the same moment cannot both see the other's as still pending."""
    session.execute(_LOCK_RESULTS, {"ids": result_ids})
    done = session.scalars(_COMPLETE, {"ids": result_ids, "now": utcnow()}).all()
    if not done:
        return []
    return list(session.scalars(_MOVED, {"ids": done}))
