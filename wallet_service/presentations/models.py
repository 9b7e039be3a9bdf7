"""The table of the verifier: one row per presentation request a clerk (or a clerk's system) made.
Only the SHA-256 of the clerk's secret is kept; the presented credential itself is not stored, only
the report made from it (what the clerk reads)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from ..models import Timestamp, db, utcnow

PENDING = "pending"
ANSWERED = "answered"
REFUSED = "refused"


class PresentationRequest(db.Model):
    __tablename__ = "presentation_requests"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    """Random, in the clerk's page address and `/api/v1/presentations/{id}`; never shown to the wallet."""
    secret_sha256: Mapped[str] = mapped_column(String(64))
    """SHA-256 of the secret returned at creation, which reads the answer."""
    state: Mapped[str] = mapped_column(String(64), unique=True)
    """Random; names the request in `request_uri` and comes back with the wallet's response."""
    nonce: Mapped[str] = mapped_column(String(64))
    client_id: Mapped[str] = mapped_column(String(300))
    """The client identifier the key-binding JWT's `aud` must be (with its prefix)."""
    asked: Mapped[dict] = mapped_column(JSON)
    """What the clerk asked for: `procedure_code` (or null: any result) and `claims`."""
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(Timestamp, index=True)
    request_fetched_at: Mapped[dt.datetime | None] = mapped_column(Timestamp)
    answered_at: Mapped[dt.datetime | None] = mapped_column(Timestamp)
    report: Mapped[dict | None] = mapped_column(JSON)
    """The verification report of the answer, by language (`vi`, `en`)."""
