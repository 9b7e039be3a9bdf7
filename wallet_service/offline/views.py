"""`GET /.well-known/result-trust-list` (the signed trust list) and the offline verifier page
`/verify/offline` with its service worker (which must be served from `/verify/` to control the page)."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template, send_from_directory

from offline_qr.trust import MEDIA_TYPE

from ..models import db
from ..services import services
from .messages import page_texts
from .trust_list import signed_trust_list

bp = Blueprint("offline", __name__)

TRUST_LIST_PATH = "/.well-known/result-trust-list"
TRUST_LIST_MAX_AGE = 300
"""Seconds a verifier may reuse the trust list without asking again (annulments show within this)."""


@bp.get(TRUST_LIST_PATH)
def trust_list():
    response = current_app.response_class(signed_trust_list(current_app, db.session), mimetype=MEDIA_TYPE)
    response.headers["Cache-Control"] = f"public, max-age={TRUST_LIST_MAX_AGE}"
    response.headers["Access-Control-Allow-Origin"] = "*"  # public data, for verifiers hosted elsewhere
    return response


@bp.get("/verify/offline")
def page():
    key = services().issuer_key.load()
    return render_template("verify/offline.html", service_key=key.public_jwk(), texts=page_texts(),
                           trust_list_url=TRUST_LIST_PATH)


@bp.get("/verify/offline-sw.js")
def service_worker():
    response = send_from_directory(current_app.static_folder, "offline/sw.js", mimetype="text/javascript", max_age=0)
    response.headers["Cache-Control"] = "no-cache"  # a new worker is picked up at the next visit
    return response
