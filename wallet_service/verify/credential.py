"""Verifying an SD-JWT VC this service issued (`POST /api/v1/verify/credential`).

Checks, each reported on its own: the form (`dc+sd-jwt`), the issuer (this service), the issuer's
signature (its key, as published at `/.well-known/jwt-vc-issuer`, read from the issuer package
rather than fetched from ourselves), `vct`, validity times, every disclosure (RFC 9901 §7.1), the
key-binding JWT when present (signed by the `cnf` key, `sd_hash`, fresh, `aud`/`nonce` when the
caller names them), the Token Status List entry, and the register (annulled -> invalid).

Written here rather than with `sd_jwt.verifier.SDJWTVerifier` (the reference library the issuer
uses): that class silently drops disclosures no digest refers to (RFC 9901 requires rejecting
them — that is how a tampered disclosure shows), does not check times, demands `aud` and `nonce`
together, and stops at the first failure, while a report must say which check failed."""
from __future__ import annotations

import base64
import datetime as dt
import enum
import hashlib
from dataclasses import dataclass, field

import jwt
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from flask_babel import force_locale, gettext
from sqlalchemy.orm import Session

from ..issuer.copy_types import copy_vcts
from ..issuer.keys import IssuerKey
from ..issuer.metadata import FORMAT, PROOF_ALGS, vct
from ..issuer.models import StatusList
from ..issuer.status_list import INVALID, VALID, encode_status_list, invalid_indices, read_status, status_list_uri
from ..models import Result
from ..platform import json_body
from ..platform.errors import Unprocessable
from .registry import CREDENTIAL, RegistryEntry, is_issued_version


class CheckStatus(enum.StrEnum):
    """The outcome of one check, as reported (`passed`, ...)."""

    PASSED = "passed"
    FAILED = "failed"
    NOT_PRESENTED = "not_presented"
    """An optional part (e.g. the key binding) is absent."""
    UNKNOWN = "unknown"
    """Could not be decided (e.g. the status list is unreadable)."""


PASSED, FAILED, NOT_PRESENTED, UNKNOWN = (
    CheckStatus.PASSED, CheckStatus.FAILED, CheckStatus.NOT_PRESENTED, CheckStatus.UNKNOWN,
)
ACCEPTED_TYPES = (FORMAT, "vc+sd-jwt")
"""`typ` values of SD-JWT VCs (`vc+sd-jwt` is the media type of earlier drafts)."""
KB_TYP = "kb+jwt"
CLOCK_SKEW = dt.timedelta(seconds=60)
MAX_KB_AGE = dt.timedelta(minutes=5)
"""A key-binding JWT older than this is not fresh (a replayed presentation)."""
MAX_CREDENTIAL_CHARS = 64 * 1024
_PROTECTED_NAMES = frozenset({"_sd", "...", "_sd_alg", "cnf", "iss", "vct", "status", "iat", "nbf", "exp"})


class InvalidCredential(Unprocessable):
    """Not an SD-JWT at all: nothing to check."""

    code = "invalid_credential"


@dataclass(frozen=True)
class Check:
    """One check of the credential."""

    name: str
    """`format`, `issuer`, `signature`, `vct`, `validity`, `disclosures`, `key_binding`, `status`, `registry`."""
    status: CheckStatus
    message: str
    """What it means, in the requested language."""


@dataclass(frozen=True)
class CredentialReport:
    """The outcome of verifying one SD-JWT VC."""

    checks: tuple[Check, ...]
    """Every check, in order."""
    claims: dict
    """The claims with the disclosed ones put in place (`_sd`, `_sd_alg` removed)."""
    disclosed_claims: dict
    """Only the selectively disclosed claims, by name."""
    registry: dict | None
    """The registered result of the credential's `result_id`, or None."""
    key_binding: dict | None = field(default=None)
    """`aud`, `nonce`, `iat` of the key-binding JWT, when one was presented."""

    @property
    def valid(self) -> bool:
        return all(c.status in (PASSED, NOT_PRESENTED) for c in self.checks)

    @property
    def indication(self) -> str:
        if self.valid:
            return "TOTAL-PASSED"
        if any(c.status == FAILED for c in self.checks):
            return "TOTAL-FAILED"
        return "INDETERMINATE"

    def to_dict(self) -> dict:
        return {
            "valid": self.valid,
            "indication": self.indication,
            "checks": [{"check": c.name, "status": c.status, "message": c.message} for c in self.checks],
            "claims": self.claims,
            "disclosed_claims": self.disclosed_claims,
            "key_binding": self.key_binding,
            "registry": self.registry,
        }


