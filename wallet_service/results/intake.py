"""Accepting result documents: one path for the API (one result or a batch) and the demo data, so
all obey the same rules."""
from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import bindparam, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, make_transient_to_detached, scoped_session

from . import audit
from ..models import Agency, Citizen, Result, ResultStatus, new_uuid, utcnow
from ..platform.errors import ApiError, Conflict, Forbidden, Unprocessable
from ..platform.storage import DocumentStore
from .formats import dossier_agency, fold
from .pdf_intake import inspect_pdf

MAX_BATCH_RESULTS = 100
"""Results one batch request may carry (its bytes are bounded by the upload limit as well)."""

# Built once: composing a statement cost more CPU than running it (intake is the busiest write).
# The agency, the citizen if known and the id of a result with the same dossier code: one round trip
# (three queries cost ~0.5 ms more CPU).
_LOOKUP = (
    select(Agency, Citizen, select(Result.id).where(Result.dossier_code == bindparam("dossier_code")).scalar_subquery())
    .outerjoin(Citizen, Citizen.personal_id == bindparam("personal_id"))
    .where(Agency.code == bindparam("agency_code"))
)
# A batch looks its agencies, citizens and dossiers up together (a round trip per result cost ~1/5 of its time).
_AGENCIES = select(Agency).where(Agency.code.in_(bindparam("codes", expanding=True)))
_CITIZENS = select(Citizen).where(Citizen.personal_id.in_(bindparam("personal_ids", expanding=True)))
_RESULTS_BY_DOSSIER = select(Result).where(Result.dossier_code.in_(bindparam("dossier_codes", expanding=True)))
_CITIZEN_BY_PERSONAL_ID = select(Citizen).where(Citizen.personal_id == bindparam("personal_id"))
# A plain Core INSERT of the table: the ORM's unit of work took ~1.5 ms per result to write one row.
_INSERT_RESULT = insert(Result.__table__)


@dataclass(frozen=True)
class Submission:
    """One result as a case system sent it: validated metadata and the document's bytes."""

    metadata: dict
    document: bytes


class BatchRefused(ApiError):
    """Some results of a batch cannot be accepted, so none is (`details.items` says which and why)."""

    def __init__(self, failures: dict[int, ApiError]):
        self.failures = failures
        first = failures[min(failures)]
        super().__init__(
            f"{len(failures)} of the batch's results cannot be accepted; nothing was stored.",
            first.code,
            details={"items": [
                {"index": index, "error": error.code, "message": error.message, **({"details": error.details} if error.details else {})}
                for index, error in sorted(failures.items())
            ]},
        )
        self.status = first.status


@dataclass(frozen=True)
class _Known:
    """What the database holds of a batch's agencies, citizens and dossier codes, by code."""

    agencies: dict[str, Agency]
    citizens: dict[str, Citizen]
    results: dict[str, Result]


@dataclass(frozen=True)
class _Checked:
    """A submission that passed every check, with what the lookup found."""

    submission: Submission
    agency: Agency
    citizen: Citizen | None
    digest: str
    existing: Result | None


def submit_result(
    session: Session, documents: DocumentStore, metadata: dict, data: bytes, *,
    actor: str, max_bytes: int, client_id: int | None = None, agency_codes: frozenset[str] | None = None,
) -> tuple[Result, bool]:
    """Store a validated result as pending signature; `(result, created)`.

    The same dossier code with the same document returns the existing result (`created` False);
    with another document it is a `Conflict`. Nothing is written unless everything is valid.
    `agency_codes`, when given, are the agencies the submitter acts for (a case system's): a result
    of another agency is `Forbidden`, a dossier code another agency used is a `Conflict`.
    """
    try:
        return submit_results(session, documents, [Submission(metadata, data)], actor=actor,
                              max_bytes=max_bytes, client_id=client_id, agency_codes=agency_codes)[0]
    except BatchRefused as refused:
        raise refused.failures[0] from None


