"""DPoP (RFC 9449) at the token and credential endpoints: proof validation, server nonces and the
replay store. No library we use does DPoP on the server side (Authlib has no RFC 9449 support), so
the checks of §4.3 are made here, on pyjwt's signature and claim checks.

Nonces are stateless: a timestamp and its HMAC under the app's secret, valid `NONCE_LIFETIME`, so
no worker needs to share them. Replays are refused by each proof's `jti`, kept in the database
(`UsedProofJti`) until the proof would be too old anyway, like the key proofs' single-use nonces."""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import time
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import jwt
from jwcrypto import jwk as jwcrypto_jwk
from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..models import utcnow
from .errors import ProtocolError
from .metadata import DPOP_ALGS
from .models import UsedProofJti

DPOP_TYP = "dpop+jwt"
NONCE_LIFETIME = 300
"""Seconds a DPoP nonce stays acceptable."""
MAX_PROOF_AGE = 300
MAX_CLOCK_SKEW = 60
_PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
_INSERT = {
    name: dialect.insert(UsedProofJti.__table__).on_conflict_do_nothing().returning(UsedProofJti.jti_sha256)
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
}


class DPoPError(ProtocolError):
    """A refused DPoP proof (RFC 9449 §5, §7.1, §8): `invalid_dpop_proof` or `use_dpop_nonce`.
    At a protected resource it is a 401 with a `WWW-Authenticate: DPoP` challenge."""

    challenge = "DPoP"

    def __init__(self, error: str, description: str, *, status: int = 400, nonce: str | None = None):
        super().__init__(error, description, status)
        self.nonce = nonce


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def new_nonce(secret: str, now: float | None = None) -> str:
    stamp = str(int(time.time() if now is None else now))
    mac = hmac.new(secret.encode(), b"dpop-nonce:" + stamp.encode(), hashlib.sha256).digest()[:16]
    return f"{stamp}.{_b64url(mac)}"


def nonce_is_live(secret: str, nonce: str, now: float | None = None) -> bool:
    stamp, _, mac = nonce.partition(".")
    if not stamp.isdigit():
        return False
    expected = new_nonce(secret, int(stamp)).partition(".")[2]
    age = (time.time() if now is None else now) - int(stamp)
    return hmac.compare_digest(expected, mac) and -MAX_CLOCK_SKEW <= age <= NONCE_LIFETIME


def access_token_hash(access_token: str) -> str:
    """The `ath` claim: base64url SHA-256 of the access token (§4.2)."""
    return _b64url(hashlib.sha256(access_token.encode("ascii")).digest())


def _htu(url: str) -> str:
    """The URI without query and fragment, scheme and host lower-cased (§4.3 point 9)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", "", ""))


@dataclass(frozen=True)
class DPoPRequest:
    """What a DPoP proof must match."""

    method: str
    url: str
    """The request's URL as the client addressed it (the public URL of the endpoint)."""
    secret: str
    """Keys the server nonces."""
    access_token: str | None = None
    """At a protected resource: the token the proof must be bound to (`ath`)."""


def _public_key(header: dict):
    key = header.get("jwk")
    if not isinstance(key, dict) or _PRIVATE_MEMBERS & key.keys():
        raise DPoPError("invalid_dpop_proof", "The DPoP proof must carry a public key as jwk (and nothing private).")
    try:
        return jwt.PyJWK(key, algorithm=header["alg"]).key, jwcrypto_jwk.JWK(**key).thumbprint()
    except (jwt.PyJWKError, jwt.InvalidKeyError, ValueError, TypeError, KeyError) as exc:
        raise DPoPError("invalid_dpop_proof", f"The DPoP jwk is not a usable public key ({type(exc).__name__}).") from None


def _claims(proof: str) -> tuple[dict, str]:
    try:
        header = jwt.get_unverified_header(proof)
    except jwt.DecodeError:
        raise DPoPError("invalid_dpop_proof", "The DPoP header is not a well-formed JWT.") from None
    if header.get("typ") != DPOP_TYP:
        raise DPoPError("invalid_dpop_proof", f"The DPoP proof's typ must be {DPOP_TYP}.")
    if header.get("alg") not in DPOP_ALGS:
        raise DPoPError("invalid_dpop_proof", f"The DPoP proof's alg must be one of {', '.join(DPOP_ALGS)}.")
    key, thumbprint = _public_key(header)
    try:
        claims = jwt.decode(proof, key, algorithms=[header["alg"]], options={"require": ["jti", "htm", "htu", "iat"]},
                            leeway=MAX_CLOCK_SKEW)
    except jwt.MissingRequiredClaimError as exc:
        raise DPoPError("invalid_dpop_proof", f"The DPoP proof lacks the {exc.claim} claim.") from None
    except jwt.InvalidTokenError as exc:
        raise DPoPError("invalid_dpop_proof", f"The DPoP proof does not verify ({type(exc).__name__}).") from None
    return claims, thumbprint


def verify_proof(session: Session, proof: str | None, expected: DPoPRequest) -> str:
    """The thumbprint (`jkt`) of the key that signed a valid, fresh, unreplayed DPoP proof. At a
    protected resource (an access token given) a refusal is a 401 (§7.1), else a 400 (§5)."""
    try:
        return _verified(session, proof, expected)
    except DPoPError as exc:
        exc.status = 401 if expected.access_token is not None else 400
        raise


def _verified(session: Session, proof: str | None, expected: DPoPRequest) -> str:
    if not proof or "," in proof:
        raise DPoPError("invalid_dpop_proof", "Exactly one DPoP header with a proof JWT is required.")
    claims, thumbprint = _claims(proof)
    if claims["htm"] != expected.method or not isinstance(claims["htu"], str) or _htu(claims["htu"]) != _htu(expected.url):
        raise DPoPError("invalid_dpop_proof", "The DPoP proof's htm and htu must name this request.")
    iat = claims["iat"]
    if not isinstance(iat, (int, float)) or isinstance(iat, bool) or iat < time.time() - MAX_PROOF_AGE:
        raise DPoPError("invalid_dpop_proof", f"The DPoP proof is older than {MAX_PROOF_AGE} seconds.")
    if expected.access_token is not None and claims.get("ath") != access_token_hash(expected.access_token):
        raise DPoPError("invalid_dpop_proof", "The DPoP proof's ath does not match the access token.")
    nonce = claims.get("nonce")
    if not isinstance(nonce, str) or not nonce_is_live(expected.secret, nonce):
        raise DPoPError("use_dpop_nonce", "Use the DPoP nonce this server provides in the DPoP-Nonce header.",
                        nonce=new_nonce(expected.secret))
    if not spend_jti(session, f"dpop:{thumbprint}:{claims['jti']}", MAX_PROOF_AGE + MAX_CLOCK_SKEW):
        raise DPoPError("invalid_dpop_proof", "This DPoP proof was already used; make a new one per request.")
    return thumbprint


def spend_jti(session: Session, scoped_jti: str, keep_seconds: int) -> bool:
    """Record a proof's `jti` in the caller's transaction; False when it was already recorded.
    Expired ones are swept on the way."""
    now = utcnow()
    session.execute(delete(UsedProofJti).where(UsedProofJti.expires_at <= now))
    statement = _INSERT[session.get_bind().dialect.name]
    digest = hashlib.sha256(scoped_jti.encode()).hexdigest()
    return session.scalar(statement, {"jti_sha256": digest, "expires_at": now + dt.timedelta(seconds=keep_seconds)}) is not None
