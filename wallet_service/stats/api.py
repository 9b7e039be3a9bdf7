"""`GET /api/v1/stats`: the dashboard's figures as JSON, for officials with the leader or province
role (their session; case systems' bearer assertions are refused: the figures are not theirs)."""
from __future__ import annotations

from flask import request
from flask_smorest import Blueprint

from ..access import OFFICIAL, require_principal
from ..models import db, utcnow
from .figures import gather, to_json
from .scope import VIETNAM, parse_filter, visible_agencies

blp = Blueprint("stats", __name__, url_prefix="/api/v1", description="Service indices for leaders")


@blp.route("/stats", methods=["GET"])
@blp.doc(parameters=[
    {"in": "query", "name": name, "schema": {"type": "string", **extra}, "required": False, "description": text}
    for name, extra, text in (
        ("agency", {}, "An agency code among those the caller may see (default: all of them)"),
        ("procedure", {}, "A procedure code"),
        ("from", {"format": "date"}, "First day, Vietnam time (default: 29 days before `to`)"),
        ("to", {"format": "date"}, "Last day, inclusive (default: today)"),
    )
])
@blp.response(200, description="`filters`, `daily` (received, signed, delivered per day), `on_time` (by agency and "
              "procedure: on_time, late, open, rate), `pending` (by official and procedure, with the oldest), "
              "`delivery_time` (median seconds from intake to delivery), `satisfaction` (count, average, "
              "distribution, recent_comments), `copies_certified` (certified copies signed: total, and per day)")
@blp.alt_response(400, description="A filter cannot be used (`details` per field)")
@blp.alt_response(401, description="Not logged in")
@blp.alt_response(403, description="Not an official with the leader or province role, or an agency outside their view")
def get_stats():
    """The service indices of the agencies the official may see."""
    principal = require_principal(OFFICIAL)
    agencies, province_view = visible_agencies(db.session, principal)
    now = utcnow()
    f = parse_filter(request.args, agencies, province_view, now.astimezone(VIETNAM).date(), strict=True)
    return to_json(gather(db.session, f, now))
