"""Login routes: `/auth/login`, `/auth/callback`, `/auth/refused`, `/auth/logout`, and `GET /api/v1/me`."""
from __future__ import annotations

import time

from adapters.oidc import (
    AuthorizationRequest,
    LoginRequestError,
    OidcError,
    profile_named,
    read_citizen,
    read_official,
)
from flask import Blueprint, current_app, g, jsonify, redirect, render_template_string, request, url_for

from . import refusals, sessions
from ..access import CITIZEN, CLIENT, OFFICIAL, require_principal
from ..models import Agency, db
from ..platform.error_pages import render_error_page
from ..platform.errors import BadRequest
from ..services import services
from ..platform.auth_config import AuthSettings

bp = Blueprint("auth", __name__)

CALLBACK_PATH = "/auth/callback"
LANDING = {CITIZEN: "/wallet/", OFFICIAL: "/official/"}
PENDING_LIFETIME = 10 * 60
"""Seconds a person may spend at the provider before the login must be started again."""


def _settings() -> AuthSettings:
    return services().auth


def _relying_party(role: str):
    return services().oidc[role]


@bp.get("/auth/login")
def login():
    role = request.args.get("role", "")
    if role not in LANDING:
        raise BadRequest("Say who is logging in: /auth/login?role=citizen or role=official.", "invalid_role")
    authorization = _relying_party(role).begin()
    sessions.remember_pending(
        authorization.state,
        {**authorization.to_dict(), "role": role, "next": sessions.safe_next(request.args.get("next")),
         "started_at": int(time.time())},
    )
    return redirect(authorization.url)


@bp.get(CALLBACK_PATH)
def callback():
    pending = sessions.take_pending(request.args.get("state", ""))
    if pending is None or time.time() - pending["started_at"] > PENDING_LIFETIME:
        raise LoginRequestError(
            "This login answer is unknown, expired or was already used (state). Please start the login again.",
            "invalid_state",
        )
    role = g.login_role = pending["role"]
    settings = _settings()
    provider = settings.provider(role)
    relying_party = _relying_party(role)
    login = relying_party.complete(AuthorizationRequest.from_dict(pending), request.args)
    profile = profile_named(provider.claims)
    if role == CITIZEN:
        from .identities import citizen_principal

        principal = citizen_principal(db.session, read_citizen(profile, login.claims), settings.citizen_min_level)
    else:
        from .identities import official_principal

        identity = read_official(
            profile, login.claims, issuer=login.issuer,
            agency_claim=settings.official_agency_claim, roles_claims=settings.official_roles_claims,
        )
        principal = official_principal(db.session, identity, settings.official_agency_claim)
    sessions.start(principal, role, login.id_token)
    return redirect(pending["next"] or LANDING[role])


_LOGOUT = """<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><title>Đăng xuất</title></head>
<body><form method="post" action="/auth/logout">
<input type="hidden" name="csrf_token" value="{{ csrf_token() }}">
<button type="submit">Đăng xuất / Log out</button></form></body></html>"""


@bp.route("/auth/logout", methods=["GET", "POST"])
def logout():
    """GET asks for confirmation (a link must not log anyone out); POST ends our session and then
    the provider's (RP-initiated logout), coming back to the home page."""
    if request.method == "GET":
        return render_template_string(_LOGOUT)
    info = sessions.end()
    home = services().settings.public_base_url.rstrip("/") + "/"
    if info and info.get("role") in LANDING:
        url = _relying_party(info["role"]).logout_url(info.get("id_token"), home)
        if url:
            return redirect(url)
    return redirect("/")


@bp.get("/api/v1/me")
def me():
    """Who is logged in: role, name, and the citizen's ID number or the official's agency and roles."""
    principal = require_principal()
    body: dict = {"role": principal.kind, "name": principal.display_name}
    if principal.kind == CITIZEN:
        body["personal_id"] = principal.personal_id
    elif principal.kind == OFFICIAL:
        code = next(iter(principal.agency_codes))
        agency = db.session.scalar(db.select(Agency).where(Agency.code == code))
        body["agency"] = {"code": code, "name": agency.name if agency else None}
        body["roles"] = sorted(principal.roles)
    elif principal.kind == CLIENT:
        body["agencies"] = sorted(principal.agency_codes)
    return jsonify(body)


@bp.errorhandler(OidcError)
def _refused(exc: OidcError):
    """API callers get the refusal as JSON; a person is sent on to the refusal page, which leaves
    the provider's one-time code out of the address bar."""
    db.session.rollback()
    current_app.logger.info("login refused: %s (%s)", exc.code, exc.message)
    if request.accept_mimetypes.best == "application/json":
        return jsonify(error=exc.code, message=exc.message), refusals.status_of(exc)
    refusals.remember(exc, g.get("login_role"))
    return redirect(url_for("auth.refused"), 303)


@bp.get("/auth/refused")
def refused():
    """Why the last login in this browser was refused, and what to do next (the refusal's status)."""
    refusal = refusals.recalled()
    if refusal is None:
        return redirect("/")
    page = refusals.page(refusal["code"], refusal.get("role"), _settings().citizen_min_level)
    return render_error_page(page, refusal["status"], refusal["code"], refusal["message"])
