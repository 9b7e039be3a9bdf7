"""The administrator's pages (role `admin`): agencies (list, add, correct) and officials (list, add,
set roles). Every change goes through the same functions as `wallet-service agencies|officials`, so it
is checked and audited once (actor: the administrator); forms carry the CSRF token like every form."""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from ..access import OFFICIAL, current_principal
from ..models import Official, db
from ..platform.errors import ApiError, Forbidden, NotFound
from ..services import services
from . import agencies, officials
from .errors import AdminError
from .officials import ADMIN_ROLE, ROLES

bp = Blueprint("admin", __name__, url_prefix="/admin")


class LoginRequired(Exception):
    """No one is logged in: the page sends them to the officials' login and back."""


@bp.before_request
def _only_administrators():
    principal = current_principal()
    if principal is None:
        raise LoginRequired()
    # The record's roles, not the session's: a role taken away takes effect at once.
    official = db.session.get(Official, principal.record_id) if principal.kind == OFFICIAL else None
    if official is None or ADMIN_ROLE not in official.roles:
        raise Forbidden(_("These pages are for administrators (officials with the admin role)."), "administrators_only")


@bp.errorhandler(LoginRequired)
def _login(_exc):
    return redirect(url_for("auth.login", role=OFFICIAL, next=request.full_path.rstrip("?")))


@bp.errorhandler(ApiError)
def _error_page(exc: ApiError):
    db.session.rollback()
    return render_template("official/error.html", error=exc), exc.status


def _actor() -> str:
    return current_principal().actor


def _form(*names: str) -> dict[str, str]:
    return {name: request.form.get(name, "").strip() for name in names}


@bp.get("/")
def index():
    return redirect(url_for("admin.agency_list"))


@bp.get("/agencies")
def agency_list(form: dict | None = None, error: AdminError | None = None):
    page = render_template("admin/agencies.html", agencies=agencies.list_agencies(db.session), form=form or {},
                           error=error.translated() if error else None, done=request.args.get("done"))
    return page, (400 if error else 200)


@bp.post("/agencies")
def agency_add():
    form = _form("code", "name", "parent", "province", "commune")
    try:
        added = agencies.add_agency(db.session, _actor(), form["code"], form["name"], parent=form["parent"] or None,
                                    province=form["province"] or None, commune=form["commune"] or None)
    except AdminError as exc:
        db.session.rollback()
        return agency_list(form, exc)
    return redirect(url_for("admin.agency_list", done=added.code), 303)


@bp.get("/agencies/<code>")
def agency_edit(code: str, form: dict | None = None, error: AdminError | None = None):
    try:
        agency = agencies.view(agencies.find(db.session, code))
    except AdminError:
        raise NotFound(_("There is no such agency.")) from None
    page = render_template("admin/agency.html", agency=agency, agencies=agencies.list_agencies(db.session),
                           form=form, error=error.translated() if error else None)
    return page, (400 if error else 200)


@bp.post("/agencies/<code>")
def agency_update(code: str):
    form = _form("name", "parent", "province", "commune")
    try:
        current = agencies.view(agencies.find(db.session, code))
        given = {"name": form["name"], "parent": form["parent"] or None, "province": form["province"] or None,
                 "commune": form["commune"] or None}
        was = {"name": current.name, "parent": current.parent_code, "province": current.province_code,
               "commune": current.commune_code}
        # Only what the administrator changed: an unchanged province may follow a changed commune.
        agencies.update_agency(db.session, _actor(), code, **{k: v for k, v in given.items() if v != was[k]})
    except AdminError as exc:
        db.session.rollback()
        return agency_edit(code, form, exc)
    return redirect(url_for("admin.agency_list", done=code), 303)


@bp.get("/officials")
def official_list(form: dict | None = None, error: AdminError | None = None):
    page = render_template("admin/officials.html", officials=_officials(), agencies=agencies.list_agencies(db.session),
                           roles=sorted(ROLES), form=form or {}, error=error.translated() if error else None,
                           done=request.args.get("done"))
    return page, (400 if error else 200)


def _officials() -> list[tuple[int, officials.OfficialView]]:
    rows = db.session.scalars(select(Official)).all()
    return sorted(((o.id, officials.view(o)) for o in rows), key=lambda r: (r[1].agency_code, r[1].username or ""))


@bp.post("/officials")
def official_add():
    form = _form("username", "name", "agency", "key_reference")
    roles = tuple(request.form.getlist("roles"))
    try:
        added = officials.add_official(db.session, _actor(), services().official_issuer, form["username"], form["name"],
                                       form["agency"], officials.parse_roles(" ".join(roles)), form["key_reference"] or None)
    except AdminError as exc:
        db.session.rollback()
        return official_list({**form, "roles": roles}, exc)
    return redirect(url_for("admin.official_list", done=added.username), 303)


@bp.post("/officials/<int:official_id>/roles")
def official_roles(official_id: int):
    try:
        official = officials.find_by_id(db.session, official_id)
        changed = officials.set_roles_of(db.session, _actor(), official,
                                         officials.parse_roles(" ".join(request.form.getlist("roles"))))
    except AdminError as exc:
        db.session.rollback()
        return official_list(None, exc)
    return redirect(url_for("admin.official_list", done=changed.username or changed.full_name), 303)
