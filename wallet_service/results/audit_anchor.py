"""Checkpoints of the audit trail: the chain's head, timestamped by the TSA (RFC 3161).

The hash chain alone shows an edited or removed event in the middle, but not a shortened chain, a
chain rewritten from some event on, or an event appended with a recomputed hash: whoever can
write the database can recompute every hash. A key that only the service holds would not help
against the service's own operator; a timestamp token from an outside authority does: it proves
which head the chain had at that time, and nobody here can make one for another head or time."""
from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
from collections.abc import Sequence

from asn1crypto import cms, pem, x509
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import AuditCheckpoint, AuditEvent, db, utcnow
from ..platform import jobs
from ..services import services
from .audit import ChainProblem

log = logging.getLogger(__name__)
_DOMAIN = b"wallet-service audit chain head:"
"""Prefix of the timestamped message, so a token for this purpose is not one for any other."""
STAMP_LEEWAY = 60
"""Seconds an event may be dated before the checkpoint that does not cover it: recorded while the
TSA was answering (its timeout is 20 s)."""


def _message(head_hash: str) -> bytes:
    return _DOMAIN + head_hash.encode("ascii")


async def _stamp(tsa_url: str, head_hash: str, timeout: float) -> cms.ContentInfo:
    from signing.timestamps import CheckedTimeStamper

    digest = hashlib.sha256(_message(head_hash)).digest()
    return await CheckedTimeStamper(tsa_url, timeout=timeout).async_timestamp(digest, "sha256")


def _gen_time(token: cms.ContentInfo) -> dt.datetime:
    return token["content"]["encap_content_info"]["content"].parsed["gen_time"].native


def anchor(session: Session, tsa_url: str, timeout: float = 20.0) -> AuditCheckpoint | None:
    """Timestamp the chain's current head and keep the token; None when there is nothing new to
    anchor (no event, or the head is anchored already). Commits."""
    head = session.execute(select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)).first()
    if head is None:
        return None
    latest = session.scalar(select(func.max(AuditCheckpoint.event_id)))
    if latest is not None and latest >= head.id:
        return None
    token = asyncio.run(_stamp(tsa_url, head.hash, timeout))
    checkpoint = AuditCheckpoint(event_id=head.id, head_hash=head.hash, stamped_at=_gen_time(token), token=token.dump())
    session.add(checkpoint)
    session.commit()
    return checkpoint


async def _token_problem(checkpoint: AuditCheckpoint, roots: Sequence[x509.Certificate]) -> str | None:
    """Why the checkpoint's token does not prove its head at its time; None when it does."""
    from pyhanko.sign.validation.generic_cms import validate_tst_signed_data
    from pyhanko_certvalidator import ValidationContext

    try:
        token = cms.ContentInfo.load(checkpoint.token)
        signed_data = token["content"]
        moment = _gen_time(token)
        context = ValidationContext(trust_roots=list(roots), allow_fetching=False, moment=moment,
                                    revocation_mode="soft-fail")
        status = await validate_tst_signed_data(
            signed_data, context, lambda algorithm: hashlib.new(algorithm, _message(checkpoint.head_hash)).digest())
    except Exception as exc:  # a damaged token proves nothing, whatever the reason
        return f"its timestamp token cannot be read ({type(exc).__name__})"
    if not (status["intact"] and status["valid"]):
        return "its timestamp token does not match the anchored head (forged or altered)"
    if status.get("trust_problem_indic") is not None:
        return "its timestamp token is not from a trusted timestamp authority"
    if abs((moment - checkpoint.stamped_at).total_seconds()) > 1:
        return "its recorded time differs from its timestamp token's"
    return None