def _b64url_decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _b64url_sha256(text: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(text.encode("ascii")).digest()).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class _Parts:
    issuer_jwt: str
    header: dict
    payload: dict
    disclosures: tuple[str, ...]
    key_binding_jwt: str | None


def _split(credential: object) -> _Parts:
    if not isinstance(credential, str) or not credential.strip():
        raise InvalidCredential("Send the SD-JWT VC as the string field 'credential'.")
    credential = credential.strip()
    if len(credential) > MAX_CREDENTIAL_CHARS:
        raise InvalidCredential(f"The credential is longer than {MAX_CREDENTIAL_CHARS} characters.")
    if "~" not in credential:
        raise InvalidCredential("This is not an SD-JWT: its parts must be separated by '~'.")
    issuer_jwt, *disclosures, last = credential.split("~")
    try:
        header_part, payload_part, _ = issuer_jwt.split(".")
        header = json_body.loads(_b64url_decode(header_part))
        payload = json_body.loads(_b64url_decode(payload_part))
        if not isinstance(header, dict) or not isinstance(payload, dict):
            raise ValueError("not JSON objects")
        if last:
            jwt.get_unverified_header(last)
    except (ValueError, TypeError, RecursionError, jwt.PyJWTError) as exc:
        raise InvalidCredential(f"The SD-JWT cannot be read ({type(exc).__name__}); send it in compact form.") from None
    return _Parts(issuer_jwt, header, payload, tuple(disclosures), last or None)


def _x5c_names_key(x5c: object, key: IssuerKey) -> bool:
    """Whether an `x5c` header's leaf certificate is for the issuer's own key. The key decides, as
    with `kid`: only this service's credentials are verified here, so its chain adds no trust."""
    if not isinstance(x5c, list) or not x5c or not isinstance(x5c[0], str):
        return False
    try:
        leaf = x509.load_der_x509_certificate(base64.b64decode(x5c[0], validate=True))
        leaf_key = leaf.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    except (ValueError, TypeError):
        return False
    ours = jwt.PyJWK(key.public_jwk()).key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return leaf_key == ours


def _check_vct(value: object, issuer: str) -> Check:
    if value == vct(issuer):
        return Check("vct", PASSED, gettext("Credential type: administrative procedure result."))
    document_type = copy_vcts(issuer).get(value) if isinstance(value, str) else None
    if document_type is not None:
        return Check("vct", PASSED, gettext("Credential type: certified copy of a %(type)s.", type=document_type.name))
    return Check("vct", FAILED, gettext("Unknown credential type (vct)."))


def _check_signature(parts: _Parts, key: IssuerKey) -> Check:
    if parts.header.get("alg") != key.alg:
        return Check("signature", FAILED, gettext("The credential is not signed with the issuer's algorithm (%(alg)s).", alg=key.alg))
    kid = parts.header.get("kid")
    named = kid == key.kid if kid is not None else _x5c_names_key(parts.header.get("x5c"), key)
    if not named:
        return Check("signature", FAILED, gettext("The credential is signed with a key that is not this issuer's key."))
    try:
        jwt.api_jws.PyJWS().decode(parts.issuer_jwt, jwt.PyJWK(key.public_jwk()).key, algorithms=[key.alg])
    except jwt.PyJWTError:
        return Check("signature", FAILED, gettext("The issuer's signature does not verify: the credential was altered or forged."))
    return Check("signature", PASSED, gettext("Signed by this issuer's key (kid %(kid)s).", kid=key.kid))


def _seconds(payload: dict, name: str) -> dt.datetime | None:
    value = payload.get(name)
    if value is None:
        return None
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise ValueError(name)
    return dt.datetime.fromtimestamp(value, dt.timezone.utc)


def _check_validity(payload: dict, now: dt.datetime) -> Check:
    try:
        issued, not_before, expires = (_seconds(payload, n) for n in ("iat", "nbf", "exp"))
    except ValueError as exc:
        return Check("validity", FAILED, gettext("The time claim %(claim)s is not a number of seconds.", claim=str(exc)))
    if issued is not None and issued > now + CLOCK_SKEW:
        return Check("validity", FAILED, gettext("The credential claims to be issued in the future."))
    if not_before is not None and not_before > now + CLOCK_SKEW:
        return Check("validity", FAILED, gettext("The credential is not valid yet."))
    if expires is not None and expires <= now - CLOCK_SKEW:
        return Check("validity", FAILED, gettext("The credential has expired."))
    return Check("validity", PASSED, gettext("Within its validity period."))


