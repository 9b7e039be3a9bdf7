"""`GET /.well-known/jwks.json`: the public keys stores use to check delivery messages."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from ..issuer.keys import IssuerKeyMissing

bp = Blueprint("delivery", __name__)


@bp.get("/.well-known/jwks.json")
def jwks():
    try:
        keys = [current_app.extensions["wallet.delivery"].key_source.load().public_jwk()]
    except IssuerKeyMissing:  # production without delivery targets has no delivery key
        keys = []
    response = jsonify({"keys": keys})
    response.headers["Cache-Control"] = "public, max-age=300"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
