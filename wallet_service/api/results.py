"""Result intake and reading: `POST /api/v1/results`, `GET /api/v1/results/{id}[/document]`."""
from __future__ import annotations

from flask import Response, request, url_for
from flask_babel import gettext as _
from marshmallow import Schema, ValidationError, fields
from sqlalchemy import select

from ..access import CITIZEN, CLIENT, OFFICIAL, can_read_result, require_principal
from ..models import Agency, Result, db
from ..platform import json_body
from ..platform.errors import ApiError, BadRequest, Forbidden, NotFound, PayloadTooLarge, Unprocessable
from ..results import annulment, returns
from ..results.intake import MAX_BATCH_RESULTS, Submission, submit_result, submit_results
from .schemas import (
    TEXT,
    AgencySchema,
    ResultBatchSchema,
    ResultBatchUploadSchema,
    ResultMetadataSchema,
    ResultSchema,
    ResultUploadSchema,
)
from ..services import services
from ..wallet.results import downloadable
from ..copies.kinds import STATION

_METADATA = ResultMetadataSchema()  # made once: a marshmallow Schema copies its fields when made

blp = json_body.Blueprint("results", __name__, url_prefix="/api/v1", description="Results of administrative procedures")


def _require_multipart() -> None:
    if request.mimetype != "multipart/form-data":
        raise BadRequest("Send multipart/form-data with a 'metadata' JSON field and a 'document' PDF file.", "invalid_content_type")


def _metadata_json():
    """The 'metadata' part, parsed as JSON: a text field or a file part of type application/json."""
    raw = request.form.get("metadata")
    if raw is None and "metadata" in request.files:
        raw = request.files["metadata"].read().decode("utf-8", "replace")
    if raw is None:
        raise BadRequest("The 'metadata' part is missing.", "missing_metadata")
    try:
        return json_body.loads(raw)
    except ValueError as exc:
        raise BadRequest(f"'metadata' is not valid JSON: {exc}.", "invalid_metadata") from None


def _load_metadata(payload) -> dict:
    if not isinstance(payload, dict):
        raise BadRequest("'metadata' must be a JSON object.", "invalid_metadata")
    try:
        return _METADATA.load(payload)
    except ValidationError as exc:
        raise Unprocessable("Some metadata fields are missing or malformed.", "invalid_metadata", details=exc.messages) from None


def _read_upload() -> tuple[dict, bytes]:
    _require_multipart()
    document = request.files.get("document")
    if document is None:
        raise BadRequest("The 'document' file part is missing.", "missing_document")
    return _load_metadata(_metadata_json()), document.read()


def _read_batch_upload() -> list[Submission | ApiError]:
    """`metadata`: a JSON array of result metadata; `document`: one file part per entry, in the same order.
    An entry with invalid metadata is its error (intake reports it with the other entries' problems)."""
    _require_multipart()
    payload = _metadata_json()
    if not isinstance(payload, list) or not payload:
        raise BadRequest("'metadata' must be a non-empty JSON array, one object per result.", "invalid_metadata")
    if len(payload) > MAX_BATCH_RESULTS:
        raise PayloadTooLarge(f"A batch carries at most {MAX_BATCH_RESULTS} results; this one has {len(payload)}.",
                              "batch_too_large")
    documents = request.files.getlist("document")
    if len(documents) != len(payload):
        raise BadRequest(f"{len(payload)} metadata entries but {len(documents)} 'document' parts; send one per result, "
                         "in the same order.", "document_count_mismatch")
    submissions: list[Submission | ApiError] = []
    for entry, document in zip(payload, documents):
        try:
            submissions.append(Submission(_load_metadata(entry), document.read()))
        except ApiError as error:
            submissions.append(error)
    return submissions


def _submitted_by(principal) -> dict:
    """Intake's terms for a case system: its actor and record, its agencies, the size limit."""
    if STATION in principal.roles:
        raise Forbidden(_("A digitisation station posts scans to /api/v1/copies, not results."), "not_a_case_system")
    return {"actor": principal.actor, "client_id": principal.record_id, "agency_codes": principal.agency_codes,
            "max_bytes": services().settings.max_document_bytes}


def _find_result(result_id: str) -> Result:
    """The result, if the caller may see it; 404 otherwise, so ids of others' results leak nothing."""
    principal = require_principal()
    result = db.session.get(Result, result_id)
    if result is None or not can_read_result(principal, result):
        raise NotFound("No such result.")
    return result


