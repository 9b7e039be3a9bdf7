"""Wallet attestations (OAuth 2.0 Attestation-Based Client Authentication, as OpenID4VCI 1.0
Appendix E and HAIP use it) and key attestations (OpenID4VCI 1.0 Appendix D).

Both are JWTs signed by a wallet provider whose certificate chain travels in `x5c` (HAIP: the
trust anchor left out) and must end at one of `WALLET_ATTESTATION_TRUST_ROOTS`. `cryptography`
verifies the chain and pyjwt the signatures and times; what no library does is the attestation
formats' own rules (types, `cnf`, PoP binding, attested keys), made here."""
from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import jwt
from cryptography import x509
from cryptography.x509.verification import ExtensionPolicy, PolicyBuilder, Store, VerificationError
from jwcrypto import jwk as jwcrypto_jwk

from .metadata import PROOF_ALGS

CLIENT_ATTESTATION_TYP = "oauth-client-attestation+jwt"
CLIENT_ATTESTATION_POP_TYP = "oauth-client-attestation-pop+jwt"
KEY_ATTESTATION_TYP = "key-attestation+jwt"
KEY_ATTESTATION_DRAFT_TYP = "keyattestation+jwt"
"""The type of drafts before 1.0, which wallet libraries still send."""
MAX_POP_AGE = 300
MAX_CLOCK_SKEW = 60


class AttestationError(ValueError):
    """Why an attestation is refused (ASCII: it becomes an `error_description`)."""


@dataclass(frozen=True)
class TrustedProviders:
    """The root certificates wallet providers' attestation chains must end at."""

    roots: tuple[x509.Certificate, ...] = ()

    @classmethod
    def from_file(cls, path: Path | None) -> "TrustedProviders":
        return cls(tuple(x509.load_pem_x509_certificates(path.read_bytes())) if path else ())

    def signing_key(self, header: dict, now: dt.datetime):
        """The public key of the leaf certificate of `x5c`, once its chain ends at a trusted root."""
        chain = header.get("x5c")
        if not isinstance(chain, list) or not chain or not all(isinstance(c, str) for c in chain):
            raise AttestationError("The attestation must carry its certificate chain in x5c.")
        if not self.roots:
            raise AttestationError("No wallet provider is trusted by this issuer.")
        try:
            certificates = [x509.load_der_x509_certificate(base64.b64decode(c, validate=True)) for c in chain]
        except ValueError:
            raise AttestationError("The attestation's x5c holds something that is not a DER certificate.") from None
        verifier = (
            PolicyBuilder().store(Store(list(self.roots))).time(now)
            # End-entity rules of the web PKI (SAN, EKU serverAuth) do not apply to attestation signers.
            .extension_policies(ca_policy=ExtensionPolicy.webpki_defaults_ca(), ee_policy=ExtensionPolicy.permit_all())
            .build_client_verifier()
        )
        try:
            verifier.verify(certificates[0], certificates[1:])
        except VerificationError:
            raise AttestationError("The attestation's certificate chain does not lead to a trusted wallet provider.") from None
        return certificates[0].public_key()


def _decode(token: object, typ: str, key, now: dt.datetime, require: list[str], *, also: tuple[str, ...] = (),
            **options) -> dict:
    if not isinstance(token, str):
        raise AttestationError(f"The {typ} must be a compact JWT.")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.DecodeError:
        raise AttestationError(f"The {typ} is not a well-formed JWT.") from None
    if header.get("typ") not in (typ, *also):
        raise AttestationError(f"The typ must be {typ}.")
    if header.get("alg") not in PROOF_ALGS:
        raise AttestationError(f"The {typ} alg must be one of {', '.join(PROOF_ALGS)}.")
    if callable(key):
        key = key(header)
    try:
        return jwt.decode(token, key, algorithms=[header["alg"]], leeway=MAX_CLOCK_SKEW,
                          options={"require": require, "verify_aud": "audience" in options}, **options)
    except jwt.ExpiredSignatureError:
        raise AttestationError(f"The {typ} has expired.") from None
    except jwt.InvalidAudienceError:
        raise AttestationError(f"The {typ} aud must be this issuer.") from None
    except jwt.MissingRequiredClaimError as exc:
        raise AttestationError(f"The {typ} lacks the {exc.claim} claim.") from None
    except jwt.InvalidTokenError as exc:
        raise AttestationError(f"The {typ} does not verify ({type(exc).__name__}).") from None


def _jwk_key(value: object, what: str):
    if not isinstance(value, dict) or {"d", "p", "q", "k"} & value.keys():
        raise AttestationError(f"{what} must be a public JWK.")
    try:
        return jwt.PyJWK(value).key
    except (jwt.PyJWKError, jwt.InvalidKeyError, ValueError, TypeError, KeyError):
        raise AttestationError(f"{what} is not a usable public key.") from None


@dataclass(frozen=True)
class AttestedClient:
    """A wallet instance its provider vouches for."""

    client_id: str
    pop_jti: str


def verify_client_attestation(attestation: str, pop: str, *, trusted: TrustedProviders, issuer: str,
                              now: dt.datetime) -> AttestedClient:
    """Check the Client Attestation JWT (signed by the provider, `sub` = client_id, `cnf.jwk`) and
    its PoP (signed by that key, `iss` = client_id, `aud` = issuer, fresh)."""
    claims = _decode(attestation, CLIENT_ATTESTATION_TYP, lambda header: trusted.signing_key(header, now), now,
                     ["sub", "exp"])
    client_id = claims["sub"]
    instance_key = _jwk_key((claims.get("cnf") or {}).get("jwk"), "The attestation's cnf.jwk")
    pop_claims = _decode(pop, CLIENT_ATTESTATION_POP_TYP, instance_key, now, ["iss", "aud", "jti", "iat"], audience=issuer)
    if pop_claims["iss"] != client_id:
        raise AttestationError("The attestation PoP's iss must be the attested client_id.")
    if not isinstance(pop_claims["iat"], (int, float)) or pop_claims["iat"] < now.timestamp() - MAX_POP_AGE:
        raise AttestationError(f"The attestation PoP is older than {MAX_POP_AGE} seconds.")
    return AttestedClient(str(client_id), str(pop_claims["jti"]))


@dataclass(frozen=True)
class KeyAttestation:
    """The keys a wallet provider attests to live in a protected key store."""

    thumbprints: tuple[str, ...]
    """RFC 7638 thumbprints of `attested_keys`, in order."""
    public_jwks: tuple[dict, ...]
    nonce: str | None


def verify_key_attestation(token: object, *, trusted: TrustedProviders, now: dt.datetime) -> KeyAttestation:
    claims = _decode(token, KEY_ATTESTATION_TYP, lambda header: trusted.signing_key(header, now), now,
                     ["iat", "attested_keys"], also=(KEY_ATTESTATION_DRAFT_TYP,))
    keys = claims["attested_keys"]
    if not isinstance(keys, list) or not keys:
        raise AttestationError("attested_keys must be a non-empty array of JWKs.")
    publics = []
    for key in keys:
        _jwk_key(key, "Each attested key")
        publics.append({name: value for name, value in key.items() if name in ("kty", "crv", "x", "y", "n", "e")})
    nonce = claims.get("nonce")
    thumbprints = tuple(jwcrypto_jwk.JWK(**key).thumbprint() for key in publics)
    return KeyAttestation(thumbprints, tuple(publics), nonce if isinstance(nonce, str) else None)
