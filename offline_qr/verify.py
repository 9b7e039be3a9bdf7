"""Checking a code against a trust list: readable, signed by a listed agency's key (checked with
the ``cwt`` library's COSE implementation), issued by that agency, and not annulled."""
from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

import cwt
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from .claims import ResultClaims
from .envelope import ALGORITHMS, parse_sign1, unwrap
from .errors import OfflineCodeError
from .trust import TrustedKey, TrustList


class Status(enum.StrEnum):
    VALID = "valid"
    ANNULLED = "annulled"
    INVALID = "invalid"
    UNREADABLE = "unreadable"


@dataclass(frozen=True)
class OfflineVerdict:
    """What a verifier shows for one code."""

    status: Status
    code: str
    """``valid``, ``annulled``, or why the code was refused (an :class:`OfflineCodeError` code)."""
    message: str
    """English explanation (the service shows its translation of `code`)."""
    trust_list_issued_at: dt.datetime
    trust_list_stale: bool
    claims: ResultClaims | None = None
    agency_name: str | None = None

    def to_dict(self) -> dict:
        return {"status": self.status.value, "code": self.code, "message": self.message,
                "trust_list_issued_at": self.trust_list_issued_at.isoformat(),
                "trust_list_stale": self.trust_list_stale, "agency_name": self.agency_name,
                "claims": self.claims.to_dict() if self.claims else None}


def _check_signature(cose: bytes, alg: int, trusted: TrustedKey) -> None:
    public = x509.load_der_x509_certificate(trusted.certificate_der).public_key()
    pem = public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    try:
        key = cwt.COSEKey.from_pem(pem, alg=ALGORITHMS[alg], kid=trusted.kid)
        cwt.COSE.new().decode(cose, key)
    except (cwt.VerifyError, cwt.DecodeError, ValueError) as exc:
        raise OfflineCodeError("bad_signature", f"The signature does not match the code's content: {exc}") from None


def read_code(text: str, trust_list: TrustList) -> tuple[ResultClaims, TrustedKey]:
    """The verified claims of a code and the key that signed them; raises OfflineCodeError."""
    cose = unwrap(text)
    alg, kid, claims = parse_sign1(cose)
    trusted = trust_list.key(kid)
    if trusted is None:
        raise OfflineCodeError("unknown_key", "The code was signed with a key that is not in the trust list.")
    _check_signature(cose, alg, trusted)
    result = ResultClaims.from_cbor(claims)
    if result.agency_code != trusted.agency_code:
        raise OfflineCodeError("agency_mismatch", "The code names another agency than the one whose key signed it.")
    return result, trusted


def verify_code(text: str, trust_list: TrustList, now: dt.datetime | None = None) -> OfflineVerdict:
    """The verdict on a code's text: never raises for bad input."""
    now = now or dt.datetime.now(dt.timezone.utc)
    context = {"trust_list_issued_at": trust_list.issued_at, "trust_list_stale": trust_list.stale(now)}
    try:
        claims, trusted = read_code(text, trust_list)
    except OfflineCodeError as exc:
        status = Status.UNREADABLE if exc.unreadable else Status.INVALID
        return OfflineVerdict(status, exc.code, exc.message, **context)
    if claims.result_id in trust_list.annulled:
        return OfflineVerdict(Status.ANNULLED, "annulled", "The result was annulled by its agency.",
                              claims=claims, agency_name=trusted.agency_name, **context)
    return OfflineVerdict(Status.VALID, "valid", "Signed by the agency; not annulled as of the trust list.",
                          claims=claims, agency_name=trusted.agency_name, **context)
