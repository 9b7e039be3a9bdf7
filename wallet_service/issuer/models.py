"""Tables of the credential issuer. Only hashes of bearer secrets (pre-authorised codes, transaction
codes, access tokens, nonces) are stored, so a database read gives no one a usable secret; issued
credentials themselves are not stored (OpenID4VCI §13.4: no privacy-sensitive copies), only what
revocation and notifications need."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..models import Result, Timestamp, db, utcnow


class CredentialOffer(db.Model):
    """A pre-authorised code offered to a citizen for one result; short-lived and redeemed once."""

    __tablename__ = "credential_offers"
    id: Mapped[int] = mapped_column(primary_key=True)
    result_id: Mapped[str] = mapped_column(ForeignKey("results.id"), index=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizens.id"))
    code_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    """SHA-256 of the pre-authorised code (which is also the offer's handle in `credential_offer_uri`)."""
    tx_code_sha256: Mapped[str] = mapped_column(String(64))
    tx_code_failures: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(Timestamp, index=True)
    redeemed_at: Mapped[dt.datetime | None] = mapped_column(Timestamp)
    """Set when the code was exchanged for an access token, or burnt by too many wrong tx_codes."""
    result: Mapped[Result] = relationship()


class CredentialAccessToken(db.Model):
    """An access token from the token endpoint, valid for the offer's result only."""

    __tablename__ = "credential_access_tokens"
    token_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("credential_offers.id"), index=True)
    expires_at: Mapped[dt.datetime] = mapped_column(Timestamp, index=True)
    offer: Mapped[CredentialOffer] = relationship()


class ProofNonce(db.Model):
    """A `c_nonce` from the nonce endpoint; deleted when a proof uses it (single use)."""

    __tablename__ = "credential_nonces"
    nonce_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[dt.datetime] = mapped_column(Timestamp, index=True)


class StatusList(db.Model):
    """One Token Status List (`/status-lists/{id}`). Its bits are not stored: they are derived from
    `IssuedCredential` and `Result` rows when the list is served, so there is no second copy to drift."""

    __tablename__ = "status_lists"
    id: Mapped[int] = mapped_column(primary_key=True)
    bits: Mapped[int] = mapped_column(Integer, default=1)
    size: Mapped[int] = mapped_column(Integer)
    """Number of entries; indices are drawn at random below it (unlinkability, TSL §12.2)."""
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)


class IssuedCredential(db.Model):
    """Bookkeeping of one issued SD-JWT VC: where its status lives and what the wallet told us."""

    __tablename__ = "issued_credentials"
    __table_args__ = (UniqueConstraint("status_list_id", "status_index"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    result_id: Mapped[str] = mapped_column(ForeignKey("results.id"), index=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("credential_offers.id"), index=True)
    status_list_id: Mapped[int] = mapped_column(ForeignKey("status_lists.id"))
    status_index: Mapped[int] = mapped_column(Integer)
    notification_id: Mapped[str] = mapped_column(String(64), unique=True)
    holder_key_thumbprint: Mapped[str] = mapped_column(String(64))
    """RFC 7638 thumbprint of the holder key in `cnf`; identifies the credential without keeping it."""
    issued_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(Timestamp)
    notification_event: Mapped[str | None] = mapped_column(String(32))
    notified_at: Mapped[dt.datetime | None] = mapped_column(Timestamp)
