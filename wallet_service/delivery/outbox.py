"""The delivery outbox: rows written in the transaction that signs or annuls a result, so a result is
never signed without its deliveries being due, and never delivered without having been signed.

The citizen's own wallet inside the service is not an outbox target: it reads the result row
itself, so it has the result the moment the signing commits. A result whose configured targets
are all served (or that has none) is therefore `delivered` — at once when there is no target."""
from __future__ import annotations

from sqlalchemy import insert, select
from sqlalchemy.orm import Session, joinedload

from ..models import Delivery, DeliveryStatus, Result, ResultStatus
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


def complete_if_delivered(session: Session, result_ids: list[str]) -> list[Result]:
    """Move each signed result of `result_ids` to `delivered` once every one of its `signed`
    deliveries is sent; the results that moved.

    Locks the result rows first, in id order (PostgreSQL), so two workers finishing a result's last
    two deliveries at the same moment cannot both see the other's as still pending."""
    results = session.scalars(  # with the agency the `delivered` receivers read (a lazy load per result otherwise)
        select(Result).where(Result.id.in_(result_ids)).order_by(Result.id)
        .options(joinedload(Result.agency, innerjoin=True)).with_for_update(of=Result)).all()
    signed = [r for r in results if r.status == ResultStatus.SIGNED]
    waiting = set(session.scalars(
        select(Delivery.result_id).where(Delivery.result_id.in_([r.id for r in signed]), Delivery.event == SIGNED,
                                         Delivery.status != DeliveryStatus.SENT)
    ).all())
    done = [r for r in signed if r.id not in waiting]
    for result in done:
        result.move_to(ResultStatus.DELIVERED)
    return done
