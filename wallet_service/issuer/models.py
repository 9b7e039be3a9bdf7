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
    issuer_state_sha256: Mapped[str | None] = mapped_column(String(64), unique=True)
    """SHA-256 of the offer's `issuer_state` (authorization code grant); the same offer, another door."""
    result: Mapped[Result] = relationship()


class CredentialAccessToken(db.Model):
    """An access token from the token endpoint, valid for the offer's result only."""

    __tablename__ = "credential_access_tokens"
    token_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("credential_offers.id"), index=True)
    expires_at: Mapped[dt.datetime] = mapped_column(Timestamp, index=True)
    dpop_jkt: Mapped[str | None] = mapped_column(String(64))
    """RFC 7638 thumbprint of the DPoP key the token is bound to (`cnf.jkt`); None: a Bearer token."""
    offer: Mapped[CredentialOffer] = relationship()


class UsedProofJti(db.Model):
    """`jti`s of accepted DPoP proofs and client attestation PoPs (hashed with their purpose), kept
    until the proof would be too old anyway, so a replay is refused on every worker."""

    __tablename__ = "issuer_used_jtis"
    jti_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[dt.datetime] = mapped_column(Timestamp, index=True)


class AuthorizationRequest(db.Model):
    """A pushed authorization request (RFC 9126) and, once the citizen logged in, its code."""

    __tablename__ = "credential_authorization_requests"
    id: Mapped[int] = mapped_column(primary_key=True)
    request_uri_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    client_id: Mapped[str] = mapped_column(String(255))
    redirect_uri: Mapped[str] = mapped_column(String(2000))
    code_challenge: Mapped[str] = mapped_column(String(128))
    """PKCE S256 challenge (RFC 7636)."""
    state: Mapped[str | None] = mapped_column(String(512))
    offer_id: Mapped[int | None] = mapped_column(ForeignKey("credential_offers.id"))
    """The offer named by `issuer_state`, or made for the result the citizen chose."""
    dpop_jkt: Mapped[str | None] = mapped_column(String(64))
    """DPoP key of the PAR request (RFC 9449 §10): the code is redeemable with that key only."""
    code_sha256: Mapped[str | None] = mapped_column(String(64), unique=True)
    expires_at: Mapped[dt.datetime] = mapped_column(Timestamp, index=True)
    used_at: Mapped[dt.datetime | None] = mapped_column(Timestamp)
    offer: Mapped[CredentialOffer | None] = relationship()


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
    batch_notification_id: Mapped[str | None] = mapped_column(String(64), index=True)
    """The `notification_id` answered for a batch: one notification covers all its credentials."""
    holder_key_thumbprint: Mapped[str] = mapped_column(String(64))
    """RFC 7638 thumbprint of the holder key in `cnf`; identifies the credential without keeping it."""
    issued_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(Timestamp)
    notification_event: Mapped[str | None] = mapped_column(String(32))
    notified_at: Mapped[dt.datetime | None] = mapped_column(Timestamp)