def submit_results(
    session: Session, documents: DocumentStore, submissions: Sequence[Submission | ApiError], *,
    actor: str, max_bytes: int, client_id: int | None = None, agency_codes: frozenset[str] | None = None,
) -> list[tuple[Result, bool]]:
    """`submit_result` for several results in one transaction: all are stored, or none (`BatchRefused`).
    A result whose dossier code was stored before with the same document comes back with `created` False.
    An entry the caller already refused (its metadata, say) is given as its error: it refuses the
    batch, and the refusal names it with every other entry's problem, so one answer says them all."""
    try:
        return _store(session, documents, _check_all(session, submissions, max_bytes, agency_codes), actor, client_id)
    except IntegrityError:
        # A concurrent request stored one of these dossiers between our lookup and our insert:
        # look again, and the dossier is found (same document: returned; another: a conflict).
        session.rollback()
        return _store(session, documents, _check_all(session, submissions, max_bytes, agency_codes), actor, client_id)


def _check_all(session: Session, submissions: Sequence[Submission | ApiError], max_bytes: int,
               agency_codes: frozenset[str] | None) -> list[_Checked]:
    checked: list[_Checked] = []
    failures: dict[int, ApiError] = {}
    seen: dict[str, int] = {}
    known = _look_up(session, [s for s in submissions if isinstance(s, Submission)])
    for index, submission in enumerate(submissions):
        try:
            if isinstance(submission, ApiError):
                raise submission
            first = seen.setdefault(submission.metadata["dossier_code"], index)
            if first != index:
                raise Unprocessable(f"The batch carries this dossier code twice (also at index {first}).", "duplicate_dossier")
            checked.append(_check(known, submission, max_bytes, agency_codes))
        except ApiError as error:
            failures[index] = error
    if failures:
        raise BatchRefused(failures)
    return checked


def _look_up(session: Session, submissions: Sequence[Submission]) -> _Known:
    if not submissions:  # every entry was refused already
        return _Known({}, {}, {})
    if len(submissions) == 1:  # one result, the usual intake: one round trip for the three
        metadata = submissions[0].metadata
        found = session.execute(_LOOKUP, {
            "agency_code": metadata["agency_code"],
            "personal_id": metadata["citizen_id"],
            "dossier_code": metadata["dossier_code"],
        }).first()
        if found is None:
            return _Known({}, {}, {})
        agency, citizen, existing_id = found
        return _Known(
            {agency.code: agency},
            {citizen.personal_id: citizen} if citizen is not None else {},
            {metadata["dossier_code"]: session.get(Result, existing_id)} if existing_id is not None else {},
        )
    wanted = [submission.metadata for submission in submissions]
    return _Known(
        {a.code: a for a in session.scalars(_AGENCIES, {"codes": sorted({m["agency_code"] for m in wanted})})},
        {c.personal_id: c for c in session.scalars(_CITIZENS, {"personal_ids": sorted({m["citizen_id"] for m in wanted})})},
        {r.dossier_code: r for r in session.scalars(_RESULTS_BY_DOSSIER, {"dossier_codes": sorted({m["dossier_code"] for m in wanted})})},
    )


def _check(known: _Known, submission: Submission, max_bytes: int, agency_codes: frozenset[str] | None) -> _Checked:
    metadata = submission.metadata
    if agency_codes is not None and metadata["agency_code"] not in agency_codes:
        raise Forbidden(f"This client may not submit results for agency {metadata['agency_code']}.", "agency_not_allowed")
    # The dossier code names the receiving unit (a centre may receive what a department decides):
    # it must be an agency the client acts for, or one client could take another agency's codes.
    if agency_codes is not None and (receiver := dossier_agency(metadata["dossier_code"])) not in agency_codes:
        raise Forbidden(f"This client may not submit dossier codes of agency {receiver}.", "dossier_agency_not_allowed")
    agency = known.agencies.get(metadata["agency_code"])
    if agency is None:
        raise Unprocessable(f"Unknown agency {metadata['agency_code']}.", "unknown_agency")
    inspect_pdf(submission.document, max_bytes)
    digest = hashlib.sha256(submission.document).hexdigest()
    existing = known.results.get(metadata["dossier_code"])
    if existing is not None:
        # Checked first: the conflict's details (id, hash) are only for a caller who may read the result.
        if agency_codes is not None and existing.agency.code not in agency_codes:
            raise Conflict("A result with this dossier code already exists for another agency.", "dossier_exists")
        _same_or_conflict(existing, digest)
    return _Checked(submission, agency, known.citizens.get(metadata["citizen_id"]), digest, existing)


