"""`POST /api/v1/verify` (a PDF) and `POST /api/v1/verify/credential` (an SD-JWT VC): anyone may
call them; messages in the language of `Accept-Language` (vi, en; Vietnamese by default)."""
from __future__ import annotations

import hashlib

from flask import Response, current_app, request
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from verification import VerificationError

from ..models import db, utcnow
from ..platform.errors import BadRequest
from ..platform.limits import charge_local, charge_shared
from ..services import services
from . import stored
from .credential import verify_credential
from .documents import DocumentRefused, verify_document

blp = Blueprint("verify_api", __name__, url_prefix="/api/v1", description="Verification of signed results and credentials")

LANGUAGES = ("vi", "en")
# Read-only and anonymous: no session state is changed, so a page script need not send a CSRF token.
CSRF_EXEMPT = frozenset({f"{blp.name}.verify_pdf", f"{blp.name}.verify_sd_jwt_vc"})


def request_language() -> str:
    return request.accept_languages.best_match(LANGUAGES, default="vi")


class DocumentUploadSchema(Schema):
    document = fields.Raw(required=True, metadata={"type": "string", "format": "binary", "description": "The signed PDF"})


class CredentialRequestSchema(Schema):
    credential = fields.String(required=True, metadata={"description": "The SD-JWT VC in compact form (with or without a key-binding JWT)"})
    audience = fields.String(metadata={"description": "The `aud` the key-binding JWT must carry (your verifier's identifier)"})
    nonce = fields.String(metadata={"description": "The nonce you gave the holder, which the key-binding JWT must carry"})


def read_upload() -> bytes:
    """The bytes of the multipart `document` part, or of the whole body sent as `application/pdf`
    (no multipart parsing: the cheaper way for machines); or a precise 400."""
    if request.mimetype == "application/pdf":
        return request.get_data(cache=False)
    if request.mimetype != "multipart/form-data":
        raise BadRequest("Send multipart/form-data with the PDF in the 'document' part, or the PDF itself "
                         "as application/pdf.", "invalid_content_type")
    document = request.files.get("document")
    if document is None:
        raise BadRequest("The 'document' file part is missing.", "missing_document")
    return document.read()


@blp.route("/verify", methods=["POST"])
@blp.doc(requestBody={"content": {"multipart/form-data": {"schema": DocumentUploadSchema},
                                  "application/pdf": {"schema": {"type": "string", "format": "binary"}}}},
         security=[])
@blp.response(200, description="The verification report: `indication` (ETSI EN 319 102-1), `sub_indication`, "
              "`signatures`, `document_timestamps`, `registry` (null when this service did not issue the document), "
              "`policy` (`issued-document` when the register matched the file: nothing but signatures, timestamps "
              "and validation data may follow its signatures; else `signer-permissions`), `document_findings`; each "
              "signature's `revocation` (`good`, `revoked`, `unknown`) and `revocation_source` (`embedded_ocsp`, "
              "`embedded_crl`, `fetched`, or `none` when revocation was not checked); `answered_from`: `register` "
              "when the file is byte for byte a registered document whose report was stored at its first "
              "verification (its annulment read live), `full` when it was verified now")
@blp.alt_response(400, description="Neither multipart nor application/pdf, no document, or an empty file")
@blp.alt_response(413, description="Larger than the size limit")
@blp.alt_response(422, description="Not a PDF, unreadable, encrypted, unsigned, or over the time budget")
@blp.alt_response(429, description="Too many requests from this address: full verifications count against "
                  "`RATE_LIMIT_VERIFY` (shared by all processes), answers from the register against "
                  "`RATE_LIMIT_VERIFY_REGISTERED` (per process); `Retry-After` says when to come back")
def verify_pdf():
    """Verify a signed PDF and tell whether this service issued it and whether it was annulled."""
    charge_local()
    lang = request_language()
    data = read_upload()
    if data:  # empty uploads get the engine's precise refusal below
        try:
            policy = services().verifier.policy()
        except VerificationError as exc:
            raise DocumentRefused(exc, lang) from None
        body = stored.answer(db.engine, hashlib.sha256(data).hexdigest(), policy, lang,
                             services().settings.public_base_url)
        if body is not None:
            return Response(body, mimetype="application/json")
    charge_shared()  # only the expensive work counts against the shared limit
    verification = verify_document(current_app, db.session, data, lang)
    return verification.to_dict(db.session, lang)


@blp.route("/verify/credential", methods=["POST"])
@blp.doc(requestBody={"content": {"application/json": {"schema": CredentialRequestSchema}}}, security=[])
@blp.response(200, description="`valid`, `indication`, `checks` (each with status and message), `claims`, "
              "`disclosed_claims`, `key_binding`, `registry`")
@blp.alt_response(422, description="Not an SD-JWT at all")
def verify_sd_jwt_vc():
    """Verify an SD-JWT VC issued by this service: signature, type, validity, disclosures, key binding, status."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadRequest("Send a JSON object {\"credential\": \"...\"}.", "invalid_request")
    optional = {name: body.get(name) for name in ("audience", "nonce")}
    for name, value in optional.items():
        if value is not None and not isinstance(value, str):
            raise BadRequest(f"'{name}' must be a string.", "invalid_request")
    issuer = services().settings.public_base_url.rstrip("/")
    report = verify_credential(
        db.session,
        body.get("credential"),
        issuer=issuer,
        key=services().issuer_key.load(),
        now=utcnow(),
        lang=request_language(),
        **optional,
    )
    answer = report.to_dict()
    services().metrics.verifications.labels(kind="credential", indication=str(answer.get("indication"))).inc()
    return answer
