"""The pre-authorised code flow's secrets: credential offers with their transaction codes, access
tokens and proof nonces. Each is random, short-lived, stored only as a SHA-256, and single use
where the spec says so (pre-authorised code, c_nonce). Redemption and consumption are conditional
UPDATE/DELETE statements, so two concurrent requests cannot both succeed."""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from ..models import Result, ResultStatus, utcnow
from .errors import BearerTokenError, TokenError
from .metadata import AUTHORIZATION_CODE_GRANT, CONFIGURATION_ID, PRE_AUTHORIZED_GRANT
from .models import CredentialAccessToken, CredentialOffer, ProofNonce

OFFER_LIFETIME = dt.timedelta(minutes=10)
ACCESS_TOKEN_LIFETIME = dt.timedelta(minutes=5)
"""Longer would be a long-lived bearer token (OpenID4VCI §13.10)."""
NONCE_LIFETIME = dt.timedelta(minutes=5)
TX_CODE_LENGTH = 6
MAX_TX_CODE_FAILURES = 5
"""Wrong transaction codes before the offer is burnt: guessing a 6-digit code stays at 5 in 10^6."""
OFFERABLE = (ResultStatus.SIGNED, ResultStatus.DELIVERED)


def sha256_hex(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class NewOffer:
    """A freshly made offer and the two secrets that exist only in this answer."""

    offer_id: int
    """Row id of the `CredentialOffer`."""
    pre_authorized_code: str
    """Goes into the offer (fetched by the wallet from `credential_offer_uri`)."""
    tx_code: str
    """Shown to the citizen only, typed into the wallet: the second channel."""
    expires_at: dt.datetime
    """When the pre-authorised code stops working."""


def create_offer(session: Session, result: Result) -> NewOffer:
    now = utcnow()
    code = secrets.token_urlsafe(32)
    tx_code = "".join(secrets.choice("0123456789") for _ in range(TX_CODE_LENGTH))
    offer = CredentialOffer(
        result_id=result.id,
        citizen_id=result.citizen_id,
        code_sha256=sha256_hex(code),
        issuer_state_sha256=sha256_hex(issuer_state_of(code)),
        tx_code_sha256=sha256_hex(f"{code}:{tx_code}"),
        created_at=now,
        expires_at=now + OFFER_LIFETIME,
    )
    session.add(offer)
    session.flush()
    return NewOffer(offer.id, code, tx_code, offer.expires_at)


def issuer_state_of(code: str) -> str:
    """The offer's `issuer_state` for the authorization code grant: derived from the pre-authorised
    code (one-way), so nothing more is stored than its hash."""
    return base64.urlsafe_b64encode(hashlib.sha256(f"issuer_state:{code}".encode()).digest()).rstrip(b"=").decode()


def live_offer(session: Session, code: str) -> CredentialOffer | None:
    """The offer of a pre-authorised code, while it can still be redeemed."""
    offer = session.scalar(select(CredentialOffer).where(CredentialOffer.code_sha256 == sha256_hex(code)))
    if offer is None or offer.redeemed_at is not None or offer.expires_at <= utcnow():
        return None
    return offer


def offer_object(issuer: str, code: str, configuration_id: str = CONFIGURATION_ID) -> dict:
    """The Credential Offer JSON (§4.1.1) served behind `credential_offer_uri`: the pre-authorised
    code, or the authorization code flow carrying `issuer_state`."""
    return {
        "credential_issuer": issuer,
        "credential_configuration_ids": [configuration_id],
        "grants": {
            AUTHORIZATION_CODE_GRANT: {"issuer_state": issuer_state_of(code)},
            PRE_AUTHORIZED_GRANT: {
                "pre-authorized_code": code,
                "tx_code": {
                    "input_mode": "numeric",
                    "length": TX_CODE_LENGTH,
                    "description": "Nhập mã giao dịch hiển thị trên trang Ví của dịch vụ công "
                    "(Enter the transaction code shown on the service's wallet page).",
                },
            }
        },
    }


@dataclass(frozen=True)
class IssuedToken:
    """What the token endpoint answers."""

    access_token: str
    """Opaque token; only its hash is stored."""
    expires_in: int
    """Seconds."""
    token_type: str = "Bearer"
    """`DPoP` when the token is bound to the DPoP key of the token request."""


def issue_access_token(session: Session, offer_id: int, dpop_jkt: str | None) -> IssuedToken:
    """A new access token for the offer's result, bound to `dpop_jkt` when given; committed."""
    token = secrets.token_urlsafe(32)
    session.add(CredentialAccessToken(token_sha256=sha256_hex(token), offer_id=offer_id, dpop_jkt=dpop_jkt,
                                      expires_at=utcnow() + ACCESS_TOKEN_LIFETIME))
    session.commit()
    return IssuedToken(token, int(ACCESS_TOKEN_LIFETIME.total_seconds()), "DPoP" if dpop_jkt else "Bearer")


def redeem_pre_authorized_code(session: Session, code: str | None, tx_code: str | None,
                               dpop_jkt: str | None = None) -> IssuedToken:
    """Exchange the code and its transaction code for an access token (§6), committing the outcome
    (including a counted wrong tx_code) before any refusal is raised."""
    if not code:
        raise TokenError("invalid_request", "The pre-authorized_code parameter is missing.")
    now = utcnow()
    offer = session.scalar(select(CredentialOffer).where(CredentialOffer.code_sha256 == sha256_hex(code)))
    if offer is None or offer.redeemed_at is not None or offer.expires_at <= now:
        raise TokenError("invalid_grant", "The pre-authorized code is unknown, expired or already used.")
    if offer.result.status not in OFFERABLE:
        raise TokenError("invalid_grant", "The result of this offer can no longer be issued.")
    if not tx_code:
        raise TokenError("invalid_request", "This offer requires the tx_code the citizen was shown.")
    if not hmac.compare_digest(offer.tx_code_sha256, sha256_hex(f"{code}:{tx_code}")):
        failures = offer.tx_code_failures + 1
        session.execute(
            update(CredentialOffer)
            .where(CredentialOffer.id == offer.id)
            .values(
                tx_code_failures=CredentialOffer.tx_code_failures + 1,
                redeemed_at=now if failures >= MAX_TX_CODE_FAILURES else None,
            )
        )
        session.commit()
        raise TokenError("invalid_grant", "The tx_code is wrong.")
    claimed = session.execute(
        update(CredentialOffer)
        .where(CredentialOffer.id == offer.id, CredentialOffer.redeemed_at.is_(None))
        .values(redeemed_at=now)
    ).rowcount
    if claimed != 1:
        session.rollback()
        raise TokenError("invalid_grant", "The pre-authorized code was already used.")
    return issue_access_token(session, offer.id, dpop_jkt)


def authenticate_access_token(session: Session, authorization: str | None,
                              dpop_key_of: Callable[[str], str]) -> CredentialAccessToken:
    """The live access token of an `Authorization: Bearer` (RFC 6750 §2.1) or `Authorization: DPoP`
    header (RFC 9449 §7.1). `dpop_key_of(token)` checks the request's DPoP proof for that token
    and returns its key's thumbprint. A DPoP-bound token presented as Bearer is refused."""
    scheme, _, value = (authorization or "").partition(" ")
    scheme, value = scheme.lower(), value.strip()
    if not authorization:
        raise BearerTokenError("An access token from the token endpoint is required.", None)
    if scheme not in ("bearer", "dpop") or not value:
        raise BearerTokenError("Send the access token as Authorization: DPoP or Bearer.", "invalid_request")
    token = session.get(CredentialAccessToken, sha256_hex(value))
    challenge = "DPoP" if scheme == "dpop" else "Bearer"
    if token is None or token.expires_at <= utcnow():
        raise BearerTokenError("The access token is unknown or expired.", challenge=challenge)
    if scheme == "bearer" and token.dpop_jkt is not None:
        raise BearerTokenError("This access token is DPoP-bound; present it as Authorization: DPoP with a DPoP proof.",
                               challenge="DPoP")
    if scheme == "dpop":
        if token.dpop_jkt is None:
            raise BearerTokenError("This access token is not DPoP-bound; present it as Bearer.", challenge="DPoP")
        if dpop_key_of(value) != token.dpop_jkt:
            raise BearerTokenError("The DPoP proof is signed by another key than the one the token is bound to.",
                                   challenge="DPoP")
    return token


def new_nonce(session: Session) -> tuple[str, int]:
    """A fresh c_nonce and its lifetime in seconds; expired ones are swept on the way."""
    now = utcnow()
    session.execute(delete(ProofNonce).where(ProofNonce.expires_at <= now))
    nonce = secrets.token_urlsafe(24)
    session.add(ProofNonce(nonce_sha256=sha256_hex(nonce), expires_at=now + NONCE_LIFETIME))
    session.commit()
    return nonce, int(NONCE_LIFETIME.total_seconds())


def consume_nonce(session: Session, nonce: str) -> bool:
    """True once for a live nonce, then never again (the row is deleted in the caller's transaction)."""
    deleted = session.execute(
        delete(ProofNonce).where(ProofNonce.nonce_sha256 == sha256_hex(nonce), ProofNonce.expires_at > utcnow())
    ).rowcount
    return deleted == 1
