"""The audit trail: append-only events chained by SHA-256, so an edited, inserted or deleted event
breaks the chain (`wallet-service audit verify`)."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field

from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from ..models import AuditEvent, utcnow

GENESIS = "0" * 64
# Any constant: the key of the PostgreSQL advisory lock that serialises appends to the chain.
_CHAIN_LOCK = 7_311_001
# Built once (every change of a result appends an event): composing them cost more than running them.
_TAKE_CHAIN_LOCK = text("SELECT pg_advisory_xact_lock(:k)")
_LAST_HASH = select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
_INSERT_EVENT = insert(AuditEvent.__table__)  # Core: the ORM's unit of work cost ~1 ms for one row


def _utc_text(moment: dt.datetime) -> str:
    # SQLite gives the stored value back without its zone, PostgreSQL in the session's zone.
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return moment.isoformat()


def _event_hash(prev_hash: str, event: AuditEvent) -> str:
    return _row_hash(prev_hash, {"occurred_at": event.occurred_at, "actor": event.actor, "action": event.action,
                                 "result_id": event.result_id, "details": event.details})


def _row_hash(prev_hash: str, event: dict) -> str:
    """The hash chaining an event's columns (occurred_at, actor, action, result_id, details) to `prev_hash`."""
    body = json.dumps(
        {
            "prev": prev_hash,
            "at": _utc_text(event["occurred_at"]),
            "actor": event["actor"],
            "action": event["action"],
            "result": event["result_id"],
            "details": event["details"],
        },
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(body.encode()).hexdigest()


@dataclass(frozen=True)
class Entry:
    """One event to append: what happened, to which result, with which details."""

    action: str
    result_id: str | None = None
    details: dict = field(default_factory=dict)


def record(session: Session, actor: str, action: str, result_id: str | None = None, **details) -> None:
    """Add an event to the session's transaction; it is written with the change it describes."""
    record_many(session, actor, [Entry(action, result_id, details)])


def record_many(session: Session, actor: str, entries: list[Entry]) -> None:
    """`record` for several events of one actor, chained in order: one lock and one read of the
    chain's end for all of them (a batch of results is one transaction)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(_TAKE_CHAIN_LOCK, {"k": _CHAIN_LOCK})
    prev = session.scalar(_LAST_HASH) or GENESIS
    occurred_at = utcnow().replace(microsecond=0)
    rows = []
    for entry in entries:
        # Round-trip through JSON now so the hash covers exactly what the database will return.
        row = {
            "occurred_at": occurred_at,
            "actor": actor,
            "action": entry.action,
            "result_id": entry.result_id,
            "details": json.loads(json.dumps(entry.details, default=str)),
            "prev_hash": prev,
        }
        row["hash"] = prev = _row_hash(prev, row)  # the row itself: an AuditEvent per entry cost more than its hash
        rows.append(row)
    session.execute(_INSERT_EVENT, rows)


@dataclass(frozen=True)
class ChainProblem:
    event_id: int
    message: str


def verify_chain(session: Session) -> list[ChainProblem]:
    problems: list[ChainProblem] = []
    prev = GENESIS
    for event in session.scalars(select(AuditEvent).order_by(AuditEvent.id)):
        if event.prev_hash != prev:
            problems.append(ChainProblem(event.id, "does not follow the previous event (one was deleted or inserted)"))
        if _event_hash(event.prev_hash, event) != event.hash:
            problems.append(ChainProblem(event.id, "content does not match its hash (edited)"))
        prev = event.hash
    return problems
