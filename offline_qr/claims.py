"""What an offline code says about a result, and its CBOR map with short integer keys.

The CWT claims map: ``1`` (iss) the agency code, ``6`` (iat) the signing time, ``7`` (cti) the
result id, and under the private-use key ``-65537`` a map of the result's own claims (see
:data:`RESULT_KEYS`). Optional claims are left out, or long texts shortened, when the code would
not fit its QR code (see :func:`offline_qr.issue.issue_codes`)."""
from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, fields, replace

from .errors import OfflineCodeError

ISS, IAT, CTI = 1, 6, 7
RESULT_CLAIMS = -65537
"""The first private-use CWT claim key (RFC 8392 §9.1): the map of the result's claims."""

RESULT_KEYS = {
    "dossier_code": 1, "issued_on": 2, "pdf_sha256": 3, "holder_name": 4, "id_last4": 5,
    "procedure_code": 6, "title": 7, "procedure_name": 8,
}
"""Keys of the result's claims map; ``issued_on`` is ``YYYY-MM-DD``, ``pdf_sha256`` 32 bytes."""

OPTIONAL = ("procedure_name", "title", "procedure_code", "id_last4", "holder_name", "pdf_sha256", "signed_at")
"""Claims a code may go without, the first left out first."""

ELLIPSIS = "…"


@dataclass(frozen=True)
class ResultClaims:
    """The claims of one result's offline code."""

    result_id: str
    """The service's id of the result (the trust list's annulled ids use it)."""
    agency_code: str
    """Code of the issuing agency (the CWT issuer)."""
    dossier_code: str
    """The dossier's code."""
    issued_on: dt.date | None
    """Issue date of the result."""
    signed_at: dt.datetime | None = None
    """When the code was signed."""
    pdf_sha256: bytes | None = None
    """SHA-256 of the PDF as issued, before the signatures: the first revision of the signed file."""
    holder_name: str | None = None
    """The holder's name, as printed on the result."""
    id_last4: str | None = None
    """The last four digits of the holder's personal ID."""
    procedure_code: str | None = None
    """Code of the administrative procedure."""
    title: str | None = None
    """Title of the result (may be shortened, ending with "…")."""
    procedure_name: str | None = None
    """Name of the procedure (may be shortened, ending with "…")."""

    def to_cbor(self) -> dict:
        result = {RESULT_KEYS[name]: _encoded(getattr(self, name)) for name in RESULT_KEYS
                  if getattr(self, name) is not None}
        claims = {ISS: self.agency_code, CTI: _result_id_bytes(self.result_id), RESULT_CLAIMS: result}
        if self.signed_at is not None:
            claims[IAT] = int(self.signed_at.timestamp())
        return claims

    @classmethod
    def from_cbor(cls, claims) -> ResultClaims:
        """The claims of a decoded map; `OfflineCodeError("bad_claims")` when they are not ours."""
        try:
            result = claims[RESULT_CLAIMS]
            values = {name: result.get(key) for name, key in RESULT_KEYS.items()}
            issued_on = values.pop("issued_on")
            made = cls(result_id=_result_id_text(claims[CTI]), agency_code=_text(claims[ISS]),
                       dossier_code=_text(values.pop("dossier_code")),
                       issued_on=dt.date.fromisoformat(issued_on) if issued_on is not None else None,
                       signed_at=dt.datetime.fromtimestamp(claims[IAT], dt.timezone.utc) if IAT in claims else None,
                       **values)
        except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as exc:
            raise OfflineCodeError("bad_claims", f"The code's claims are not those of a result: {exc}") from None
        made.check()
        return made

    def check(self) -> None:
        texts = [f.name for f in fields(self) if f.name not in ("issued_on", "signed_at", "pdf_sha256")]
        if any(getattr(self, n) is not None and not isinstance(getattr(self, n), str) for n in texts):
            raise OfflineCodeError("bad_claims", "A text claim of the code is not text.")
        if self.pdf_sha256 is not None and (not isinstance(self.pdf_sha256, bytes) or len(self.pdf_sha256) != 32):
            raise OfflineCodeError("bad_claims", "The code's document hash is not a SHA-256 value.")

    def shortened(self, length: int) -> ResultClaims:
        """The same claims with the long texts cut to `length` characters."""
        return replace(self, title=_cut(self.title, length), procedure_name=_cut(self.procedure_name, length))

    def without(self, name: str) -> ResultClaims:
        return replace(self, **{name: None})

    def to_dict(self) -> dict:
        """JSON-ready claims (the CLI's and the page's view)."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["issued_on"] = self.issued_on.isoformat() if self.issued_on else None
        out["signed_at"] = self.signed_at.isoformat() if self.signed_at else None
        out["pdf_sha256"] = self.pdf_sha256.hex() if self.pdf_sha256 else None
        return out


def _encoded(value):
    return value.isoformat() if isinstance(value, dt.date) else value


def _cut(text: str | None, length: int) -> str | None:
    if text is None or len(text) <= length:
        return text
    return text[: length - 1].rstrip() + ELLIPSIS


def _text(value) -> str:
    if not isinstance(value, str):
        raise TypeError("expected text")
    return value


def _result_id_bytes(result_id: str) -> bytes:
    """A UUID takes 16 bytes instead of 36 characters; any other id goes as its UTF-8."""
    try:
        parsed = uuid.UUID(result_id)
    except ValueError:
        return result_id.encode()
    return parsed.bytes if str(parsed) == result_id else result_id.encode()


def _result_id_text(value) -> str:
    if not isinstance(value, bytes):
        raise TypeError("cti must be a byte string")
    return str(uuid.UUID(bytes=value)) if len(value) == 16 else value.decode()
