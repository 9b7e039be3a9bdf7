"""A presentation request's life: made for a clerk (a random id, a secret that reads the answer,
a nonce and a state), carried to the wallet as a signed request object (JAR, RFC 9101) behind
`request_uri`, and read back by the clerk. The wallet's answer is `responses`' concern."""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from urllib.parse import urlencode

import jwt
from sqlalchemy import delete
from sqlalchemy.orm import Session

from ..issuer.metadata import FORMAT, PROOF_ALGS
from ..issuer.keys import SIGNING_ALG as ISSUER_ALG
from ..models import utcnow
from .dcql import Ask, dcql_query
from .encryption import DIRECT_POST_JWT, encryption_metadata
from .identity import SIGNING_ALG, VerifierIdentity
from .models import ANSWERED, PENDING, PresentationRequest

LIFETIME = dt.timedelta(minutes=10)
"""How long the clerk's QR code can be answered."""
REQUEST_OBJECT_TYP = "oauth-authz-req+jwt"
REQUEST_OBJECT_MEDIA_TYPE = "application/oauth-authz-req+jwt"
SELF_ISSUED_AUDIENCE = "https://self-issued.me/v2"
"""The `aud` of a request object whose wallet is not known in advance (OpenID4VP §5.8)."""
RESPONSE_PATH = "/presentations/response"
REQUEST_PATH = "/presentations/requests/"


def sha256_hex(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class NewPresentationRequest:
    """A freshly made request and the secret that exists only in this answer."""

    id: str
    secret: str
    """Reads the answer (`Authorization: Bearer <secret>` at `/api/v1/presentations/{id}`)."""
    link: str
    """`openid4vp://?client_id=...&request_uri=...`: the QR code's content."""
    expires_at: dt.datetime


def request_uri(base: str, state: str) -> str:
    return f"{base}{REQUEST_PATH}{state}"


def authorization_link(base: str, client_id: str, state: str) -> str:
    return "openid4vp://?" + urlencode({"client_id": client_id, "request_uri": request_uri(base, state)})


def create(session: Session, ask: Ask, identity: VerifierIdentity, base: str) -> NewPresentationRequest:
    now = utcnow()
    secret = secrets.token_urlsafe(32)
    row = PresentationRequest(
        id=secrets.token_hex(16),
        secret_sha256=sha256_hex(secret),
        state=secrets.token_urlsafe(24),
        nonce=secrets.token_urlsafe(24),  # 192 bits, URL-safe characters only (§5.2)
        client_id=identity.client_id,
        asked=ask.to_dict(),
        status=PENDING,
        created_at=now,
        expires_at=now + LIFETIME,
    )
    session.add(row)
    session.flush()
    return NewPresentationRequest(row.id, secret, authorization_link(base, row.client_id, row.state), row.expires_at)


def client_metadata() -> dict:
    formats = {FORMAT: {"sd-jwt_alg_values": [ISSUER_ALG], "kb-jwt_alg_values": list(PROOF_ALGS)}}
    return {"vp_formats_supported": formats}


def request_object(row: PresentationRequest, identity: VerifierIdentity, base: str, now: dt.datetime,
                   encrypt_with: str | None = None) -> str:
    """The signed request object (OpenID4VP §5), with the verifier's chain in `x5c`: `direct_post`, or
    `direct_post.jwt` to a key derived from `encrypt_with` (the SECRET_KEY) when it is given."""
    issued = int(now.timestamp())
    payload = {
        "iss": row.client_id,
        "aud": SELF_ISSUED_AUDIENCE,
        "iat": issued,
        "exp": int(row.expires_at.timestamp()),
        "client_id": row.client_id,
        "response_type": "vp_token",
        "response_mode": DIRECT_POST_JWT if encrypt_with else "direct_post",
        "response_uri": base + RESPONSE_PATH,
        "nonce": row.nonce,
        "state": row.state,
        "dcql_query": dcql_query(Ask.from_dict(row.asked), base),
        "client_metadata": client_metadata(),
    }
    if encrypt_with:
        payload["client_metadata"].update(encryption_metadata(encrypt_with, row.state))
    headers = {"typ": REQUEST_OBJECT_TYP, "x5c": identity.x5c}
    return jwt.encode(payload, identity.private_pem, algorithm=SIGNING_ALG, headers=headers)


def live_by_state(session: Session, state: str, now: dt.datetime) -> PresentationRequest | None:
    """The request a wallet names by its state, while it may still be answered."""
    row = session.query(PresentationRequest).filter_by(state=state).one_or_none()
    if row is None or row.status != PENDING or row.expires_at <= now:
        return None
    return row


def readable(session: Session, presentation_id: str, secret: str | None) -> PresentationRequest | None:
    """The request whose secret this is; None for an unknown id and a wrong secret alike."""
    row = session.get(PresentationRequest, presentation_id)
    if row is None or not secret or not hmac.compare_digest(row.secret_sha256, sha256_hex(secret)):
        return None
    return row


def public_view(row: PresentationRequest, lang: str, now: dt.datetime) -> dict:
    """What the clerk (page or system) reads: the state of the request and, once answered, the report."""
    status = row.status
    if status == PENDING and row.expires_at <= now:
        status = "expired"
    body = {
        "id": row.id,
        "status": status,
        "asked": row.asked,
        "client_id": row.client_id,
        "created_at": row.created_at.isoformat(),
        "expires_at": row.expires_at.isoformat(),
        "request_fetched": row.request_fetched_at is not None,
        "answered_at": row.answered_at.isoformat() if row.answered_at else None,
        "accepted": status == ANSWERED,
        "report": (row.report or {}).get(lang),
    }
    return body


def forget_old(session: Session, now: dt.datetime, retention: dt.timedelta) -> int:
    """Delete the requests that expired longer than `retention` ago, with the reports they hold."""
    done = session.execute(delete(PresentationRequest).where(PresentationRequest.expires_at < now - retention))
    return done.rowcount or 0
