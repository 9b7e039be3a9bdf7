"""The wallet-facing HTTP endpoints of the OpenID4VCI issuer and its Token Status Lists. Thin:
each reads the request, calls the module that does the work, and writes the spec's answer."""
from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from . import grants, metadata
from ..models import db
from ..platform.errors import NotFound
from ..services import services
from .errors import CredentialRequestError, NotificationError, ProtocolError, TokenError, protocol_error_response
from .issuance import issue_credential, record_notification
from .keys import IssuerKey
from .models import StatusList
from .status_list import MEDIA_TYPE, TOKEN_TTL, status_list_token

bp = Blueprint("credential_issuer", __name__)
bp.register_error_handler(ProtocolError, protocol_error_response)

# Machine endpoints: wallets call them without a session (see wallet_service/security.py).
CSRF_EXEMPT = frozenset({f"{bp.name}.{name}" for name in ("token", "nonce", "credential", "notification")})


def _issuer() -> str:
    """The Credential Issuer Identifier: the service's public address."""
    return services().settings.public_base_url.rstrip("/")


def _key() -> IssuerKey:
    return services().issuer_key.load()


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.after_request
def _allow_cross_origin(response: Response) -> Response:
    # Browser-based wallets and verifiers read metadata and status lists; none of it rides on cookies.
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.get("/.well-known/openid-credential-issuer")
def credential_issuer_metadata():
    return jsonify(metadata.credential_issuer_metadata(_issuer(), _key()))


@bp.get("/.well-known/oauth-authorization-server")
def authorization_server_metadata():
    return jsonify(metadata.authorization_server_metadata(_issuer()))


@bp.get("/.well-known/jwt-vc-issuer")
def jwt_vc_issuer_metadata():
    return jsonify(metadata.jwt_vc_issuer_metadata(_issuer(), _key()))


@bp.get(metadata.VCT_PATH)
def credential_type_metadata():
    return jsonify(metadata.type_metadata(_issuer()))


@bp.get("/credential-offers/<code>")
def credential_offer(code: str):
    """The offer behind `credential_offer_uri`. Its path is the pre-authorised code itself: whoever
    holds this URI holds the code anyway, and the database keeps only the code's hash."""
    if grants.live_offer(db.session, code) is None:
        raise NotFound("This credential offer is unknown, expired or already used.", "offer_not_found")
    return _no_store(jsonify(grants.offer_object(_issuer(), code)))


@bp.post("/token")
def token():
    if request.mimetype != "application/x-www-form-urlencoded":
        raise TokenError("invalid_request", "The token request must be application/x-www-form-urlencoded.")
    form = request.form
    if form.get("grant_type") != metadata.PRE_AUTHORIZED_GRANT:
        raise TokenError("unsupported_grant_type", f"Only {metadata.PRE_AUTHORIZED_GRANT} is supported.")
    if "authorization_details" in form:
        raise TokenError("invalid_authorization_details", "authorization_details is not supported; the offer names the credential.")
    issued = grants.redeem_pre_authorized_code(db.session, form.get("pre-authorized_code"), form.get("tx_code"))
    return _no_store(jsonify(access_token=issued.access_token, token_type="Bearer", expires_in=issued.expires_in))


@bp.post("/nonce")
def nonce():
    value, lifetime = grants.new_nonce(db.session)
    return _no_store(jsonify(c_nonce=value, c_nonce_expires_in=lifetime))


@bp.post("/credential")
def credential():
    access = grants.authenticate_access_token(db.session, request.headers.get("Authorization"))
    if request.mimetype != "application/json":
        raise CredentialRequestError("invalid_credential_request", "The credential request must be application/json.")
    body = request.get_json(silent=True)
    if body is None:
        raise CredentialRequestError("invalid_credential_request", "The request body is not valid JSON.")
    issued = issue_credential(db.session, access, body, _issuer(), _key())
    services().metrics.credential_issuances.inc()
    return _no_store(jsonify(issued))


@bp.post("/notification")
def notification():
    access = grants.authenticate_access_token(db.session, request.headers.get("Authorization"))
    body = request.get_json(silent=True) if request.mimetype == "application/json" else None
    if body is None:
        raise NotificationError("invalid_notification_request", "The notification must be a JSON object (application/json).")
    record_notification(db.session, access, body)
    return Response(status=204)


@bp.get("/status-lists/<int(max=2147483647):list_id>")  # the id column's range: a larger number is a 404
def status_list(list_id: int):
    if "time" in request.args:
        return Response("Historical status resolution is not supported.", status=501, mimetype="text/plain")
    found = db.session.get(StatusList, list_id)
    if found is None:
        raise NotFound("No such status list.", "status_list_not_found")
    response = Response(status_list_token(db.session, found, _issuer(), _key()), mimetype=MEDIA_TYPE)
    response.headers["Cache-Control"] = f"max-age={TOKEN_TTL}"
    return response
