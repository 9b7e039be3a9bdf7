"""The wallet-facing HTTP endpoints of the OpenID4VCI issuer and its Token Status Lists. Thin:
each reads the request, calls the module that does the work, and writes the spec's answer."""
from __future__ import annotations

import gzip

from flask import Blueprint, Response, jsonify, request
from flask_babel import gettext as _

from . import copy_types, grants, metadata
from ..models import db
from ..platform.errors import Gone, NotFound
from ..services import services
from .documents import document_uri
from .dpop import DPoPRequest, new_nonce, verify_proof
from .errors import CredentialRequestError, NotificationError, ProtocolError, TokenError, protocol_error_response
from .issuance import ProofContext, issue_credential, record_notification
from .keys import IssuerKey
from .models import StatusList
from .request_auth import attested_client, policy, token_dpop_key
from .status_list import MEDIA_TYPE, TOKEN_TTL, status_list_token

bp = Blueprint("credential_issuer", __name__)
bp.register_error_handler(ProtocolError, protocol_error_response)

# Machine endpoints: wallets call them without a session (see wallet_service/security.py).
CSRF_EXEMPT = frozenset({f"{bp.name}.{name}" for name in ("token", "nonce", "credential", "notification")})
# Where a wallet may need a fresh DPoP nonce (RFC 9449 §8.2: any response may carry the next one).
_DPOP_ENDPOINTS = frozenset({f"{bp.name}.{name}" for name in ("token", "nonce", "credential")})


def _issuer() -> str:
    """The Credential Issuer Identifier: the service's public address."""
    return services().settings.public_base_url.rstrip("/")


def _key() -> IssuerKey:
    return services().issuer_key.load()


def _secret() -> str:
    return services().settings.secret_key


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.after_request
def _allow_cross_origin(response: Response) -> Response:
    # Browser-based wallets and verifiers read metadata and status lists; none of it rides on cookies.
    response.headers["Access-Control-Allow-Origin"] = "*"
    if request.endpoint in _DPOP_ENDPOINTS:
        response.headers.setdefault("DPoP-Nonce", new_nonce(_secret()))
        response.headers["Access-Control-Expose-Headers"] = "DPoP-Nonce, WWW-Authenticate"
    return response


@bp.get("/.well-known/openid-credential-issuer")
def credential_issuer_metadata():
    body = metadata.credential_issuer_metadata(_issuer(), _key(), policy())
    configurations = body["credential_configurations_supported"]
    configurations.update(copy_types.copy_configurations(_issuer(), configurations[metadata.CONFIGURATION_ID]))
    return jsonify(body)


@bp.get("/.well-known/oauth-authorization-server")
def authorization_server_metadata():
    body = metadata.authorization_server_metadata(_issuer(), policy())
    body["scopes_supported"] = list(copy_types.configuration_ids())
    return jsonify(body)


@bp.get("/.well-known/jwt-vc-issuer")
def jwt_vc_issuer_metadata():
    return jsonify(metadata.jwt_vc_issuer_metadata(_issuer(), _key()))


@bp.get(metadata.VCT_PATH)
def credential_type_metadata():
    return jsonify(metadata.type_metadata(_issuer()))


@bp.get("/vct/certified-copy/<slug>/v1")
def copy_type_metadata(slug: str):
    """Type Metadata of one document type's certified copies."""
    document_type = copy_types.copy_vcts(_issuer()).get(f"{_issuer()}/vct/certified-copy/{slug}/v1")
    if document_type is None:
        raise NotFound("No such credential type.", "unknown_vct")
    return jsonify(copy_types.copy_type_metadata(_issuer(), document_type, metadata.type_metadata(_issuer())))


@bp.get("/credential-offers/<code>")
def credential_offer(code: str):
    """The offer behind `credential_offer_uri`. Its path is the pre-authorised code itself: whoever
    holds this URI holds the code anyway, and the database keeps only the code's hash."""
    offer = grants.live_offer(db.session, code)
    if offer is None:
        raise NotFound("This credential offer is unknown, expired or already used.", "offer_not_found")
    if offer.result.status not in grants.OFFERABLE:
        raise Gone(_("The result of this credential offer was annulled; it can no longer be added to a wallet."), "offer_gone")
    return _no_store(jsonify(grants.offer_object(_issuer(), code, copy_types.configuration_id(offer.result))))


@bp.post("/token")
def token():
    if request.mimetype != "application/x-www-form-urlencoded":
        raise TokenError("invalid_request", "The token request must be application/x-www-form-urlencoded.")
    form = request.form
    grant_type = form.get("grant_type")
    if grant_type not in (metadata.PRE_AUTHORIZED_GRANT, metadata.AUTHORIZATION_CODE_GRANT):
        raise TokenError("unsupported_grant_type", "Only the pre-authorized_code and authorization_code grants are supported.")
    client_id = attested_client()
    jkt = token_dpop_key()
    db.session.commit()  # the attestation PoP and the DPoP proof are spent, whatever the grant's outcome
    if grant_type == metadata.AUTHORIZATION_CODE_GRANT:
        from .authorization import redeem_authorization_code

        issued = redeem_authorization_code(db.session, form, client_id, jkt)
    else:
        if "authorization_details" in form:
            raise TokenError("invalid_authorization_details", "authorization_details is not supported; the offer names the credential.")
        issued = grants.redeem_pre_authorized_code(db.session, form.get("pre-authorized_code"), form.get("tx_code"), jkt)
    return _no_store(jsonify(access_token=issued.access_token, token_type=issued.token_type, expires_in=issued.expires_in))


@bp.post("/nonce")
def nonce():
    # OpenID4VCI 1.0 §7.2: the answer is the c_nonce alone (no c_nonce_expires_in any more).
    value, _lifetime = grants.new_nonce(db.session)
    return _no_store(jsonify(c_nonce=value))


def _access_token():
    def dpop_key_of(access_token: str) -> str:
        expected = DPoPRequest(request.method, _issuer() + request.path, _secret(), access_token)
        return verify_proof(db.session, request.headers.get("DPoP"), expected)

    access = grants.authenticate_access_token(db.session, request.headers.get("Authorization"), dpop_key_of)
    # The DPoP proof is spent now, whatever the request's body makes of it: a captured proof cannot
    # carry another body later.
    db.session.commit()
    return access


@bp.post("/credential")
def credential():
    access = _access_token()
    if request.mimetype != "application/json":
        raise CredentialRequestError("invalid_credential_request", "The credential request must be application/json.")
    body = request.get_json(silent=True)
    if body is None:
        raise CredentialRequestError("invalid_credential_request", "The request body is not valid JSON.")
    context = ProofContext(_issuer(), services().wallet_providers, policy().key_attestation_required,
                           lambda notification_id: document_uri(_issuer(), _secret(), notification_id))
    issued = issue_credential(db.session, access, body, _key(), context)
    services().metrics.credential_issuances.inc(len(issued["credentials"]))
    return _no_store(jsonify(issued))


@bp.post("/notification")
def notification():
    access = _access_token()
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
    body = status_list_token(db.session, found, _issuer(), _key()).encode("ascii")
    response = Response(body, mimetype=MEDIA_TYPE)
    if request.accept_encodings["gzip"]:  # TSL §8.1: relying parties may ask for a compressed answer
        response.set_data(gzip.compress(body, compresslevel=6))
        response.headers["Content-Encoding"] = "gzip"
    response.headers["Vary"] = "Accept-Encoding"
    response.headers["Cache-Control"] = f"max-age={TOKEN_TTL}"
    return response
