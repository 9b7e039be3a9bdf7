"""The citizen's pages: `/wallet/` (their results) and `/wallet/results/<id>` (one result: download,
verification QR, add to a wallet app). Server-rendered; the one action (a credential offer) is a
call to the public API from the page's script, with the CSRF token of `<meta name="csrf-token">`."""
from __future__ import annotations

import segno
from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..access import CITIZEN, Principal, current_principal
from ..models import ResultStatus, db, utcnow
from ..platform.errors import ApiError
from ..services import services
from . import ratings
from .query import MAX_SEARCH, parse_query
from .results import Stage, citizen_facets, citizen_result, citizen_results, downloadable, offerable, stage

bp = Blueprint("wallet_pages", __name__, url_prefix="/wallet")

STAGE_BADGES = {Stage.PROCESSING: "warn", Stage.ISSUED: "ok", Stage.ANNULLED: "fail", Stage.RETURNED: "fail"}


def _citizen() -> Principal | None:
    try:
        principal = current_principal()
    except ApiError:
        return None
    return principal if principal is not None and principal.kind == CITIZEN else None


def _stage_label(value: Stage) -> str:
    return {Stage.PROCESSING: _("Processing"), Stage.ISSUED: _("Issued"), Stage.ANNULLED: _("Annulled"),
            Stage.RETURNED: _("Returned")}[value]


@bp.app_context_processor
def _wallet_helpers():
    return {"wallet_stage": stage, "wallet_stage_label": _stage_label, "wallet_badges": STAGE_BADGES}


@bp.get("/")
def index():
    principal = _citizen()
    if principal is None:
        return redirect(url_for("auth.login", role=CITIZEN, next=request.path))
    parsed = parse_query(request.args)
    page = citizen_results(db.session, principal, parsed.query)
    agencies, years = citizen_facets(db.session, principal)
    return render_template("wallet/index.html", page=page, query=parsed.query, errors=parsed.errors,
                           agencies=agencies, years=years, max_search=MAX_SEARCH)


def _result_page(template: str, result_id: str, rating_error: str | None = None, status: int = 200):
    """One of the citizen's results in `template`, with its verification address and, once there
    is a signed PDF to check, its QR code; strangers go to the login, anyone else's is a 404."""
    principal = _citizen()
    if principal is None:
        return redirect(url_for("auth.login", role=CITIZEN, next=request.path))
    found = citizen_result(db.session, principal, result_id)
    if found is None:
        abort(404)
    verification_url = f"{services().settings.public_base_url.rstrip('/')}/v/{found.id}"
    verification_qr = None
    if downloadable(found):
        verification_qr = segno.make(verification_url, error="m").svg_inline(
            scale=4, omitsize=True, title=_("Verification QR code")  # a viewBox, so CSS can size it
        )
    existing = ratings.existing_rating(db.session, found.id)
    rating = ratings.view(existing) if existing is not None else None
    return render_template(template, result=found, downloadable=downloadable(found), offerable=offerable(found),
                           verification_url=verification_url, verification_qr=verification_qr, now=utcnow(),
                           rateable=found.status == ResultStatus.DELIVERED, rating=rating, rating_error=rating_error,
                           rated=request.args.get("rated") == "1"), status


@bp.get("/results/<result_id>")
def result(result_id: str):
    return _result_page("wallet/result.html", result_id)


@bp.post("/results/<result_id>/rating")
def rate(result_id: str):
    """The rating form of the result page (CSRF-checked like every form); the same rules as the API."""
    principal = _citizen()
    if principal is None:
        return redirect(url_for("auth.login", role=CITIZEN, next=url_for(".result", result_id=result_id)))
    try:
        ratings.rate(db.session, principal, result_id, request.form.get("stars"), request.form.get("comment"), utcnow())
    except ApiError as refused:
        db.session.rollback()
        if refused.status == 404:
            abort(404)
        return _result_page("wallet/result.html", result_id, rating_error=refused.message, status=refused.status)
    return redirect(url_for(".result", result_id=result_id, rated=1) + "#rating")


@bp.get("/results/<result_id>/print")
def print_view(result_id: str):
    """A plain page to print and keep with the paper copy: the facts and the verification QR."""
    return _result_page("wallet/print.html", result_id)
