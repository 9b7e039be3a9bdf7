"""`GET /.well-known/jwks.json`: the public keys stores use to check delivery messages."""
from __future__ import annotations

from flask import Blueprint, jsonify

from ..issuer.keys import IssuerKeyMissing
from ..services import services

bp = Blueprint("delivery", __name__)


@bp.get("/.well-known/jwks.json")
def jwks():
    try:
        keys = [services().delivery.key_source.load().public_jwk()]
    except IssuerKeyMissing:  # production without delivery targets has no delivery key
        keys = []
    response = jsonify({"keys": keys})
    response.headers["Cache-Control"] = "public, max-age=300"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