def _store(session: Session, documents: DocumentStore, checked: list[_Checked], actor: str,
           client_id: int | None) -> list[tuple[Result, bool]]:
    if all(item.existing is not None for item in checked):
        return [(item.existing, False) for item in checked]
    citizens: dict[str, Citizen] = {}  # one new citizen with several results in the batch is added once
    now = utcnow()
    rows: list[dict | None] = []  # by position in `checked`; None for a result stored before
    for item in checked:
        if item.existing is not None:
            rows.append(None)
            continue
        metadata = item.submission.metadata
        documents.put(item.submission.document)
        citizen = item.citizen or citizens.get(metadata["citizen_id"])
        if citizen is None:
            citizen = new_citizen(session, metadata["citizen_id"], metadata["citizen_name"])
        citizens[metadata["citizen_id"]] = citizen
        rows.append(_row(item, citizen, client_id, now))
    new_rows = [row for row in rows if row is not None]
    session.execute(_INSERT_RESULT, new_rows)
    audit.record_many(session, actor, [
        audit.Entry("result.received", row["id"], {"sha256": row["original_sha256"], "dossier": row["dossier_code"]})
        for row in new_rows
    ])
    with kept_on_commit(session):
        session.commit()
    stored = []
    for item, row in zip(checked, rows):
        if row is None:
            stored.append((item.existing, False))
            continue
        # The stored result, made from what is in hand and joined to the session as if just loaded:
        # reloading it and its relations after the commit cost five more queries per intake.
        result = Result(**row, agency=item.agency, citizen=citizens[item.submission.metadata["citizen_id"]], signatures=[], deliveries=[])
        make_transient_to_detached(result)
        session.add(result)
        stored.append((result, True))
    return stored


def _row(item: _Checked, citizen: Citizen, client_id: int | None, now: dt.datetime) -> dict:
    """The new result's row."""
    metadata = item.submission.metadata
    return {  # every column: one left out would be reloaded by the answer (tests/fuzz pins the count)
        "id": new_uuid(),
        "dossier_code": metadata["dossier_code"],
        "procedure_code": metadata["procedure_code"],
        "procedure_name": metadata["procedure_name"],
        "title": metadata["title"],
        "citizen_id": citizen.id,
        "citizen_name": metadata["citizen_name"],
        "agency_id": item.agency.id,
        "issued_on": metadata.get("issued_on"),
        "commune_code": metadata.get("commune_code"),
        "extra": metadata.get("extra") or {},
        "status": ResultStatus.PENDING_SIGNATURE,
        "original_sha256": item.digest,
        "original_size": len(item.submission.document),
        "signed_sha256": None,
        "submitted_by_client_id": client_id,
        "created_at": now,
        "updated_at": now,
        "signed_at": None,
        "annulled_at": None,
        "annulment_reason": None,
        "returned_at": None,
        "return_reason": None,
        "search_text": fold(" ".join((metadata["title"], metadata["citizen_name"], metadata["procedure_name"]))),
        "received_at": metadata.get("received_at"),
        "due_at": metadata.get("due_at"),
        "delivered_at": None,
        "kind": "result",
    }


def new_citizen(session: Session | scoped_session, personal_id: str, full_name: str) -> Citizen:
    """The citizen's first result: add them, or join the concurrent intake that just did (its
    INSERT wins the unique key; ours is undone to a savepoint, not the whole intake)."""
    try:
        with session.begin_nested():
            citizen = Citizen(personal_id=personal_id, full_name=full_name)
            session.add(citizen)
        return citizen
    except IntegrityError:
        found = session.scalar(_CITIZEN_BY_PERSONAL_ID, {"personal_id": personal_id})
        if found is None:
            raise
        return found


@contextmanager
def kept_on_commit(session: Session | scoped_session) -> Iterator[None]:
    """Commit without expiring the session's objects (they hold exactly what was just written)."""
    target = session() if isinstance(session, scoped_session) else session
    previous, target.expire_on_commit = target.expire_on_commit, False
    try:
        yield
    finally:
        target.expire_on_commit = previous


def _same_or_conflict(existing: Result, digest: str) -> Result:
    if existing.original_sha256 != digest:
        raise Conflict(
            "A result with this dossier code already exists with a different document.",
            "dossier_exists",
            details={"id": existing.id, "original_sha256": existing.original_sha256},
        )
    return existing
