"""The archive's tables: what each result's long-term proof rests on, and the versions a renewal replaced."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..models import Timestamp, db, utcnow


class ArchiveProof(db.Model):
    """One row per signed result, describing its current document (`document_sha256`): when the
    certificate of its newest timestamp expires and which algorithms the proof rests on. A row whose
    `document_sha256` differs from `Result.signed_sha256` is stale and read again."""

    __tablename__ = "archive_proofs"
    result_id: Mapped[str] = mapped_column(ForeignKey("results.id"), primary_key=True)
    document_sha256: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[dt.datetime | None] = mapped_column(Timestamp, index=True)
    """Expiry of the TSA certificate of the newest document timestamp (without one: the earliest
    expiry among the signatures' certificates); None when the document carries no signature."""
    proof_time: Mapped[dt.datetime | None] = mapped_column(Timestamp)
    """When the newest timestamp was made."""
    algorithms: Mapped[str] = mapped_column(String(255), default="")
    """`,sha256,rsassa_pkcs1v15,rsa2048,`: commas around each, so one can be matched with LIKE."""
    renewals: Mapped[int] = mapped_column(Integer, default=0)
    checked_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)


class ResultVersion(db.Model):
    """A signed document of a result that a renewal replaced. The bytes stay in the document store;
    `sha256` is unique, so a document can be superseded only once, whatever runs at the same time."""

    __tablename__ = "result_versions"
    id: Mapped[int] = mapped_column(primary_key=True)
    result_id: Mapped[str] = mapped_column(ForeignKey("results.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    """1 for the document as first signed, then one more per renewal."""
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    superseded_by: Mapped[str] = mapped_column(String(64))
    """The SHA-256 of the renewed document that replaced it."""
    superseded_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)