def _decode_disclosures(disclosures: tuple[str, ...]) -> tuple[dict[str, list], str | None]:
    """(each decoded disclosure by its digest, the problem or None)."""
    by_digest: dict[str, list] = {}
    for disclosure in disclosures:
        try:
            decoded = json_body.loads(_b64url_decode(disclosure))
        except (ValueError, TypeError, RecursionError):
            return {}, gettext("A disclosure cannot be read.")
        if not isinstance(decoded, list) or len(decoded) not in (2, 3) or not isinstance(decoded[0], str):
            return {}, gettext("A disclosure is not a [salt, name, value] or [salt, value] array.")
        digest = _b64url_sha256(disclosure)
        if digest in by_digest:
            return {}, gettext("The same disclosure is presented twice.")
        by_digest[digest] = decoded
    return by_digest, None


def _apply_disclosures(payload: dict, disclosures: tuple[str, ...]) -> tuple[dict, dict, str | None]:
    """(claims with disclosures in place, disclosed claims by name, the problem or None)."""
    if payload.get("_sd_alg", "sha-256") != "sha-256":
        return {}, {}, gettext("Unsupported digest algorithm %(alg)s.", alg=str(payload.get("_sd_alg")))
    by_digest, problem = _decode_disclosures(disclosures)
    if problem is not None:
        return {}, {}, problem
    used: set[str] = set()
    disclosed: dict = {}

    def unpack(value):
        if isinstance(value, list):
            out = []
            for element in value:
                if isinstance(element, dict) and set(element) == {"..."}:
                    if not isinstance(element["..."], str):
                        raise ValueError("array element digest is not a string")
                    found = by_digest.get(element["..."])
                    if found is not None and len(found) == 2:
                        used.add(element["..."])
                        out.append(unpack(found[1]))
                else:
                    out.append(unpack(element))
            return out
        if not isinstance(value, dict):
            return value
        out = {k: unpack(v) for k, v in value.items() if k not in ("_sd", "_sd_alg")}
        digests = value.get("_sd", [])
        if not isinstance(digests, list) or not all(isinstance(d, str) for d in digests):
            raise ValueError("_sd is not a list of digests")
        for digest in digests:
            found = by_digest.get(digest)
            if found is None:
                continue  # a decoy, or a claim the holder chose not to disclose
            if digest in used or len(found) != 3:
                raise ValueError("digest used twice or array element in an object")
            _, name, claim = found
            if not isinstance(name, str) or name in _PROTECTED_NAMES or name in out:
                raise ValueError(f"claim name {name!r} may not be disclosed here")
            used.add(digest)
            out[name] = disclosed[name] = unpack(claim)
        return out

    try:
        claims = unpack(payload)
    except (ValueError, RecursionError):
        return {}, {}, gettext("A disclosure clashes with the signed claims.")
    if used != set(by_digest):
        return claims, disclosed, gettext(
            "%(count)s disclosure(s) are not covered by the issuer's signature: they were altered or added.",
            count=len(set(by_digest) - used),
        )
    return claims, disclosed, None


def _check_key_binding(parts: _Parts, now: dt.datetime, audience: str | None, nonce: str | None) -> tuple[Check, dict | None]:
    if parts.key_binding_jwt is None:
        return Check("key_binding", NOT_PRESENTED, gettext(
            "No key-binding JWT: nothing proves the presenter holds the credential's key.")), None
    token = parts.key_binding_jwt
    header = jwt.get_unverified_header(token)
    holder = (parts.payload.get("cnf") or {}).get("jwk") if isinstance(parts.payload.get("cnf"), dict) else None
    if not isinstance(holder, dict):
        return Check("key_binding", FAILED, gettext("The credential names no holder key (cnf.jwk) to check the key binding with.")), None
    if header.get("typ") != KB_TYP or header.get("alg") not in PROOF_ALGS:
        return Check("key_binding", FAILED, gettext("The key-binding JWT must have typ kb+jwt and an asymmetric algorithm.")), None
    try:
        claims = jwt.decode(token, jwt.PyJWK(holder, algorithm=header["alg"]).key, algorithms=[header["alg"]],
                            options={"verify_aud": False, "verify_iat": False, "require": ["iat", "sd_hash"]})
    except (jwt.PyJWTError, ValueError, TypeError):
        return Check("key_binding", FAILED, gettext("The key-binding JWT is not signed by the holder key named in the credential.")), None
    seen = {"aud": claims.get("aud"), "nonce": claims.get("nonce"), "iat": claims.get("iat")}
    presented = "~".join((parts.issuer_jwt, *parts.disclosures)) + "~"
    if claims["sd_hash"] != _b64url_sha256(presented):
        return Check("key_binding", FAILED, gettext("The key-binding JWT was made for other disclosures (sd_hash differs).")), seen
    try:
        issued = _seconds(claims, "iat")
    except ValueError:
        issued = None
    if issued is None or issued > now + CLOCK_SKEW or issued < now - MAX_KB_AGE:
        return Check("key_binding", FAILED, gettext("The key-binding JWT is not fresh (iat more than 5 minutes away from now).")), seen
    if audience is not None and claims.get("aud") != audience:
        return Check("key_binding", FAILED, gettext("The key-binding JWT was made for another verifier (aud).")), seen
    if nonce is not None and claims.get("nonce") != nonce:
        return Check("key_binding", FAILED, gettext("The key-binding JWT carries another nonce: it may be replayed.")), seen
    return Check("key_binding", PASSED, gettext("The presenter proved possession of the holder key.")), seen


