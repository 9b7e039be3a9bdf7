"""`POST /api/v1/wallet/results/{id}/credential-offer`: a logged-in citizen asks to put one of
their signed results into a wallet app and gets the offer link, its QR code and the tx_code."""
from __future__ import annotations

from urllib.parse import urlencode

import segno

from flask_smorest import Blueprint
from marshmallow import Schema, fields

from ..access import CITIZEN, can_read_result, require_principal
from ..models import Result, db
from ..platform.errors import Conflict, NotFound
from ..results import audit
from ..services import services
from .grants import OFFERABLE, create_offer

blp = Blueprint("wallet_credential_offers", __name__, url_prefix="/api/v1/wallet", description="Credentials for wallet apps")


class CredentialOfferSchema(Schema):
    credential_offer_uri = fields.String(
        metadata={"description": "openid-credential-offer:// URI carrying the offer by reference (open it in a wallet app)."}
    )
    tx_code = fields.String(metadata={"description": "Transaction code the citizen types into the wallet; shown once."})
    qr_svg = fields.String(metadata={"description": "The offer URI as a QR code, inline SVG."})
    expires_at = fields.DateTime(metadata={"description": "When the offer stops working."})


def offer_link(issuer: str, pre_authorized_code: str) -> str:
    offer_url = f"{issuer}/credential-offers/{pre_authorized_code}"
    return "openid-credential-offer://?" + urlencode({"credential_offer_uri": offer_url})


@blp.route("/results/<result_id>/credential-offer", methods=["POST"])
@blp.response(201, CredentialOfferSchema)
@blp.alt_response(404, description="No such result among the citizen's own")
@blp.alt_response(409, description="The result is not signed yet, or was annulled")
def create_credential_offer(result_id: str):
    """Offer a signed result as an SD-JWT VC over OpenID4VCI (pre-authorised code + tx_code)."""
    principal = require_principal(CITIZEN)
    result = db.session.get(Result, result_id)
    if result is None or not can_read_result(principal, result):
        raise NotFound("No such result.")
    if result.status not in OFFERABLE:
        raise Conflict(f"Only a signed result can be added to a wallet; this one is {result.status}.", "result_not_signed")
    offer = create_offer(db.session, result)
    audit.record(db.session, principal.actor, "credential.offered", result.id, offer=offer.offer_id)
    db.session.commit()
    link = offer_link(services().settings.public_base_url.rstrip("/"), offer.pre_authorized_code)
    qr_svg = segno.make(link, error="m").svg_inline(scale=4, title="Mã QR nhận kết quả vào ví / Wallet credential offer")
    body = {"credential_offer_uri": link, "tx_code": offer.tx_code, "qr_svg": qr_svg, "expires_at": offer.expires_at}
    return body, 201, {"Cache-Control": "no-store"}
