"""Accepting a station's scan: the metadata and the pages are checked, the PDF/A made and the fields
read before anything is written; then the copy's result row, its `CertifiedCopy` row and the audit
event are one transaction."""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from .kinds import KIND, STATION
from ..access import CLIENT, Principal
from ..models import Agency, Citizen, Result, ResultStatus, new_uuid
from .models import CertifiedCopy
from ..platform.errors import BadRequest, Forbidden, Unprocessable
from ..platform.storage import DocumentStore
from ..results import audit
from ..results.intake import new_citizen
from .catalogue import DOCUMENT_TYPES
from .extraction import extract_fields
from .scans import Scan
from .schemas import CopyMetadataSchema

PROCEDURE_CODE = "chung-thuc-ban-sao"
PROCEDURE_NAME = "Chứng thực bản sao điện tử từ bản chính"
"""Stored on the copy's result row like a procedure (the row's columns are a result's)."""
_METADATA = CopyMetadataSchema()


@dataclass(frozen=True)
class CopyRequest:
    metadata: dict
    agency: Agency


def check_request(session: Session, principal: Principal, payload) -> CopyRequest:
    """The station's metadata, checked before the (slow) scan is processed."""
    if principal.kind != CLIENT or STATION not in principal.roles:
        raise Forbidden(_("Only a registered digitisation station may post scans."), "not_a_station")
    if not isinstance(payload, dict):
        raise BadRequest(_("'metadata' must be a JSON object."), "invalid_metadata")
    try:
        metadata = _METADATA.load(payload)
    except ValidationError as exc:
        raise Unprocessable(_("Some metadata fields are missing or malformed."), "invalid_metadata",
                            details=exc.messages) from None
    if metadata["document_type"] not in DOCUMENT_TYPES:
        raise Unprocessable(_("Unknown document type '%(type)s'; the catalogue has: %(known)s.",
                              type=metadata["document_type"], known=", ".join(sorted(DOCUMENT_TYPES))),
                            "unknown_document_type")
    if metadata["agency_code"] not in principal.agency_codes:
        raise Forbidden(_("This station may not post copies for agency %(code)s.", code=metadata["agency_code"]),
                        "agency_not_allowed")
    agency = session.scalar(select(Agency).where(Agency.code == metadata["agency_code"]))
    if agency is None:
        raise Unprocessable(_("Unknown agency %(code)s.", code=metadata["agency_code"]), "unknown_agency")
    return CopyRequest(metadata, agency)


def store_copy(session: Session, documents: DocumentStore, principal: Principal, request: CopyRequest,
               scan: Scan) -> Result:
    """The new copy, pending certification (`pending_signature`), with the fields read from the scan."""
    metadata = request.metadata
    document_type = DOCUMENT_TYPES[metadata["document_type"]]
    extracted = extract_fields(document_type, scan.text)
    digest = documents.put(scan.pdf)
    citizen = session.scalar(select(Citizen).where(Citizen.personal_id == metadata["citizen_id"]))
    if citizen is None:
        citizen = new_citizen(session, metadata["citizen_id"], metadata["citizen_name"])
    result_id = new_uuid()
    result = Result(
        id=result_id, kind=KIND, dossier_code=f"BS.{result_id}", procedure_code=PROCEDURE_CODE,
        procedure_name=PROCEDURE_NAME, title=metadata["title"], citizen=citizen,
        citizen_name=metadata["citizen_name"], agency=request.agency, status=ResultStatus.PENDING_SIGNATURE,
        original_sha256=digest, original_size=len(scan.pdf), submitted_by_client_id=principal.record_id,
        extra={"document_type": document_type.code},
    )
    session.add(result)
    session.add(CertifiedCopy(
        result_id=result_id, agency_id=request.agency.id, document_type=document_type.code,
        station_client_id=principal.record_id, scan_sha256=digest, page_count=scan.page_count,
        text_layer=scan.text_layer, original_number=metadata.get("original_number"),
        issued_by=metadata.get("issued_by"), extracted=extracted,
    ))
    session.flush()
    audit.record(session, principal.actor, "copy.received", result_id, sha256=digest,
                 document_type=document_type.code, pages=scan.page_count, text_layer=scan.text_layer)
    session.commit()
    return result
