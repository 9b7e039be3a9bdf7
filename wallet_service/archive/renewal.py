"""The renewal run: index new results, then renew the due ones a few at a time.

A chunk of results is claimed by locking their rows and proof rows (FOR UPDATE SKIP LOCKED on
PostgreSQL, so parallel runs share the work) and re-checking that they are still due. Each claimed
document is extended and stored; then the chunk's versions, proofs and audit events are written and
committed in one transaction (one claim query, one audit-chain lock and one commit per chunk, not per
result). A run killed before that commit leaves only unreferenced bytes (content addressing makes
them harmless) and the next run renews each of those results once; `ResultVersion.sha256` is unique,
so a document is superseded at most once even if two runs raced past the lock."""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from ..models import Result, utcnow
from ..platform.storage import DocumentStore
from ..results import audit
from .extend import ProofExtender
from .models import ArchiveProof, ResultVersion
from .proofs import ProofFacts, read_proof
from .schedule import Policy, current_proof, due, unindexed

log = logging.getLogger(__name__)
ACTOR = "archive"
RENEWED = "result.proof_renewed"
CHUNK = 8
"""Results claimed and committed together: the row locks last ~8 renewals (~0.15 s); a killed run
loses at most that much work, and the commit, claim and audit lock are paid once per chunk."""

Failures = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class RunReport:
    """What one run did."""

    indexed: int = 0
    renewed: tuple[str, ...] = ()
    """Ids of the results renewed."""
    failed: Failures = ()
    """(result id, why) of the results that could not be renewed."""
    due: tuple[str, ...] = field(default=())
    """The results found due (in a dry run: those that would be renewed)."""
    startup_seconds: float = 0.0
    """How long the renewing processes took to be ready, counted from the run's start (0: in-process)."""


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
        _describe(proof, facts)
        session.add(proof)
        try:
            session.commit()
        except IntegrityError:  # another run indexed it at the same moment
            session.rollback()
            continue
        done += 1
    return done


def _describe(proof: ArchiveProof, facts: ProofFacts) -> None:
    proof.expires_at, proof.proof_time = facts.expires_at, facts.proof_time
    proof.algorithms, proof.checked_at = facts.algorithms_text(), utcnow()


def _claim(session: Session, result_ids: Sequence[str], policy: Policy) -> list:
    query = (select(Result, ArchiveProof).join(ArchiveProof, current_proof())
             .where(Result.id.in_(result_ids), policy.due_clause()).order_by(Result.id))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return session.execute(query).all()


@dataclass(frozen=True)
class _Renewal:
    result: Result
    proof: ArchiveProof
    digest: str
    facts: ProofFacts


def _record(session: Session, renewals: list[_Renewal]) -> None:
    """The new versions, proof facts and audit events of `renewals`, in the session's transaction."""
    entries = []
    for made in renewals:
        result, proof, previous = made.result, made.proof, made.result.signed_sha256
        session.add(ResultVersion(result_id=result.id, version=proof.renewals + 1, sha256=previous,
                                  superseded_by=made.digest))
        result.signed_sha256 = proof.document_sha256 = made.digest
        proof.renewals += 1
        _describe(proof, made.facts)
        entries.append(audit.Entry(RENEWED, result.id, dict(
            previous_sha256=previous, sha256=made.digest, renewal=proof.renewals,
            proof_expires_at=made.facts.expires_at)))
    audit.record_many(session, ACTOR, entries)


def renew_chunk(session: Session, documents: DocumentStore, extender: ProofExtender, result_ids: Sequence[str],
                policy: Policy) -> tuple[tuple[str, ...], Failures]:
    """Renew those of `result_ids` still due and not held by another run, committed together;
    (renewed ids, (id, why) failed). One document's failure (TSA down, revoked certificate, missing
    file) is reported and never stops the others."""
    claimed, failed = [], []
    for result, proof in _claim(session, result_ids, policy):
        try:
            claimed.append((result, proof, documents.get(result.signed_sha256)))
        except Exception as exc:
            failed.append(_failure(result.id, exc))
    made = extender.extend_many([data for _, _, data in claimed]) if claimed else []
    renewals = []
    for (result, proof, _), renewed in zip(claimed, made):
        try:
            if isinstance(renewed, BaseException):
                raise renewed
            renewals.append(_Renewal(result, proof, documents.put(renewed), read_proof(renewed)))
        except Exception as exc:
            failed.append(_failure(result.id, exc))
    try:
        if renewals:
            _record(session, renewals)
        session.commit()
    except SQLAlchemyError as exc:  # e.g. another run superseded one of them: the next run sees it
        session.rollback()
        return (), tuple(failed) + tuple(_failure(r.result.id, exc) for r in renewals)
    return tuple(r.result.id for r in renewals), tuple(failed)


def _failure(result_id: str, exc: Exception) -> tuple[str, str]:
    log.warning("archive: renewing result %s failed: %s", result_id, exc)
    return result_id, f"{type(exc).__name__}: {exc}"


def chunks(items: Sequence[str], size: int = CHUNK) -> Iterator[tuple[str, ...]]:
    for start in range(0, len(items), size):
        yield tuple(items[start:start + size])


def renew_each(session: Session, documents: DocumentStore, extender: ProofExtender,
               chunked: Iterable[Sequence[str]], policy: Policy) -> tuple[tuple[str, ...], Failures]:
    """`renew_chunk` for each chunk of ids; (renewed ids, (id, why) failed)."""
    renewed, failed = [], []
    for chunk in chunked:
        done, not_done = renew_chunk(session, documents, extender, chunk, policy)
        renewed += done
        failed += not_done
    return tuple(renewed), tuple(failed)


def list_due(session: Session, documents: DocumentStore, policy: Policy, limit: int) -> tuple[int, tuple[str, ...]]:
    """Index up to `limit` new results, then list up to `limit` due ones: (indexed, due ids)."""
    indexed = index(session, documents, limit)
    candidates = tuple(session.scalars(due(policy).limit(limit)).all())
    session.rollback()
    return indexed, candidates


def run(session: Session, documents: DocumentStore, open_extender: Callable[[], ProofExtender] | None,
        policy: Policy, limit: int, chunk: int = CHUNK) -> RunReport:
    """Index up to `limit` new results, then renew up to `limit` due ones; without `open_extender`
    (a dry run) only list them. The extender (TSA, trust roots) is opened only when something is due."""
    indexed, candidates = list_due(session, documents, policy, limit)
    if open_extender is None or not candidates:
        return RunReport(indexed=indexed, due=candidates)
    with open_extender() as extender:
        renewed, failed = renew_each(session, documents, extender, chunks(candidates, chunk), policy)
    return RunReport(indexed=indexed, renewed=renewed, failed=failed, due=candidates)
