"""The trust list: the agencies' signing certificates (by the ``kid`` of their codes) and the
annulled result ids, with the time it was issued, as a JWS (ES256) signed by the service. A
verifier keeps the last one it fetched and checks codes against it with no network."""
from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass

import jwt
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from .envelope import key_id
from .errors import OfflineCodeError

MEDIA_TYPE = "application/jwt"
TYP = "result-trust-list+jwt"
STALE_AFTER = dt.timedelta(days=7)
"""A list older than this is shown as possibly out of date (results annulled since are missing)."""


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class TrustedKey:
    """An agency's signing certificate."""

    agency_code: str
    agency_name: str
    certificate_der: bytes

    @property
    def kid(self) -> bytes:
        return key_id(self.certificate_der)

    def to_json(self) -> dict:
        public = x509.load_der_x509_certificate(self.certificate_der).public_key()
        return {"kid": _b64url(self.kid), "agency_code": self.agency_code, "agency_name": self.agency_name,
                "x5c": [base64.b64encode(self.certificate_der).decode("ascii")], "jwk": _public_jwk(public)}


def _public_jwk(public) -> dict:
    """The key as a JWK too, so that a browser imports it with WebCrypto without parsing X.509."""
    if isinstance(public, ec.EllipticCurvePublicKey):
        numbers = public.public_numbers()
        return {"kty": "EC", "crv": "P-256", "x": _b64url(numbers.x.to_bytes(32, "big")),
                "y": _b64url(numbers.y.to_bytes(32, "big"))}
    if isinstance(public, rsa.RSAPublicKey):
        numbers = public.public_numbers()
        return {"kty": "RSA", "n": _b64url(numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")),
                "e": _b64url(numbers.e.to_bytes((numbers.e.bit_length() + 7) // 8, "big"))}
    raise ValueError("agency keys are P-256 or RSA")


@dataclass(frozen=True)
class TrustList:
    """What a verifier trusts, and as of when."""

    issued_at: dt.datetime
    keys: tuple[TrustedKey, ...]
    annulled: frozenset[str]

    def key(self, kid: bytes) -> TrustedKey | None:
        return next((k for k in self.keys if k.kid == kid), None)

    def stale(self, now: dt.datetime) -> bool:
        return now - self.issued_at > STALE_AFTER

    def to_claims(self, issuer: str) -> dict:
        return {"iss": issuer, "iat": int(self.issued_at.timestamp()),
                "agencies": [k.to_json() for k in self.keys], "annulled": sorted(self.annulled)}

    def sign(self, issuer: str, private_key_pem: bytes, kid: str) -> str:
        """The compact JWS served at ``/.well-known/result-trust-list``."""
        return jwt.encode(self.to_claims(issuer), private_key_pem, algorithm="ES256", headers={"kid": kid, "typ": TYP})

    @classmethod
    def read(cls, token: str, public_keys: dict[str, object]) -> TrustList:
        """The trust list of a JWS signed by one of `public_keys` (by ``kid``); refused otherwise."""
        try:
            header = jwt.get_unverified_header(token)
            key = public_keys.get(header.get("kid"))
            if key is None or header.get("typ") != TYP:
                raise jwt.InvalidTokenError("not signed by this service's key")
            claims = jwt.decode(token, key, algorithms=["ES256"], options={"require": ["iat"], "verify_iat": False})
            keys = tuple(TrustedKey(a["agency_code"], a["agency_name"], base64.b64decode(a["x5c"][0]))
                         for a in claims["agencies"])
            return cls(dt.datetime.fromtimestamp(claims["iat"], dt.timezone.utc), keys, frozenset(claims["annulled"]))
        except (jwt.InvalidTokenError, KeyError, TypeError, ValueError, IndexError) as exc:
            raise OfflineCodeError("bad_trust_list", f"The trust list is not one this service signed: {exc}") from None
