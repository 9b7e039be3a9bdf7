"""The wallet-facing endpoints: the request object behind `request_uri` and the response URI
(`direct_post`, or `direct_post.jwt`). Errors are OAuth's `{"error", "error_description"}`, as wallets expect."""
from __future__ import annotations

import json

from flask import Blueprint, Response, jsonify, request

from ..issuer.errors import ProtocolError, protocol_error_response
from ..models import db, utcnow
from ..services import services
from .encryption import DIRECT_POST_JWT, UndecryptableResponse, decrypt_response, response_state
from .identity import VerifierIdentityUnavailable
from .requests import REQUEST_OBJECT_MEDIA_TYPE, live_by_state, request_object
from .responses import ResponseRefused, receive

bp = Blueprint("presentations", __name__)
bp.register_error_handler(ProtocolError, protocol_error_response)
# The wallet posts without a session: the state it carries is what authorises the response.
CSRF_EXEMPT = frozenset({f"{bp.name}.response"})
MAX_STATE_CHARS = 64
"""The state column's width: a longer `kid` names no request."""


def base_url() -> str:
    return services().settings.public_base_url.rstrip("/")


def _ascii(text: str | None) -> str:
    """An OAuth error description: printable ASCII without quotes or backslashes (RFC 6749 §5.2)."""
    return "".join(c for c in (text or "") if 0x20 <= ord(c) <= 0x7E and c not in '"\\')


@bp.get("/presentations/requests/<state>")
def request_object_endpoint(state: str):
    now = utcnow()
    row = live_by_state(db.session, state, now)
    if row is None:
        raise ProtocolError("invalid_request_uri",
                            "This presentation request is unknown, expired or already answered.", 404)
    try:
        identity = services().verifier_identity.load()
    except VerifierIdentityUnavailable:
        raise ProtocolError("server_error", "The verifier has no signing certificate configured.", 503) from None
    settings = services().settings
    encrypt_with = settings.secret_key if settings.presentations.response_mode == DIRECT_POST_JWT else None
    body = request_object(row, identity, base_url(), now, encrypt_with)
    if row.request_fetched_at is None:
        row.request_fetched_at = now
        db.session.commit()
    response = Response(body, mimetype=REQUEST_OBJECT_MEDIA_TYPE)
    response.headers["Cache-Control"] = "no-store"
    return response


def _response_parameters():
    """The response's parameters: the form itself, or what the JWE in its `response` field holds."""
    settings = services().settings
    form = request.form
    if settings.presentations.response_mode != DIRECT_POST_JWT or ("response" not in form and "error" in form):
        return form  # a wallet's error answer discloses nothing and may come unencrypted
    if "response" not in form:
        raise ProtocolError("invalid_request",
                            "This verifier takes encrypted responses only (direct_post.jwt): send response=<JWE>.")
    token = form["response"]
    try:
        state = response_state(token)
        if len(state) > MAX_STATE_CHARS:
            raise UndecryptableResponse("No presentation request has this state.")
        payload = decrypt_response(token, settings.secret_key, state)
    except UndecryptableResponse as exc:
        raise ProtocolError("invalid_request", str(exc)) from None
    vp_token = payload.get("vp_token")
    parameters = {name: payload[name] for name in ("state", "error", "error_description") if name in payload}
    if vp_token is not None:  # inside a JWT the vp_token is the JSON object itself
        parameters["vp_token"] = vp_token if isinstance(vp_token, str) else json.dumps(vp_token)
    return parameters


@bp.post("/presentations/response")
def response():
    if request.mimetype != "application/x-www-form-urlencoded":
        raise ProtocolError("invalid_request", "The response must be application/x-www-form-urlencoded (direct_post).")
    parameters = _response_parameters()
    try:
        outcome = receive(db.session, parameters, issuer=base_url(), key=services().issuer_key.load(), now=utcnow())
    except ResponseRefused as exc:
        db.session.rollback()
        raise ProtocolError(exc.error, exc.description) from None
    db.session.commit()
    if not outcome.accepted and "error" not in parameters:  # a wallet's own error answer is taken with a 200
        # The clerk's page shows the full report; the wallet learns why in a line.
        raise ProtocolError("invalid_presentation", _ascii(outcome.reason))
    answer = jsonify({})
    answer.headers["Cache-Control"] = "no-store"
    return answer
