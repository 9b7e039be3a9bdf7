"""`GET /api/v1/wallet/results`: the logged-in citizen's own results."""
from __future__ import annotations

from flask import jsonify, request, url_for
from flask_babel import gettext as _
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from ..access import CITIZEN, require_principal
from ..models import Result, db
from ..platform.errors import BadRequest
from ..services import services
from .query import DEFAULT_PER_PAGE, FIRST_YEAR, MAX_PAGE, MAX_PER_PAGE, MAX_SEARCH, parse_query
from .results import WalletPage, citizen_results, downloadable, offerable, stage

blp = Blueprint("wallet_results", __name__, url_prefix="/api/v1/wallet", description="The citizen's own results")

_ID = "RESULT-ID"
"""Stands for a result id in link templates (url_for costs ~20 µs a call; a listing makes 4 per result)."""


class ResultLinks:
    """The addresses of a result's actions, routed once per request."""

    def __init__(self):
        self._self = url_for("results.get_result", result_id=_ID)
        self._page = url_for("wallet_pages.result", result_id=_ID)
        self._document = url_for("results.get_document", result_id=_ID)
        self._verification = services().settings.public_base_url.rstrip("/") + f"/v/{_ID}"
        self._offer = url_for("wallet_credential_offers.create_credential_offer", result_id=_ID)

    def of(self, result: Result) -> dict[str, str]:
        links = {"self": self._self.replace(_ID, result.id), "page": self._page.replace(_ID, result.id)}
        if downloadable(result):
            links["document"] = self._document.replace(_ID, result.id)
            links["verification"] = self._verification.replace(_ID, result.id)
        if offerable(result):
            links["credential_offer"] = self._offer.replace(_ID, result.id)
        return links


class WalletResultSchema(Schema):
    """What the listing answers, for the API description; `wallet_item` produces it."""

    id = fields.String()
    kind = fields.String(metadata={"description": "result, or certified_copy (a digitised document)"})
    title = fields.String()
    dossier_code = fields.String()
    procedure_code = fields.String()
    procedure_name = fields.String()
    agency_code = fields.String(attribute="agency.code")
    agency_name = fields.String(attribute="agency.name")
    status = fields.String(metadata={"description": "The result's status in the service (pending_signature ... annulled)."})
    stage = fields.Function(
        lambda r: stage(r).value,
        metadata={"description": "What the citizen sees: processing (not signed yet), issued, annulled, or returned (not issued)."},
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
        return ResultLinks().of(result)


def _iso(moment):
    return moment.isoformat() if moment is not None else None


def wallet_item(result: Result, links: ResultLinks) -> dict:
    """`WalletResultSchema` written out by hand: marshmallow took ~0.1 ms per result, most of a
    listing's CPU. tests/wallet pins the two to the same output."""
    return {
        "id": result.id,
        "kind": result.kind,
        "title": result.title,
        "dossier_code": result.dossier_code,
        "procedure_code": result.procedure_code,
        "procedure_name": result.procedure_name,
        "agency_code": result.agency.code,
        "agency_name": result.agency.name,
        "status": result.status,
        "stage": stage(result).value,
        "annulled": result.annulled_at is not None,
        "received_at": _iso(result.created_at),
        "signed_at": _iso(result.signed_at),
        "annulled_at": _iso(result.annulled_at),
        "annulment_reason": result.annulment_reason,
        "downloadable": downloadable(result),
        "offerable": offerable(result),
        "links": links.of(result),
    }


_QUERY_PARAMETERS = [
    {"in": "query", "name": "q", "schema": {"type": "string"},
     "description": f"Part of the title, procedure, agency name or dossier code (case-insensitive, at most "
                    f"{MAX_SEARCH} characters once runs of spaces are folded)."},
    {"in": "query", "name": "year", "schema": {"type": "integer", "minimum": FIRST_YEAR},
     "description": "Signed (or received, while not signed) in this year, Vietnam time; at most next year."},
    {"in": "query", "name": "agency", "schema": {"type": "string"}, "description": "An agency code."},
    {"in": "query", "name": "page", "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1}},
    {"in": "query", "name": "per_page",
     "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": DEFAULT_PER_PAGE}},
]
_PAGE_HEADERS = {
    "Link": {"description": "RFC 8288 links to the first, prev, next and last pages.", "schema": {"type": "string"}},
    "X-Total-Count": {"description": "How many results match, on all pages.", "schema": {"type": "integer"}},
}


def _link_header(page: WalletPage) -> str:
    """first/prev/next/last, each an absolute URL keeping the query's filters."""
    query = page.query
    numbers = {"first": 1, "prev": query.page - 1 if query.page > 1 else None,
               "next": query.page + 1 if query.page < page.pages else None, "last": page.pages}
    return ", ".join(
        f'<{url_for("wallet_results.list_results", _external=True, **query.query_args(page=number))}>; rel="{rel}"'
        for rel, number in numbers.items() if number is not None
    )


@blp.route("/results", methods=["GET"])
@blp.doc(parameters=_QUERY_PARAMETERS)
@blp.response(200, WalletResultSchema(many=True), headers=_PAGE_HEADERS)
@blp.alt_response(400, description="A search, filter or page value cannot be used (details says which)")
def list_results():
    """The citizen's own results, newest first, a page at a time, with what each allows (download,
    wallet app); optionally narrowed by a search, a year and an agency."""
    principal = require_principal(CITIZEN)
    parsed = parse_query(request.args, blank_is_absent=False)
    if parsed.errors:
        raise BadRequest(_("Some search or page values cannot be used."), "invalid_query", details=dict(parsed.errors))
    page = citizen_results(db.session, principal, parsed.query)
    links = ResultLinks()
    response = jsonify([wallet_item(result, links) for result in page.items])
    response.headers["Link"] = _link_header(page)
    response.headers["X-Total-Count"] = str(page.total)
    return response
