"""A result's life for its timeline page: received, signing attempts, each signature (the
official's, then the agency seal), where it was delivered, credentials, annulment. Built from the
audit events (who did what, when) and the rows they left (signatures, delivery outbox)."""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import AuditEvent, Result

RECEIVED = "received"
SIGNING_FAILED = "signing_failed"
AUTHORISED = "authorised"
SIGNED = "signed"
SEALED = "sealed"
WALLET = "wallet"
DELIVERY = "delivery"
ANNULLED = "annulled"
OTHER = "other"

# Audit actions shown as their own kind of entry.
_KINDS = {"result.received": RECEIVED, "copy.received": RECEIVED, "result.signing_failed": SIGNING_FAILED,
          "result.annulled": ANNULLED}
# Audit actions whose rows say more: the signatures (who, which certificate) and the outbox rows
# (where, current state, attempts, last error), each shown once.
_SHOWN_BY_ROWS = {"result.signed", "delivery.sent", "delivery.failed"}


@dataclass(frozen=True)
class TimelineEntry:
    """One thing that happened to a result."""

    kind: str
    """received, signing_failed, authorised, signed, sealed, wallet, delivery, annulled or other."""
    at: dt.datetime | None
    """When (aware UTC); None for what has not happened yet (a delivery still pending)."""
    actor: str | None = None
    """Who did it, as a person reads it (a name, a case system)."""
    details: Mapping[str, object] = field(default_factory=dict)
    """What the page shows besides: reason, signer, certificate serial, delivery target and state,
    the audit action of an `other` entry."""


def actor_name(actor: str) -> str:
    """'official:3:Nguyễn Văn An' -> 'Nguyễn Văn An' (audit actors are kind:id:name)."""
    return actor.split(":", 2)[-1]


def _from_audit(event: AuditEvent) -> TimelineEntry:
    kind = _KINDS.get(event.action, OTHER)
    details = dict(event.details or {})
    if kind == OTHER:
        details = {"action": event.action}
    return TimelineEntry(kind, event.occurred_at, actor_name(event.actor), details)


def result_timeline(session: Session, result: Result) -> list[TimelineEntry]:
    events = session.scalars(
        select(AuditEvent).where(AuditEvent.result_id == result.id).order_by(AuditEvent.id)
    ).all()
    signed_events = {e.details.get("sha256"): e for e in events if e.action == "result.signed"}
    entries = [_from_audit(e) for e in events if e.action not in _SHOWN_BY_ROWS]
    if not any(e.kind == RECEIVED for e in entries):
        entries.append(TimelineEntry(RECEIVED, result.created_at))
    signing = signed_events.get(result.signed_sha256)
    if signing is not None and signing.details.get("batch"):
        entries += _authorisations(session, signing.details["batch"])
    for signature in result.signatures:
        entries.append(
            TimelineEntry(
                SIGNED if signature.role == "official" else SEALED,
                signature.signed_at,
                signature.signer_name,
                {
                    "organization": signature.organization,
                    "certificate_serial": signature.certificate_serial,
                    "batch": signing.details.get("batch") if signing else None,
                },
            )
        )
    if result.signatures:
        # The service's own wallet holds a signed result from the moment it is signed.
        entries.append(TimelineEntry(WALLET, result.signatures[-1].signed_at, None, {"citizen": result.citizen_name}))
    for delivery in result.deliveries:
        entries.append(
            TimelineEntry(
                DELIVERY,
                delivery.delivered_at,
                None,
                {
                    "target": delivery.target,
                    "event": delivery.event,
                    "status": delivery.status,
                    "attempts": delivery.attempts,
                    "last_error": delivery.last_error,
                },
            )
        )
    if result.annulled_at and not any(e.kind == ANNULLED for e in entries):
        entries.append(TimelineEntry(ANNULLED, result.annulled_at, None, {"reason": result.annulment_reason}))
    return sorted(entries, key=_chronological)


def _authorisations(session: Session, batch_id: str) -> list[TimelineEntry]:
    """The official's approvals of the batch that signed the result: how, and with which certificate
    (the event is the batch's, so it names no single result)."""
    approvals = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action == "batch.authorised", AuditEvent.details["batch"].as_string() == batch_id)
        .order_by(AuditEvent.id)
    ).all()
    return [
        TimelineEntry(AUTHORISED, e.occurred_at, actor_name(e.actor),
                      {"method": e.details.get("method"), "certificate_sha256": e.details.get("certificate_sha256")})
        for e in approvals
    ]


# Within one second, the order things can happen in (audit times are whole seconds).
_RANK = {RECEIVED: 0, SIGNING_FAILED: 1, AUTHORISED: 2, SIGNED: 3, SEALED: 4, WALLET: 5, DELIVERY: 6, OTHER: 7, ANNULLED: 8}
_NOT_YET = dt.datetime.max.replace(tzinfo=dt.timezone.utc)


def _chronological(entry: TimelineEntry) -> tuple:
    """Time order; what has not happened yet (a pending delivery) at the end."""
    rank = _RANK[entry.kind]
    if entry.kind == DELIVERY and entry.details.get("event") == "annulled":
        rank = _RANK[ANNULLED] + 1  # telling a store about the annulment follows it
    moment = entry.at.replace(microsecond=0) if entry.at else _NOT_YET
    return (moment, rank)
