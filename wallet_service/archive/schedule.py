"""Which results are due: signed or delivered (never annulled), with a proof row describing their
current document, whose proof expires before a cutoff or rests on a deprecated algorithm."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Select, and_, or_, select

from ..models import Result, ResultStatus
from .models import ArchiveProof

LIVE = (ResultStatus.SIGNED, ResultStatus.DELIVERED)
"""Results whose proof is kept alive; an annulled result's proof may lapse."""


@dataclass(frozen=True)
class Policy:
    """When a proof is due for renewal."""

    cutoff: dt.datetime
    """Proofs expiring before this moment are due (now + the margin, or `--before`)."""
    deprecated_algorithms: tuple[str, ...] = ()
    """Any proof resting on one of these is due whatever its expiry."""

    def due_clause(self):
        clauses = [ArchiveProof.expires_at < self.cutoff]
        clauses += [ArchiveProof.algorithms.like(f"%,{name.lower()},%") for name in self.deprecated_algorithms]
        return or_(*clauses)


def current_proof():
    """The proof row describes the result's current document, and the result is live."""
    return and_(ArchiveProof.result_id == Result.id, ArchiveProof.document_sha256 == Result.signed_sha256,
                Result.status.in_(LIVE))


def due(policy: Policy) -> Select:
    """Ids of the due results, the soonest expiring first."""
    return (select(Result.id).join(ArchiveProof, current_proof()).where(policy.due_clause())
            .order_by(ArchiveProof.expires_at, Result.id))


def unindexed() -> Select:
    """Live signed results without a proof row for their current document (new, or renewed elsewhere)."""
    return (select(Result.id).outerjoin(ArchiveProof, ArchiveProof.result_id == Result.id)
            .where(Result.status.in_(LIVE), Result.signed_sha256.is_not(None),
                   or_(ArchiveProof.result_id.is_(None), ArchiveProof.document_sha256 != Result.signed_sha256))
            .order_by(Result.signed_at, Result.id))