def verify_checkpoints(session: Session, roots: Sequence[x509.Certificate], max_age: float | None,
                       now: dt.datetime | None = None) -> list[ChainProblem]:
    """Each checkpoint's token proves its head, and the chain still has that head: otherwise the
    chain was truncated or rewritten. With `max_age` (seconds), events older than that must be
    anchored: else checkpoints stopped being made, or were removed."""
    checkpoints = session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.event_id)).all()
    hashes = dict(session.execute(
        select(AuditEvent.id, AuditEvent.hash).where(AuditEvent.id.in_([c.event_id for c in checkpoints]))).all())
    problems = []
    for checkpoint in checkpoints:
        when = checkpoint.stamped_at.isoformat(timespec="seconds")
        token_problem = asyncio.run(_token_problem(checkpoint, roots))
        if token_problem:
            problems.append(ChainProblem(checkpoint.event_id, f"checkpoint of {when}: {token_problem}"))
        elif checkpoint.event_id not in hashes:
            problems.append(ChainProblem(checkpoint.event_id,
                                         f"is missing, but was the chain's head at {when}: the chain was truncated"))
        elif hashes[checkpoint.event_id] != checkpoint.head_hash:
            problems.append(ChainProblem(checkpoint.event_id,
                                         f"differs from the chain's head timestamped at {when}: the chain was rewritten"))
    if checkpoints:
        problems.extend(_backdated(session, checkpoints[-1]))
    if max_age is not None:
        problems.extend(_unanchored(session, checkpoints, max_age, now or utcnow()))
    return problems


def _backdated(session: Session, last: AuditCheckpoint) -> list[ChainProblem]:
    """Events after the last checkpoint dated well before it: appended later, posing as older ones."""
    cutoff = last.stamped_at - dt.timedelta(seconds=STAMP_LEEWAY)
    ids = session.scalars(select(AuditEvent.id).where(AuditEvent.id > last.event_id, AuditEvent.occurred_at < cutoff)
                          .order_by(AuditEvent.id)).all()
    when = last.stamped_at.isoformat(timespec="seconds")
    return [ChainProblem(event_id, f"is dated before the checkpoint of {when} but was not in the chain then: appended later")
            for event_id in ids]


def _unanchored(session: Session, checkpoints: Sequence[AuditCheckpoint], max_age: float,
                now: dt.datetime) -> list[ChainProblem]:
    anchored = checkpoints[-1].event_id if checkpoints else 0
    first = session.execute(select(AuditEvent.id, AuditEvent.occurred_at).where(AuditEvent.id > anchored)
                            .order_by(AuditEvent.id).limit(1)).first()
    if first is None or (now - first.occurred_at).total_seconds() <= max_age:
        return []
    since = checkpoints[-1].stamped_at.isoformat(timespec="seconds") if checkpoints else "ever"
    return [ChainProblem(first.id, f"and the events after it are not anchored by a recent checkpoint (none since {since}): "
                                   "checkpoints stopped being made, or were removed")]


# --- the app's side: the periodic checkpoint and what `audit verify` checks -------------------


def _trust(app) -> tuple[str | None, list[x509.Certificate]]:
    """The TSA's address and the roots its tokens must chain to (the service's own signing roots)."""
    keys = services(app).keys
    if keys is None:  # development before `wallet-service init`: no PKI, no TSA yet
        return None, []
    roots = []
    for path in keys.trust_root_paths():
        data = path.read_bytes()
        roots.append(x509.Certificate.load(pem.unarmor(data)[2] if pem.detect(data) else data))
    return keys.trust_services.tsa_url, roots


def checkpoint_now(app) -> AuditCheckpoint | None:
    """Periodic work: anchor the chain's head, if it moved."""
    tsa_url, _ = _trust(app)
    if tsa_url is None:  # a B-B installation has no TSA: `audit verify` reports the missing checkpoints
        return None
    return anchor(db.session, tsa_url)


def checkpoint_after_batch(app) -> None:
    """At a signing batch's end, anchor what it recorded. The batch is done whatever happens here:
    a TSA that fails now is tried again by the periodic round."""
    try:
        checkpoint_now(app)
    except Exception:  # noqa: BLE001  (any failure of the TSA or its answer)
        db.session.rollback()
        log.warning("audit checkpoint after a signing batch failed; the periodic round will make it", exc_info=True)


def verify_app_checkpoints(app) -> list[ChainProblem]:
    """`verify_checkpoints` with the app's trust roots and checkpoint interval."""
    interval = services(app).settings.audit_checkpoint_seconds
    _, roots = _trust(app)
    # One round may be late (a busy worker, a restart): a checkpoint is missing after two.
    return verify_checkpoints(db.session, roots, 2 * interval + 60 if interval > 0 else None)


def init_app(app) -> None:
    jobs.every(app, "audit-checkpoint", checkpoint_now, services(app).settings.audit_checkpoint_seconds)
