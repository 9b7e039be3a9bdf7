"""`/verify/wallet`: a clerk (a bank's or a school's, no account needed) chooses what to ask, shows
the QR code to the citizen, and the page turns into the report once the wallet has answered. The
page's requests are remembered in the clerk's session with their secrets, so only that browser
reads the answer."""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, current_app, jsonify, redirect, render_template, request, session, url_for
from flask_babel import get_locale, gettext
from sqlalchemy import select

from ..models import Result, ResultStatus, db, utcnow
from ..platform.errors import ApiError
from .api import qr_svg, start
from .dcql import PERSONAL_CLAIMS
from .requests import authorization_link, public_view, readable
from .wallet_endpoints import base_url

bp = Blueprint("verify_wallet", __name__)
SESSION_KEY = "presentations"
KEPT = 20
"""Requests a browser session remembers (the oldest are forgotten)."""
_PROCEDURES_SHOWN = 200


def _claim_labels() -> dict[str, str]:
    """Each claim's name for a person, in the page's language (the issuer's metadata has the same in vi and en)."""
    return {
        "result_id": gettext("Result ID"),
        "title": gettext("Title"),
        "procedure_code": gettext("Procedure code"),
        "procedure_name": gettext("Administrative procedure"),
        "dossier_code": gettext("Dossier code"),
        "agency": gettext("Issuing agency"),
        "issuance_date": gettext("Date of issue"),
        "document": gettext("SHA-256 of the signed PDF"),
        "full_name": gettext("Full name"),
        "personal_id": gettext("Personal ID number"),
        "birthdate": gettext("Date of birth"),
    }


@bp.context_processor
def _helpers() -> dict:
    def check_word(status: str) -> str:
        return {"passed": gettext("passed"), "failed": gettext("failed")}.get(status, gettext("not decided"))

    labels = _claim_labels()
    return {"claim_label": lambda name: labels.get(name, name), "check_word": check_word}


@bp.app_template_filter("iso_date")
def _iso_date(value: str) -> str:
    """An ISO date (YYYY-MM-DD) as dd/mm/yyyy."""
    try:
        return dt.date.fromisoformat(value).strftime("%d/%m/%Y")
    except (TypeError, ValueError):
        return str(value)


@bp.app_template_filter("iso_time")
def _iso_time(value: str | None) -> str:
    from flask_babel import format_datetime

    return format_datetime(dt.datetime.fromisoformat(value), "dd/MM/yyyy HH:mm:ss") if value else "—"


def _procedures() -> list[tuple[str, str]]:
    """The procedures whose results this service has signed: the result types a clerk can ask for."""
    rows = db.session.execute(
        select(Result.procedure_code, Result.procedure_name)
        .where(Result.status.in_((ResultStatus.SIGNED, ResultStatus.DELIVERED)))
        .distinct().order_by(Result.procedure_name).limit(_PROCEDURES_SHOWN)
    )
    return [(code, name) for code, name in rows]


def _remember(presentation_id: str, secret: str) -> None:
    kept = dict(session.get(SESSION_KEY) or {})
    kept[presentation_id] = secret
    session[SESSION_KEY] = dict(list(kept.items())[-KEPT:])


def _own(presentation_id: str):
    """The request, if this browser made it; 404 otherwise."""
    row = readable(db.session, presentation_id, (session.get(SESSION_KEY) or {}).get(presentation_id))
    if row is None:
        abort(404)
    return row


@bp.get("/verify/wallet")
def form():
    return render_template("presentations/ask.html", procedures=_procedures(), personal_claims=PERSONAL_CLAIMS)


@bp.post("/verify/wallet")
def create():
    # The site checks a token-less form only inside a login session; this anonymous form always.
    current_app.extensions["csrf"].protect()
    try:
        made = start(request.form.get("procedure_code"), request.form.getlist("claims"))
    except ApiError as exc:
        return render_template("presentations/ask.html", procedures=_procedures(), personal_claims=PERSONAL_CLAIMS,
                               error=exc), exc.status
    _remember(made.id, made.secret)
    return redirect(url_for("verify_wallet.presentation", presentation_id=made.id), 303)


def _annulled(report: dict | None) -> dict | None:
    """The register's annulment for the verify pages' banner, its time as a datetime again (the
    report keeps ISO text)."""
    registry = (report or {}).get("registry")
    if not registry or not registry.get("annulled"):
        return None
    moment = registry.get("annulled_at")
    return {**registry, "annulled_at": dt.datetime.fromisoformat(moment) if moment else None}


@bp.get("/verify/wallet/<presentation_id>")
def presentation(presentation_id: str):
    row = _own(presentation_id)
    view = public_view(row, str(get_locale()), utcnow())
    link = authorization_link(base_url(), row.client_id, row.state)
    return render_template("presentations/presentation.html", view=view, link=link, annulled=_annulled(view["report"]),
                           qr=qr_svg(link) if view["status"] == "pending" else None)


@bp.get("/verify/wallet/<presentation_id>/status")
def status(presentation_id: str):
    """What the page polls: whether the wallet has answered yet."""
    row = _own(presentation_id)
    response = jsonify(status=public_view(row, "vi", utcnow())["status"])
    response.headers["Cache-Control"] = "no-store"
    return response
