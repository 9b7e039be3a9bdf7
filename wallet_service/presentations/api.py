"""`POST /api/v1/presentations` and `GET /api/v1/presentations/{id}`: a clerk's system asks a
citizen's wallet for a result credential and reads the verified answer.

Anyone may create a request (rate-limited like the other verification endpoints): a bank or school
needs no account here, and a request discloses nothing until the citizen consents in the wallet.
The answer is read with the secret returned at creation (`Authorization: Bearer <secret>`), so
only whoever made the request reads what the citizen presented."""
from __future__ import annotations

import segno
from flask import request
from flask_babel import gettext
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from ..models import db, utcnow
from ..platform.errors import BadRequest, NotFound, ServiceUnavailable
from ..services import services
from ..verify.api import request_language
from .dcql import PERSONAL_CLAIMS, Ask, InvalidAsk
from .identity import VerifierIdentityUnavailable
from .requests import NewPresentationRequest, create, public_view, readable

blp = Blueprint("presentations_api", __name__, url_prefix="/api/v1",
                description="Asking a citizen's wallet for a result credential (OpenID4VP)")
# Anonymous by design (see above) and bound to no session: no CSRF token to send.
CSRF_EXEMPT = frozenset({f"{blp.name}.create_presentation"})


class PresentationAskSchema(Schema):
    procedure_code = fields.String(allow_none=True, metadata={
        "description": "Only a result of this procedure; omitted or null: any result"})
    claims = fields.List(fields.String(), metadata={
        "description": f"Personal claims to see, among {', '.join(PERSONAL_CLAIMS)}"})


class CreatedPresentationSchema(Schema):
    id = fields.String()
    secret = fields.String(metadata={"description": "Reads the answer: `Authorization: Bearer <secret>`; shown once"})
    request_link = fields.String(metadata={
        "description": "`openid4vp://?client_id=...&request_uri=...`, for the citizen's wallet"})
    qr_svg = fields.String(metadata={"description": "The link as a QR code, inline SVG"})
    expires_at = fields.DateTime()


def start(procedure_code: object, claims: object) -> NewPresentationRequest:
    """Make a request for what the clerk chose; 400 on a bad choice, 503 without a certificate."""
    try:
        ask = Ask.parse(procedure_code, claims)
    except InvalidAsk as exc:
        if exc.field == "procedure_code":
            message = gettext("Choose the procedure by its code, e.g. 1.001612.000.00.00.H40.")
        else:
            message = gettext("Choose personal data among: full name, personal ID number, date of birth.")
        raise BadRequest(message, "invalid_request", details={exc.field: str(exc)}) from None
    try:
        identity = services().verifier_identity.load()
    except VerifierIdentityUnavailable as exc:
        raise ServiceUnavailable(gettext("Wallet verification is not configured on this service."),
                                 "verifier_unavailable", details={"reason": str(exc)}) from None
    made = create(db.session, ask, identity, services().settings.public_base_url.rstrip("/"))
    db.session.commit()
    return made


def qr_svg(link: str) -> str:
    return segno.make(link, error="m").svg_inline(scale=4, title="Mã QR yêu cầu xuất trình / Presentation request")


@blp.route("/presentations", methods=["POST"])
@blp.doc(security=[])
@blp.arguments(PresentationAskSchema)
@blp.response(201, CreatedPresentationSchema)
def create_presentation(body: dict):
    """Ask a citizen's wallet for a result credential; show `request_link` to the citizen as a QR code."""
    made = start(body.get("procedure_code"), body.get("claims"))
    return ({"id": made.id, "secret": made.secret, "request_link": made.link, "qr_svg": qr_svg(made.link),
             "expires_at": made.expires_at}, 201, {"Cache-Control": "no-store"})


@blp.route("/presentations/<presentation_id>", methods=["GET"])
@blp.doc(security=[{"bearerAssertion": []}])
@blp.response(200, description="`status` (`pending`, `answered`, `refused`, `expired`), `accepted`, `asked`, and once "
              "answered `report`: `reason` of a refusal, `checks`, the asked `claims`, `registry`")
@blp.alt_response(404, description="Unknown id, or not this request's secret")
def read_presentation(presentation_id: str):
    """The state of a presentation request and, once the wallet answered, its verification report."""
    header = request.headers.get("Authorization", "")
    secret = header[7:] if header.startswith("Bearer ") else None
    row = readable(db.session, presentation_id, secret)
    if row is None:
        raise NotFound(gettext("No such presentation request, or the secret is not its own."), "presentation_not_found")
    return public_view(row, request_language(), utcnow()), 200, {"Cache-Control": "no-store"}
