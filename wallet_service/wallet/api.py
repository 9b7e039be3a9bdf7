"""`GET /api/v1/wallet/results`: the logged-in citizen's own results (DESIGN.md §4)."""
from __future__ import annotations

from flask import current_app, url_for
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from ..access import CITIZEN, require_principal
from ..models import db
from .results import citizen_results, downloadable, offerable, stage

blp = Blueprint("wallet_results", __name__, url_prefix="/api/v1/wallet", description="The citizen's own results")


class WalletResultSchema(Schema):
    id = fields.String()
    title = fields.String()
    dossier_code = fields.String()
    procedure_code = fields.String()
    procedure_name = fields.String()
    agency_code = fields.String(attribute="agency.code")
    agency_name = fields.String(attribute="agency.name")
    status = fields.String(metadata={"description": "The result's status in the service (pending_signature ... annulled)."})
    stage = fields.Function(
        lambda r: stage(r).value,
        metadata={"description": "What the citizen sees: processing (not signed yet), issued, or annulled."},
    )
    annulled = fields.Function(lambda r: r.annulled_at is not None)
    received_at = fields.DateTime(attribute="created_at", metadata={"description": "When the case system sent it."})
    signed_at = fields.DateTime(allow_none=True)
    annulled_at = fields.DateTime(allow_none=True)
    annulment_reason = fields.String(allow_none=True)
    downloadable = fields.Function(downloadable, metadata={"description": "The signed PDF can be downloaded."})
    offerable = fields.Function(offerable, metadata={"description": "Can be added to a wallet app (credential offer)."})
    links = fields.Method("_links")

    def _links(self, result):
        base = current_app.extensions["wallet.settings"].public_base_url.rstrip("/")
        links = {"self": url_for("results.get_result", result_id=result.id),
                 "page": url_for("wallet_pages.result", result_id=result.id)}
        if downloadable(result):
            links["document"] = url_for("results.get_document", result_id=result.id)
            links["verification"] = f"{base}/v/{result.id}"
        if offerable(result):
            links["credential_offer"] = url_for("wallet_credential_offers.create_credential_offer", result_id=result.id)
        return links


@blp.route("/results", methods=["GET"])
@blp.response(200, WalletResultSchema(many=True))
def list_results():
    """The citizen's own results, newest first, with what each allows (download, wallet app)."""
    return citizen_results(db.session, require_principal(CITIZEN))