@blp.route("/results", methods=["POST"])
@blp.doc(
    requestBody={
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": ResultUploadSchema,
                "encoding": {"metadata": {"contentType": "application/json"}, "document": {"contentType": "application/pdf"}},
            }
        },
    },
    security=[{"bearerAssertion": []}],
)
@blp.response(201, ResultSchema, description="Created, pending signature")
@blp.alt_response(200, schema=ResultSchema, description="The same dossier result was posted before")
@blp.alt_response(409, description="The dossier code exists with a different document")
def create_result():
    """Submit a decided dossier's result document for signature (case systems)."""
    terms = _submitted_by(require_principal(CLIENT))
    metadata, data = _read_upload()
    result, created = submit_result(db.session, services().documents, metadata, data, **terms)
    if not created:
        return result, 200
    _count_received([(result, created)])
    return result, 201, {"Location": url_for("results.get_result", result_id=result.id)}


@blp.route("/result-batches", methods=["POST"])
@blp.doc(
    requestBody={
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": ResultBatchUploadSchema,
                "encoding": {"metadata": {"contentType": "application/json"}, "document": {"contentType": "application/pdf"}},
            }
        },
    },
    security=[{"bearerAssertion": []}],
)
@blp.response(201, ResultBatchSchema, description="Stored, pending signature (all of them, in one transaction)")
@blp.alt_response(200, schema=ResultBatchSchema, description="Every dossier was posted before with the same document")
@blp.alt_response(409, description="A dossier code exists with a different document; nothing was stored")
@blp.alt_response(422, description="Some results are invalid (details.items says which); nothing was stored")
def create_result_batch():
    """Submit up to 100 results in one request (case systems with a backlog): all are stored, or none.
    The same rules as one result: a dossier posted before with the same document comes back unchanged."""
    terms = _submitted_by(require_principal(CLIENT))
    stored = submit_results(db.session, services().documents, _read_batch_upload(), **terms)
    _count_received(stored)
    body = {"results": [{"created": created, "result": result} for result, created in stored]}
    return body, 201 if any(created for _, created in stored) else 200


def _count_received(stored) -> None:
    metrics = services().metrics
    for result, created in stored:
        if created:
            metrics.result("received", result.agency.code, result.procedure_code)


@blp.route("/results/<result_id>", methods=["GET"])
@blp.response(200, ResultSchema)
def get_result(result_id: str):
    """A result's status, hashes, signatures, deliveries and links."""
    return _find_result(result_id)


@blp.route("/results/<result_id>/document", methods=["GET"])
@blp.response(200, description="The signed PDF, or the original while pending (not to the citizen)")
@blp.alt_response(403, description="A citizen asked for a result not signed yet")
def get_document(result_id: str):
    result = _find_result(result_id)
    if require_principal().kind == CITIZEN and not downloadable(result):
        # The unsigned draft has no legal force: the citizen gets the signed PDF only.
        raise Forbidden("This result is not signed yet; its document can be downloaded once it is signed.",
                        "document_not_signed")
    digest = result.signed_sha256 or result.original_sha256
    data = services().documents.get(digest)
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{result.dossier_code}.pdf"'
    response.set_etag(digest)
    return response.make_conditional(request)


class RevokeSchema(Schema):
    reason = fields.String(
        required=True, validate=TEXT, metadata={"description": "Why the result is annulled (shown to verifiers)"}
    )


def _annul(body, result_id: str):
    principal = require_principal(OFFICIAL)
    return annulment.annul(db.session, principal, result_id, body["reason"], services().events)


@blp.route("/results/<result_id>/annul", methods=["POST"])
@blp.arguments(RevokeSchema)
@blp.response(200, ResultSchema)
def annul_result(body, result_id: str):
    """Annul a result (officials with the annul role): verifications say so from now on."""
    return _annul(body, result_id)


@blp.route("/results/<result_id>/revoke", methods=["POST"])
@blp.arguments(RevokeSchema)
@blp.response(200, ResultSchema)
@blp.doc(deprecated=True)
def revoke_result(body, result_id: str):
    """Annul a result: the former name of `POST /api/v1/results/{result_id}/annul`, kept for existing callers."""
    return _annul(body, result_id)


class ReturnSchema(Schema):
    reason = fields.String(
        required=True, validate=TEXT, metadata={"description": "Why the dossier is returned (sent to the case system)"}
    )


@blp.route("/results/<result_id>/return", methods=["POST"])
@blp.arguments(ReturnSchema)
@blp.response(200, ResultSchema)
def return_result(body, result_id: str):
    """Return a dossier unsigned to its case system, with the reason (officials with the signer role;
    only a result waiting for a signature: a signed one is annulled instead)."""
    principal = require_principal(OFFICIAL)
    return returns.return_dossier(db.session, principal, result_id, body["reason"], services().events)


@blp.route("/agencies", methods=["GET"])
@blp.response(200, AgencySchema(many=True))
def list_agencies():
    """The agencies the calling case system may submit results for."""
    principal = require_principal()
    return db.session.scalars(
        select(Agency).where(Agency.code.in_(sorted(principal.agency_codes))).order_by(Agency.code)
    ).all()
