"""Accepting a result document: one path for the API and the demo data, so both obey the same rules."""
from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, scoped_session

from . import audit
from .errors import Conflict, Unprocessable
from .models import Agency, Citizen, Result
from .pdf_intake import inspect_pdf
from .storage import DocumentStore


def submit_result(
    session: Session,
    documents: DocumentStore,
    metadata: dict,
    data: bytes,
    *,
    actor: str,
    max_bytes: int,
    client_id: int | None = None,
) -> tuple[Result, bool]:
    """Store a validated result as pending signature; `(result, created)`.

    The same dossier code with the same document returns the existing result (`created` False);
    with another document it is a `Conflict`. Nothing is written unless everything is valid.
    """
    agency = session.scalar(select(Agency).where(Agency.code == metadata["agency_code"]))
    if agency is None:
        raise Unprocessable(f"Unknown agency {metadata['agency_code']}.", "unknown_agency")
    inspect_pdf(data, max_bytes)
    digest = hashlib.sha256(data).hexdigest()
    existing = session.scalar(select(Result).where(Result.dossier_code == metadata["dossier_code"]))
    if existing is not None:
        return _same_or_conflict(existing, digest), False

    documents.put(data)
    citizen = session.scalar(select(Citizen).where(Citizen.personal_id == metadata["citizen_id"]))
    if citizen is None:
        citizen = Citizen(personal_id=metadata["citizen_id"], full_name=metadata["citizen_name"])
        session.add(citizen)
    result = Result(
        dossier_code=metadata["dossier_code"],
        procedure_code=metadata["procedure_code"],
        procedure_name=metadata["procedure_name"],
        title=metadata["title"],
        citizen=citizen,
        citizen_name=metadata["citizen_name"],
        agency=agency,
        issued_on=metadata.get("issued_on"),
        commune_code=metadata.get("commune_code"),
        extra=metadata.get("extra") or {},
        original_sha256=digest,
        original_size=len(data),
        submitted_by_client_id=client_id,
        signatures=[],
        deliveries=[],
    )
    session.add(result)
    try:
        session.flush()
        audit.record(session, actor, "result.received", result.id, sha256=digest, dossier=result.dossier_code)
        # The answer is built from what is in hand: reloading the new result and its relations after
        # the commit cost five more queries per intake.
        with kept_on_commit(session):
            session.commit()
    except IntegrityError:
        # Another request created the same dossier between our check and our insert.
        session.rollback()
        existing = session.scalar(select(Result).where(Result.dossier_code == metadata["dossier_code"]))
        if existing is None:
            raise
        return _same_or_conflict(existing, digest), False
    return result, True


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
