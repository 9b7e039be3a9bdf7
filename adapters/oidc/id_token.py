"""ID token validation (OpenID Connect Core §3.1.3.7), strict about what is accepted.

Authlib's `CodeIDToken` checks the claims (iss, aud, azp, exp, iat, nonce, at_hash) and joserfc
checks the signature. What is added here is the algorithm policy and the key lookup: `alg: none` is
never accepted, nor any algorithm the provider did not announce, nor a symmetric algorithm unless
it was announced *and* we hold a client secret; an unknown `kid` makes us fetch the provider's JWKS
once more (the provider rotated its keys) before refusing.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Collection, Mapping

from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import (
    BadSignatureError,
    ExpiredTokenError,
    InvalidClaimError,
    InvalidKeyIdError,
    JoseError,
    MissingClaimError,
)
from joserfc.jwk import KeySet, OctKey
from joserfc.jws import extract_compact

from .errors import InvalidIdToken

# Signature algorithms we can verify with a provider's public key (RFC 7518, RFC 8037).
ASYMMETRIC_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "Ed25519"}
)
SYMMETRIC_ALGORITHMS = frozenset({"HS256", "HS384", "HS512"})
LEEWAY_SECONDS = 60
"""Clock skew tolerated between us and the provider."""
MAX_AGE_SECONDS = 600
"""An ID token is used right after it is issued; an older one is a replay or a badly wrong clock."""

_CLAIM_MESSAGES = {
    "iss": ("id_token_issuer", "The ID token was issued by another provider than the one we asked."),
    "aud": ("id_token_audience", "The ID token was issued for another application (wrong audience)."),
    "azp": ("id_token_audience", "The ID token was issued to another application (wrong authorised party)."),
    "nonce": ("id_token_nonce", "The ID token does not answer this login (wrong nonce): it may be replayed."),
    "iat": ("id_token_issued_at", "The ID token's issue time is in the future or too long ago."),
    "nbf": ("id_token_not_yet_valid", "The ID token is not valid yet."),
    "at_hash": ("id_token_access_token_hash", "The ID token does not match the access token issued with it."),
    "sub": ("id_token_subject", "The ID token names no valid subject."),
}


def accepted_algorithms(announced: Collection[str] | None, has_client_secret: bool) -> frozenset[str]:
    """The algorithms an ID token from this provider may use. OpenID Connect Discovery makes
    `id_token_signing_alg_values_supported` required; a provider without it gets RS256 only."""
    announced = set(announced or ("RS256",))
    allowed = announced & ASYMMETRIC_ALGORITHMS
    if has_client_secret:
        allowed |= announced & SYMMETRIC_ALGORITHMS
    return frozenset(allowed)


def validate_id_token(
    token: str,
    *,
    issuer: str,
    client_id: str,
    nonce: str,
    algorithms: Collection[str],
    fetch_jwks: Callable[[bool], Mapping],
    client_secret: str | None = None,
    access_token: str | None = None,
    now: int | None = None,
) -> dict:
    """The ID token's claims once every check passed; otherwise `InvalidIdToken` naming the check.

    `fetch_jwks(force)` returns the provider's JWK set; `force=True` asks for a fresh copy (the
    caller may rate-limit that and answer from its cache).
    """
    alg = _accepted_algorithm(token, algorithms)
    decoded = _verify_signature(token, alg, fetch_jwks, client_secret)
    claims = CodeIDToken(
        decoded.claims,
        decoded.header,
        options={
            "iss": {"essential": True, "value": issuer},
            "aud": {"essential": True, "validate": lambda _claims, aud: _audience_ok(aud, client_id)},
            "sub": {"essential": True},
            "exp": {"essential": True},
            "iat": {"essential": True},
        },
        params={"nonce": nonce, "client_id": client_id, "access_token": access_token},
    )
    now = int(time.time()) if now is None else now
    try:
        claims.validate(now=now, leeway=LEEWAY_SECONDS)
    except ExpiredTokenError:
        raise InvalidIdToken("The ID token has expired.", "id_token_expired") from None
    except (InvalidClaimError, MissingClaimError) as exc:
        code, message = _CLAIM_MESSAGES.get(exc.claim, ("id_token_claims", f"The ID token's '{exc.claim}' claim is wrong."))
        if isinstance(exc, MissingClaimError):
            message = f"The ID token lacks the required claim(s): {exc.claim}."
        raise InvalidIdToken(message, code) from None
    if claims["iat"] < now - MAX_AGE_SECONDS - LEEWAY_SECONDS:
        code, message = _CLAIM_MESSAGES["iat"]
        raise InvalidIdToken(message, code)
    # Nonce is always sent, so it must always come back (Authlib only compares when present).
    if claims.get("nonce") != nonce:
        code, message = _CLAIM_MESSAGES["nonce"]
        raise InvalidIdToken(message, code)
    return dict(claims)


def _accepted_algorithm(token: str, algorithms: Collection[str]) -> str:
    """The token's `alg`, once it is known to be one of `algorithms` (never 'none')."""
    try:
        header = extract_compact(token.encode("ascii")).headers()
    except (JoseError, ValueError, UnicodeError) as exc:
        raise InvalidIdToken(f"The ID token is not a signed JWT ({exc}).", "id_token_malformed") from None
    alg = header.get("alg")
    if not isinstance(alg, str) or alg.lower() == "none":
        raise InvalidIdToken("The ID token is unsigned (alg 'none'); unsigned tokens are refused.", "id_token_algorithm")
    if alg not in algorithms:
        raise InvalidIdToken(
            f"The ID token is signed with {alg}, which this provider did not announce for ID tokens "
            f"(accepted: {', '.join(sorted(algorithms)) or 'none'}).",
            "id_token_algorithm",
        )
    return alg


def _audience_ok(aud, client_id: str) -> bool:
    """We must be an audience, and no other party may be one we do not know (Core §3.1.3.7 step 3)."""
    audiences = [aud] if isinstance(aud, str) else list(aud)
    return audiences == [client_id]


def _verify_signature(token: str, alg: str, fetch_jwks: Callable[[bool], Mapping], client_secret: str | None):
    try:
        if alg in SYMMETRIC_ALGORITHMS:
            # Core §10.1: HMAC ID tokens are keyed with the client secret's octets.
            return jwt.decode(token, OctKey.import_key(client_secret.encode("utf-8")), algorithms=[alg])
        try:
            return jwt.decode(token, KeySet.import_key_set(fetch_jwks(False)), algorithms=[alg])
        except InvalidKeyIdError:
            # The provider may have rotated its keys since we cached its JWKS.
            return jwt.decode(token, KeySet.import_key_set(fetch_jwks(True)), algorithms=[alg])
    except InvalidKeyIdError:
        raise InvalidIdToken(
            "The ID token is signed with a key the provider does not publish (unknown 'kid').", "id_token_signature"
        ) from None
    except BadSignatureError:
        raise InvalidIdToken("The ID token's signature is not valid.", "id_token_signature") from None
    except JoseError as exc:
        raise InvalidIdToken(f"The ID token cannot be verified: {exc.description or exc.error}.", "id_token_signature") from None
