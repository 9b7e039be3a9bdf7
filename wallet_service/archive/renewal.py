"""The renewal run: index new results, then renew each due one in its own transaction.

A result is claimed by locking its row and its proof row (FOR UPDATE SKIP LOCKED on PostgreSQL, so
parallel runs share the work) and re-checking that it is still due. The new document is stored before
the transaction commits; a run killed before the commit leaves only unreferenced bytes (content
addressing makes them harmless) and the next run renews that result once. `ResultVersion.sha256` is
unique, so a document is superseded at most once even if two runs raced past the lock."""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..models import Result, utcnow
from ..platform.storage import DocumentStore
from ..results import audit
from .extend import ProofExtender
from .models import ArchiveProof, ResultVersion
from .proofs import read_proof
from .schedule import Policy, current_proof, due, unindexed

log = logging.getLogger(__name__)
ACTOR = "archive"
RENEWED = "result.proof_renewed"


@dataclass(frozen=True)
class RunReport:
    """What one run did."""

    indexed: int = 0
    renewed: tuple[str, ...] = ()
    """Ids of the results renewed."""
    failed: tuple[tuple[str, str], ...] = ()
    """(result id, why) of the results that could not be renewed."""
    due: tuple[str, ...] = field(default=())
    """The results found due (in a dry run: those that would be renewed)."""


def index(session: Session, documents: DocumentStore, limit: int) -> int:
    """Read the proof facts of up to `limit` results not indexed yet; returns how many."""
    done = 0
    for result_id in session.scalars(unindexed().limit(limit)).all():
        result = session.get(Result, result_id)
        try:
            facts = read_proof(documents.get(result.signed_sha256))
        except Exception:  # an unreadable document is reported, and never blocks the others
            log.exception("archive: cannot read the proof of result %s", result_id)
            continue
        proof = session.get(ArchiveProof, result_id) or ArchiveProof(result_id=result_id, renewals=0)
        proof.document_sha256 = result.signed_sha256
        proof.expires_at, proof.proof_time = facts.expires_at, facts.proof_time
        proof.algorithms, proof.checked_at = facts.algorithms_text(), utcnow()
        session.add(proof)
        try:
            session.commit()
        except IntegrityError:  # another run indexed it at the same moment
            session.rollback()
            continue
        done += 1
    return done


def _claim(session: Session, result_id: str, policy: Policy):
    query = (select(Result, ArchiveProof).join(ArchiveProof, current_proof())
             .where(Result.id == result_id, policy.due_clause()))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return session.execute(query).first()


def renew_one(session: Session, documents: DocumentStore, extender: ProofExtender, result_id: str,
              policy: Policy) -> bool:
    """Renew one result if it is still due and nobody else holds it; True when renewed."""
    claimed = _claim(session, result_id, policy)
    if claimed is None:
        session.rollback()
        return False
    result, proof = claimed
    previous = result.signed_sha256
    renewed = extender.extend(documents.get(previous))
    digest = documents.put(renewed)
    facts = read_proof(renewed)
    session.add(ResultVersion(result_id=result.id, version=proof.renewals + 1, sha256=previous, superseded_by=digest))
    result.signed_sha256 = digest
    proof.document_sha256, proof.renewals = digest, proof.renewals + 1
    proof.expires_at, proof.proof_time = facts.expires_at, facts.proof_time
    proof.algorithms, proof.checked_at = facts.algorithms_text(), utcnow()
    audit.record(session, ACTOR, RENEWED, result.id, previous_sha256=previous, sha256=digest,
                 renewal=proof.renewals, proof_expires_at=facts.expires_at)
    session.commit()
    return True


def run(session: Session, documents: DocumentStore, open_extender: Callable[[], ProofExtender] | None,
        policy: Policy, limit: int) -> RunReport:
    """Index up to `limit` new results, then renew up to `limit` due ones; without `open_extender`
    (a dry run) only list them. The extender (TSA, trust roots) is opened only when something is due."""
    indexed = index(session, documents, limit)
    candidates = session.scalars(due(policy).limit(limit)).all()
    session.rollback()
    if open_extender is None or not candidates:
        return RunReport(indexed=indexed, due=tuple(candidates))
    with open_extender() as extender:
        renewed, failed = renew_each(session, documents, extender, candidates, policy)
    return RunReport(indexed=indexed, renewed=renewed, failed=failed, due=tuple(candidates))


def renew_each(session: Session, documents: DocumentStore, extender: ProofExtender, candidates, policy: Policy
               ) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
    """Renew each of `candidates` still due and not held by another run; (renewed ids, (id, why) failed)."""
    renewed, failed = [], []
    for result_id in candidates:
        try:
            if renew_one(session, documents, extender, result_id, policy):
                renewed.append(result_id)
        except Exception as exc:  # one document's failure (TSA down, revoked certificate) never stops the run
            session.rollback()
            log.warning("archive: renewing result %s failed: %s", result_id, exc)
            failed.append((result_id, f"{type(exc).__name__}: {exc}"))
    return tuple(renewed), tuple(failed)
