"""The SD-JWT VC of an administrative result (SD-JWT VC draft, RFC 9901 SD-JWT).

Built with `sd-jwt` (OpenWallet Foundation's reference implementation of SD-JWT, on jwcrypto)
rather than by hand: it does salts, disclosures, digests and the `~` serialization; this module
only decides the claims, which of them are selectively disclosable, and the `dc+sd-jwt` header."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sd_jwt.common import SDObj
from sd_jwt.issuer import SDJWTIssuer

from ..models import Result, utcnow
from .copy_types import result_vct
from .keys import IssuerKey
from .metadata import FORMAT


@dataclass(frozen=True)
class StatusReference:
    """Where the credential's status lives in a Token Status List."""

    uri: str
    """The Status List Token's URL (`/status-lists/{n}`)."""
    index: int
    """The credential's index in that list."""


def result_claims(result: Result, issuer: str, holder_jwk: dict, status: StatusReference, now: dt.datetime,
                  document_uri: str) -> dict:
    """The credential's claims; `SDObj` keys mark the selectively disclosable ones (the citizen's
    name, ID number and birth date), everything else is always visible."""
    issued_on = result.issued_on or (result.signed_at or now).date()
    claims: dict = {
        "iss": issuer,
        # Day precision: an exact issuance second would be a correlation handle (OpenID4VCI §14.4.1).
        "iat": int(dt.datetime.combine(now.date(), dt.time(), dt.timezone.utc).timestamp()),
        "vct": result_vct(issuer, result),
        "cnf": {"jwk": holder_jwk},
        "status": {"status_list": {"idx": status.index, "uri": status.uri}},
        "result_id": result.id,
        "title": result.title,
        "procedure_code": result.procedure_code,
        "procedure_name": result.procedure_name,
        "dossier_code": result.dossier_code,
        "agency": {"code": result.agency.code, "name": result.agency.name},
        "issuance_date": issued_on.isoformat(),
        "document": {
            "sha256": result.signed_sha256,
            "uri": document_uri,
            "media_type": "application/pdf",
        },
        SDObj("full_name"): result.citizen_name,
        SDObj("personal_id"): result.citizen.personal_id,
    }
    if result.citizen.birth_date is not None:
        claims[SDObj("birthdate")] = result.citizen.birth_date.isoformat()
    record = getattr(result, "certified_copy_record", None)
    if record is not None:
        # The copy's confirmed data is the holder's personal data: disclosed only when the citizen chooses.
        claims["document_type"] = record.document_type
        claims[SDObj("document_fields")] = {name: value for name, value in (record.confirmed or {}).items() if value}
    return claims


def issue_sd_jwt_vc(result: Result, issuer: str, key: IssuerKey, holder_jwk: dict, status: StatusReference,
                    document_uri: str) -> str:
    """The SD-JWT VC in compact form: `<issuer-signed JWT>~<disclosure>~...~`. Each call draws new
    salts, so two credentials of a batch share no disclosure."""
    claims = result_claims(result, issuer, holder_jwk, status, utcnow(), document_uri)
    sd_jwt = SDJWTIssuer(
        claims,
        key.jwk,
        sign_alg=key.alg,
        # No decoys: the library would add them to every object, `cnf` and `status` included,
        # which verifiers that read those claims before SD processing would trip over.
        add_decoy_claims=False,
        extra_header_parameters=key.headers(FORMAT),
    )
    return sd_jwt.sd_jwt_issuance
