"""The certified copies' tables: what a copy has beside its `Result` row, and the citizens' shares."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from ..models import Agency, Official, Result, Timestamp, db, new_uuid, utcnow


class CertifiedCopy(db.Model):
    """What a certified electronic copy has beside its `Result` row: the scan, the data read out of it,
    and, once an official confirmed them, the confirmed data and the certification's numbers."""

    __tablename__ = "certified_copies"
    __table_args__ = (UniqueConstraint("agency_id", "certification_year", "certification_number"),)
    result_id: Mapped[str] = mapped_column(ForeignKey("results.id"), primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    document_type: Mapped[str] = mapped_column(String(32))
    """A code of `copies.catalogue.DOCUMENT_TYPES`."""
    station_client_id: Mapped[int] = mapped_column(ForeignKey("api_clients.id"))
    scan_sha256: Mapped[str] = mapped_column(String(64))
    """The PDF/A of the scanned pages, before the certification statement is added."""
    page_count: Mapped[int] = mapped_column(Integer)
    text_layer: Mapped[bool] = mapped_column(default=False)
    """Whether the scan was given a searchable text layer (Tesseract with Vietnamese data installed)."""
    original_number: Mapped[str | None] = mapped_column(String(64))
    issued_by: Mapped[str | None] = mapped_column(String(255))
    extracted: Mapped[dict] = mapped_column(JSON, default=dict)
    """Fields read out of the text layer, by field name (None for a field not found)."""
    confirmed: Mapped[dict | None] = mapped_column(JSON)
    """The fields as the certifying official confirmed or corrected them; None until then."""
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(Timestamp)
    certified_by_id: Mapped[int | None] = mapped_column(ForeignKey("officials.id"))
    certification_year: Mapped[int | None] = mapped_column(Integer)
    certification_number: Mapped[int | None] = mapped_column(Integer)
    """Số chứng thực: numbered per agency and year, given at confirmation."""
    book_number: Mapped[str | None] = mapped_column(String(32))
    """Quyển số: the register book of the year's certifications."""
    # `Result.certified_copy_record` (None for a case system's result), added from here so that the
    # core models do not import this package.
    result: Mapped[Result] = relationship(backref=backref("certified_copy_record", uselist=False, viewonly=True))
    certified_by: Mapped[Official | None] = relationship()


class CopyShare(db.Model):
    """A citizen's consent that one agency's case systems may read one certified copy until a time."""

    __tablename__ = "copy_shares"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    result_id: Mapped[str] = mapped_column(ForeignKey("results.id"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    valid_until: Mapped[dt.datetime] = mapped_column(Timestamp)
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(Timestamp)
    result: Mapped[Result] = relationship()
    agency: Mapped[Agency] = relationship()
