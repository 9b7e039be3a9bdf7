"""The certified copies' API: stations post scans, certifying officials confirm the fields, citizens
share and withdraw, case systems read what was shared with their agency."""
from __future__ import annotations

import base64

from flask import request, url_for
from flask_babel import gettext as _

from ..access import CITIZEN, CLIENT, OFFICIAL, can_read_result, require_principal
from ..models import Result, db
from ..platform import json_body
from ..platform.errors import BadRequest, NotFound
from ..services import services
from . import certification, shares
from .kinds import KIND
from .catalogue import FIELDS
from .intake import check_request, store_copy
from .scans import scan_from_images, scan_from_pdf
from .schemas import (CopyFieldsSchema, CopySchema, CopyUploadSchema, SharedDocumentSchema, ShareRequestSchema,
                      ShareSchema)

blp = json_body.Blueprint("copies", __name__, url_prefix="/api/v1", description="Certified electronic copies")


def _metadata_json():
    raw = request.form.get("metadata")
    if raw is None and "metadata" in request.files:
        raw = request.files["metadata"].read().decode("utf-8", "replace")
    if raw is None:
        raise BadRequest(_("The 'metadata' part is missing."), "missing_metadata")
    try:
        return json_body.loads(raw)
    except ValueError:
        raise BadRequest(_("'metadata' is not valid JSON."), "invalid_metadata") from None


@blp.route("/copies", methods=["POST"])
@blp.doc(requestBody={"required": True, "content": {"multipart/form-data": {
    "schema": CopyUploadSchema, "encoding": {"metadata": {"contentType": "application/json"}}}}},
    security=[{"bearerAssertion": []}])
@blp.response(201, CopySchema, description="Stored, waiting for the certifying official; with the fields read out")
@blp.alt_response(422, description="Not a usable scan (not an image, under 150 dpi, encrypted, signed, JavaScript) "
                                   "or an unknown document type; nothing was stored")
def create_copy():
    """Post the scan of a paper original (digitisation stations): `page` parts (JPEG, PNG, TIFF, in page
    order) or one `document` (PDF). The copy is made searchable (Vietnamese OCR) and PDF/A-2b at once."""
    principal = require_principal(CLIENT)
    if request.mimetype != "multipart/form-data":
        raise BadRequest(_("Send multipart/form-data with a 'metadata' JSON field and 'page' scans or one 'document'."),
                         "invalid_content_type")
    copy_request = check_request(db.session, principal, _metadata_json())
    pages, documents = request.files.getlist("page"), request.files.getlist("document")
    if bool(pages) == bool(documents) or len(documents) > 1:
        raise BadRequest(_("Send either one or more 'page' images or exactly one 'document' PDF."), "invalid_parts")
    settings = services().settings
    if pages:
        scan = scan_from_images([page.read() for page in pages], settings.copy_ocr_language, settings.max_document_bytes)
    else:
        scan = scan_from_pdf(documents[0].read(), settings.copy_ocr_language, settings.max_document_bytes)
    result = store_copy(db.session, services().documents, principal, copy_request, scan)
    return result, 201, {"Location": url_for("copies.get_copy", copy_id=result.id)}


def _readable_copy(copy_id: str) -> Result:
    result = db.session.get(Result, copy_id)
    if result is None or result.kind != KIND or not can_read_result(require_principal(), result):
        raise NotFound(_("There is no such certified copy."))
    return result


@blp.route("/copies/<copy_id>", methods=["GET"])
@blp.response(200, CopySchema)
def get_copy(copy_id: str):
    """A certified copy: its result's status and signatures, the fields read out and those confirmed."""
    return _readable_copy(copy_id)


@blp.route("/copies/<copy_id>/confirmation", methods=["POST"])
@blp.arguments(CopyFieldsSchema)
@blp.response(200, CopySchema)
def confirm_copy(body, copy_id: str):
    """Confirm or correct the fields (dates dd/mm/yyyy) as the certifying official: the copy is numbered
    and given its certification statement, and can then be signed like a result."""
    principal = require_principal(OFFICIAL)
    values = certification.parse_fields(body)
    record = certification.confirm(db.session, services().documents, principal, copy_id, values)
    return record.result


def _share_view(share, reads) -> dict:
    return {"id": share.id, "copy_id": share.result_id, "title": share.result.title,
            "agency_code": share.agency.code, "agency_name": share.agency.name, "valid_until": share.valid_until,
            "created_at": share.created_at, "revoked_at": share.revoked_at,
            "reads": [{"at": read.at, "client": read.client} for read in reads]}


@blp.route("/wallet/shares", methods=["POST"])
@blp.arguments(ShareRequestSchema)
@blp.response(201, ShareSchema)
def create_share(body):
    """Share one of your certified copies with an agency until a time (citizens)."""
    principal = require_principal(CITIZEN)
    share = shares.create_share(db.session, principal, body["copy_id"], body["agency_code"], body["valid_until"])
    return _share_view(share, [])


@blp.route("/wallet/shares", methods=["GET"])
@blp.response(200, ShareSchema(many=True))
def list_shares():
    """Your shares, newest first, each with every read by the agency's case systems."""
    principal = require_principal(CITIZEN)
    return [_share_view(share, reads) for share, reads in shares.citizen_shares(db.session, principal)]


@blp.route("/wallet/shares/<share_id>", methods=["DELETE"])
@blp.response(200, ShareSchema)
def revoke_share(share_id: str):
    """Withdraw a share: the agency can no longer read the copy."""
    principal = require_principal(CITIZEN)
    share = shares.revoke_share(db.session, principal, share_id)
    return _share_view(share, [])


@blp.route("/shared-documents/<share_id>", methods=["GET"])
@blp.response(200, SharedDocumentSchema)
@blp.alt_response(403, description="No valid share with the calling case system's agency (none, withdrawn, expired)")
def read_shared_document(share_id: str):
    """A certified copy a citizen shared with your agency (case systems): the signed PDF and the
    confirmed fields, while the share is valid. Every read is recorded and shown to the citizen."""
    principal = require_principal(CLIENT)
    share = shares.read_shared(db.session, principal, share_id)
    result, record = share.result, share.result.certified_copy_record
    data = services().documents.get(result.signed_sha256)
    return {
        "share_id": share.id, "copy_id": result.id, "title": result.title, "document_type": record.document_type,
        "citizen_id": result.citizen.personal_id,
        "confirmed_fields": {name: (record.confirmed or {}).get(name) for name in FIELDS},
        "certification": {"number": record.certification_number, "book": record.book_number},
        "valid_until": share.valid_until,
        "document": {"sha256": result.signed_sha256, "media_type": "application/pdf",
                     "base64": base64.b64encode(data).decode("ascii")},
    }
