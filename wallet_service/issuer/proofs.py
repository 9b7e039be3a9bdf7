"""Validation of `jwt` key proofs (OpenID4VCI 1.0 §8.2.1.1, Appendix F.1, F.4): explicit type,
an asymmetric algorithm we accept, signed by the public key in its own `jwk` header (and that key
is public), `aud` = the credential issuer, `iat` inside a window, and a fresh server nonce used
once. Every refusal is a `CredentialRequestError` with the spec's code."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import jwt
from jwcrypto import jwk as jwcrypto_jwk

from .errors import CredentialRequestError
from .metadata import PROOF_ALGS

PROOF_TYP = "openid4vci-proof+jwt"
MAX_PROOF_AGE = dt.timedelta(minutes=5)
MAX_CLOCK_SKEW = dt.timedelta(seconds=60)
_PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
_KEY_FOR_ALG = {
    "ES256": ("EC", {"P-256"}),
    "ES384": ("EC", {"P-384"}),
    "ES512": ("EC", {"P-521"}),
    "EdDSA": ("OKP", {"Ed25519", "Ed448"}),
    "PS256": ("RSA", None),
    "PS384": ("RSA", None),
    "PS512": ("RSA", None),
    "RS256": ("RSA", None),
}
_MIN_RSA_BITS = 2048


@dataclass(frozen=True)
class ProvenKey:
    """The holder key a valid proof showed possession of."""

    public_jwk: dict
    """The key as a public JWK (goes into the credential's `cnf`)."""
    thumbprint: str
    """RFC 7638 SHA-256 thumbprint."""
    nonce: str = ""
    """The c_nonce the proof carried (spent)."""
    key_attestation: str | None = None
    """The `key_attestation` JWT of the proof's header, unverified (Appendix D.1)."""


def _invalid(description: str) -> CredentialRequestError:
    return CredentialRequestError("invalid_proof", description)


def _holder_key(header: dict, alg: str):
    if "kid" in header or "x5c" in header or "trust_chain" in header:
        raise _invalid("Only a jwk header parameter can carry the key to bind (no kid, x5c or trust_chain).")
    key = header.get("jwk")
    if not isinstance(key, dict):
        raise _invalid("The proof header must carry the holder key as a jwk.")
    if _PRIVATE_MEMBERS & key.keys():
        raise _invalid("The jwk header contains private key material.")
    kty, curves = _KEY_FOR_ALG[alg]
    if key.get("kty") != kty or (curves is not None and key.get("crv") not in curves):
        raise _invalid(f"The jwk does not fit alg {alg}.")
    try:
        verifying = jwt.PyJWK(key, algorithm=alg)
    except (jwt.PyJWKError, jwt.InvalidKeyError, ValueError, TypeError, KeyError) as exc:
        raise _invalid(f"The jwk header is not a usable public key ({type(exc).__name__}).") from None
    if kty == "RSA" and verifying.key.key_size < _MIN_RSA_BITS:
        raise _invalid(f"RSA holder keys must have at least {_MIN_RSA_BITS} bits.")
    public = {name: value for name, value in key.items() if name in ("kty", "crv", "x", "y", "n", "e")}
    return verifying, public


def verify_jwt_proof(
    proof: object,
    *,
    audience: str,
    now: dt.datetime,
    consume_nonce: Callable[[str], bool],
    max_age: dt.timedelta = MAX_PROOF_AGE,
    max_skew: dt.timedelta = MAX_CLOCK_SKEW,
) -> ProvenKey:
    """The proven holder key, or `CredentialRequestError` (`invalid_proof` / `invalid_nonce`).
    `consume_nonce(nonce)` is called last, once everything else holds, and says whether the nonce
    was live and is now spent."""
    if not isinstance(proof, str):
        raise _invalid("Each jwt proof must be a JWT in compact serialization.")
    try:
        header = jwt.get_unverified_header(proof)
    except jwt.DecodeError:
        raise _invalid("The proof is not a well-formed JWT.") from None
    if header.get("typ") != PROOF_TYP:
        raise _invalid(f"The proof's typ must be {PROOF_TYP}.")
    alg = header.get("alg")
    if alg not in PROOF_ALGS:
        raise _invalid(f"The proof alg must be one of {', '.join(PROOF_ALGS)} (asymmetric; never none or a MAC).")
    verifying, public_jwk = _holder_key(header, alg)
    try:
        claims = jwt.decode(
            proof,
            verifying.key,
            algorithms=[alg],
            audience=audience,
            leeway=max_skew,
            options={"require": ["aud", "iat"], "verify_exp": True, "verify_nbf": True},
        )
    except jwt.InvalidAudienceError:
        raise _invalid("The proof's aud must be the credential issuer identifier.") from None
    except jwt.MissingRequiredClaimError as exc:
        raise _invalid(f"The proof lacks the {exc.claim} claim.") from None
    except jwt.ImmatureSignatureError:
        raise _invalid("The proof's iat lies in the future.") from None
    except jwt.InvalidSignatureError:
        raise _invalid("The proof's signature does not verify with its jwk.") from None
    except jwt.InvalidTokenError as exc:
        raise _invalid(f"The proof is not a valid JWT ({type(exc).__name__}).") from None
    if not isinstance(claims["aud"], str):
        raise _invalid("The proof's aud must be a single string.")
    iat = claims["iat"]
    if not isinstance(iat, (int, float)) or isinstance(iat, bool):
        raise _invalid("The proof's iat must be a number.")
    if iat < (now - max_age).timestamp():
        raise _invalid(f"The proof is older than {int(max_age.total_seconds())} seconds.")
    nonce = claims.get("nonce")
    if not isinstance(nonce, str) or not nonce:
        raise _invalid("The proof must carry the c_nonce from the nonce endpoint.")
    if not consume_nonce(nonce):
        raise CredentialRequestError("invalid_nonce", "The c_nonce is unknown, expired or already used; get a new one.")
    attestation = header.get("key_attestation")
    return ProvenKey(public_jwk, jwcrypto_jwk.JWK(**public_jwk).thumbprint(), nonce,
                     attestation if isinstance(attestation, str) else None)