def _check_status(session: Session, payload: dict, issuer: str) -> Check:
    reference = (payload.get("status") or {}).get("status_list") if isinstance(payload.get("status"), dict) else None
    if not isinstance(reference, dict) or not isinstance(reference.get("idx"), int) or not isinstance(reference.get("uri"), str):
        return Check("status", FAILED, gettext("The credential has no status list entry."))
    prefix = status_list_uri(issuer, 0)[:-1]
    list_id = reference["uri"][len(prefix):] if reference["uri"].startswith(prefix) else ""
    found = session.get(StatusList, int(list_id)) if list_id.isdigit() else None
    if found is None:
        return Check("status", UNKNOWN, gettext("The status list %(uri)s is not one of this issuer's.", uri=reference["uri"]))
    # The same encoding the served Status List Token carries, read as a relying party reads it.
    entries = ((index, INVALID) for index in invalid_indices(session, found.id))
    try:
        status = read_status(encode_status_list(entries, found.size, found.bits), reference["idx"])
    except IndexError:
        return Check("status", FAILED, gettext("The status index is outside the status list."))
    if status == VALID:
        return Check("status", PASSED, gettext("The status list says VALID: not revoked."))
    return Check("status", FAILED, gettext("The status list says INVALID: the credential was revoked or its result annulled."))


def _check_registry(session: Session, payload: dict, public_base_url: str) -> tuple[Check, dict | None]:
    result = session.get(Result, payload["result_id"]) if isinstance(payload.get("result_id"), str) else None
    if result is None or result.signed_sha256 is None:
        return Check("registry", FAILED, gettext("No registered result matches this credential.")), None
    entry = RegistryEntry.of(result, CREDENTIAL, public_base_url)
    registry = entry.to_dict()
    document = payload.get("document") if isinstance(payload.get("document"), dict) else {}
    if not is_issued_version(session, result, document.get("sha256")):  # renewals add versions; any is the result
        return Check("registry", FAILED, gettext("The credential names another document than the registered result's.")), registry
    if entry.annulled:
        return Check("registry", FAILED, registry["message"]), registry
    return Check("registry", PASSED, registry["message"]), registry


def verify_credential(session: Session, credential: object, *, issuer: str, key: IssuerKey, now: dt.datetime,
                      lang: str, audience: str | None = None, nonce: str | None = None) -> CredentialReport:
    """Check `credential`; raises `InvalidCredential` only when it is not an SD-JWT at all."""
    parts = _split(credential)
    with force_locale(lang):
        checks = []
        typ_ok = parts.header.get("typ") in ACCEPTED_TYPES
        checks.append(Check("format", PASSED if typ_ok else FAILED,
                            gettext("An SD-JWT VC (typ %(typ)s).", typ=parts.header.get("typ")) if typ_ok
                            else gettext("Not an SD-JWT VC: typ must be dc+sd-jwt.")))
        ours = parts.payload.get("iss") == issuer
        checks.append(Check("issuer", PASSED if ours else FAILED,
                            gettext("Issued by this service (%(issuer)s).", issuer=issuer) if ours
                            else gettext("Issued by %(other)s, not by this service.", other=str(parts.payload.get("iss")))))
        checks.append(_check_signature(parts, key))
        checks.append(_check_vct(parts.payload.get("vct"), issuer))
        checks.append(_check_validity(parts.payload, now))
        claims, disclosed, problem = _apply_disclosures(parts.payload, parts.disclosures)
        checks.append(Check("disclosures", FAILED, problem) if problem else Check(
            "disclosures", PASSED, gettext("%(count)s disclosed claim(s), each covered by the issuer's signature.",
                                          count=len(disclosed))))
        key_binding_check, key_binding = _check_key_binding(parts, now, audience, nonce)
        checks.append(key_binding_check)
        checks.append(_check_status(session, parts.payload, issuer))
        registry_check, registry = _check_registry(session, parts.payload, issuer)
        checks.append(registry_check)
    return CredentialReport(tuple(checks), claims, disclosed, registry, key_binding)
