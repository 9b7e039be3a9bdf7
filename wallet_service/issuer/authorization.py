"""The authorization code grant of the issuer (OpenID4VCI 1.0 §5, HAIP): pushed authorization
requests (RFC 9126) with PKCE S256 (RFC 7636), the citizen logging in through the service's own
OpenID Connect login, then confirming the result the offer's `issuer_state` named (or choosing one),
and the code's redemption at the token endpoint.

Authlib's authorization server wants a client registry and grant classes shaped around registered
clients; wallets are public clients identified per request (by their attestation in `haip` mode),
so the few checks are made here, with Authlib's PKCE S256 transform."""
from __future__ import annotations

import datetime as dt
import json
import re
import secrets
from urllib.parse import urlencode, urlsplit

from authlib.oauth2.rfc7636 import create_s256_code_challenge
from flask import Blueprint, redirect, render_template, request
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from ..access import CITIZEN, current_principal
from ..models import Result, db, utcnow
from ..platform.errors import BadRequest, Forbidden, NotFound
from ..results import audit
from ..services import services
from .copy_types import configuration_ids
from .errors import ProtocolError, TokenError, protocol_error_response
from .grants import OFFERABLE, IssuedToken, create_offer, issue_access_token, sha256_hex
from .metadata import CONFIGURATION_ID
from .models import AuthorizationRequest, CredentialOffer
from .request_auth import attested_client, pushed_dpop_key

bp = Blueprint("credential_authorization", __name__)
bp.register_error_handler(ProtocolError, protocol_error_response)
CSRF_EXEMPT = frozenset({f"{bp.name}.par"})
REQUEST_URI_PREFIX = "urn:ietf:params:oauth:request_uri:"
REQUEST_LIFETIME = dt.timedelta(minutes=5)
"""How long a pushed request waits for the citizen's login (`expires_in`)."""
CODE_LIFETIME = dt.timedelta(minutes=1)
_VERIFIER = re.compile(r"[A-Za-z0-9\-._~]{43,128}")


def _issuer() -> str:
    return services().settings.public_base_url.rstrip("/")


def _wants_our_credential(form: MultiDict) -> bool:
    # Any of the configurations: the citizen then chooses the result, whose type the credential request names.
    ours = configuration_ids()
    if set(ours) & set(form.get("scope", "").split()):
        return True
    try:
        details = json.loads(form.get("authorization_details", "null"))
    except ValueError:
        raise TokenError("invalid_authorization_details", "authorization_details is not valid JSON.") from None
    if not isinstance(details, list) or not details:
        return False
    for detail in details:
        if not isinstance(detail, dict) or detail.get("type") != "openid_credential" \
                or detail.get("credential_configuration_id") not in ours:
            raise TokenError("invalid_authorization_details",
                             f"Only openid_credential for {', '.join(ours)} can be authorized.")
    return True


def _offer_of(session: Session, issuer_state: str) -> CredentialOffer:
    offer = session.scalar(select(CredentialOffer).where(CredentialOffer.issuer_state_sha256 == sha256_hex(issuer_state)))
    if offer is None or offer.redeemed_at is not None or offer.expires_at <= utcnow() or offer.result.status not in OFFERABLE:
        raise TokenError("invalid_request", "issuer_state names no live credential offer.")
    return offer


def _check_par_request(form: MultiDict) -> None:
    if form.get("response_type") != "code":
        raise TokenError("unsupported_response_type", "response_type must be code.")
    if not form.get("client_id") or len(form["client_id"]) > 255:
        raise TokenError("invalid_request", "client_id is required (at most 255 characters).")
    if len(form.get("state", "")) > 512:
        raise TokenError("invalid_request", "state may have at most 512 characters.")
    redirect_uri = form.get("redirect_uri", "")
    parts = urlsplit(redirect_uri)
    if not parts.scheme or parts.fragment or len(redirect_uri) > 2000 or parts.scheme in ("javascript", "data"):
        raise TokenError("invalid_request", "redirect_uri must be an absolute URI without a fragment.")
    if form.get("code_challenge_method") != "S256" or not _VERIFIER.fullmatch(form.get("code_challenge", "")):
        raise TokenError("invalid_request", "PKCE is required: code_challenge with code_challenge_method S256.")
    if "request_uri" in form:
        raise TokenError("invalid_request", "A pushed authorization request cannot carry request_uri.")


@bp.post("/par")
def par():
    """RFC 9126 §2: the wallet pushes the whole authorization request and gets a `request_uri`."""
    if request.mimetype != "application/x-www-form-urlencoded":
        raise TokenError("invalid_request", "The pushed authorization request must be application/x-www-form-urlencoded.")
    form = request.form
    attested = attested_client()
    if attested is not None and form.get("client_id") != attested:
        raise TokenError("invalid_client", "client_id is not the client the wallet attestation names.", 401)
    _check_par_request(form)
    offer = _offer_of(db.session, form["issuer_state"]) if form.get("issuer_state") else None
    if offer is None and not _wants_our_credential(form):
        raise TokenError("invalid_request", f"Name the credential: issuer_state, scope {CONFIGURATION_ID} or authorization_details.")
    request_uri = REQUEST_URI_PREFIX + secrets.token_urlsafe(32)
    db.session.add(AuthorizationRequest(
        request_uri_sha256=sha256_hex(request_uri), client_id=form["client_id"], redirect_uri=form["redirect_uri"],
        code_challenge=form["code_challenge"], state=form.get("state"), offer_id=offer.id if offer else None,
        dpop_jkt=pushed_dpop_key(form.get("dpop_jkt")), expires_at=utcnow() + REQUEST_LIFETIME,
    ))
    db.session.commit()
    response = {"request_uri": request_uri, "expires_in": int(REQUEST_LIFETIME.total_seconds())}
    return response, 201, {"Cache-Control": "no-store"}


def _pending(session: Session, request_uri: str, client_id: str | None) -> AuthorizationRequest:
    pending = session.scalar(select(AuthorizationRequest).where(AuthorizationRequest.request_uri_sha256 == sha256_hex(request_uri)))
    if pending is None or pending.code_sha256 is not None or pending.expires_at <= utcnow():
        raise NotFound(_("This authorization request is unknown, expired or already used; start again from the wallet."),
                       "authorization_request_unknown")
    if client_id != pending.client_id:
        raise BadRequest(_("client_id is not the one of the pushed authorization request."), "invalid_client")
    return pending


@bp.route("/authorize", methods=["GET", "POST"])
def authorize():
    """The citizen's step: log in (the service's OIDC login), confirm the result (or choose it when
    the wallet named none), then go back to the wallet with the code. The code is given only for
    the CSRF-checked POST, so a link alone cannot hand a citizen's result to someone's wallet."""
    args = request.values
    pending = _pending(db.session, args.get("request_uri", ""), args.get("client_id"))
    principal = current_principal()
    if principal is None or principal.kind != CITIZEN:
        here = "/authorize?" + urlencode({"client_id": pending.client_id, "request_uri": args["request_uri"]})
        return redirect("/auth/login?" + urlencode({"role": CITIZEN, "next": here}))
    offer = pending.offer
    if offer is not None and offer.citizen_id != principal.record_id:
        raise Forbidden(_("This credential offer belongs to another citizen."), "offer_of_another_citizen")
    if request.method == "GET":
        results = [offer.result] if offer is not None else db.session.scalars(
            select(Result).where(Result.citizen_id == principal.record_id, Result.status.in_(OFFERABLE))
            .order_by(Result.signed_at.desc())).all()
        return render_template("wallet/authorize.html", results=results, request_uri=args["request_uri"],
                               client_id=pending.client_id)
    if offer is None:
        result = db.session.get(Result, request.form.get("result_id", ""))
        if result is None or result.citizen_id != principal.record_id or result.status not in OFFERABLE:
            raise NotFound(_("No such signed result among yours."), "result_not_found")
        offer = db.session.get(CredentialOffer, create_offer(db.session, result).offer_id)
    return _grant_code(pending, offer, principal.actor)


def _grant_code(pending: AuthorizationRequest, offer: CredentialOffer, actor: str):
    claimed = db.session.execute(
        update(CredentialOffer).where(CredentialOffer.id == offer.id, CredentialOffer.redeemed_at.is_(None))
        .values(redeemed_at=utcnow())
    ).rowcount
    if claimed != 1:
        db.session.rollback()
        raise NotFound(_("This credential offer was already used."), "offer_not_found")
    code = secrets.token_urlsafe(32)
    pending.offer_id, pending.code_sha256, pending.expires_at = offer.id, sha256_hex(code), utcnow() + CODE_LIFETIME
    audit.record(db.session, actor, "credential.authorized", offer.result_id, offer=offer.id, client_id=pending.client_id)
    db.session.commit()
    query = {"code": code, "iss": _issuer(), **({"state": pending.state} if pending.state else {})}
    separator = "&" if urlsplit(pending.redirect_uri).query else "?"
    return redirect(pending.redirect_uri + separator + urlencode(query), 303)


def redeem_authorization_code(session: Session, form: MultiDict, attested_client: str | None, jkt: str | None) -> IssuedToken:
    """§6.1 with RFC 7636 §4.6: the code, once, for the client and redirect_uri it was made for,
    with the PKCE verifier of its challenge and the DPoP key of its request."""
    code = form.get("code")
    if not code:
        raise TokenError("invalid_request", "The code parameter is missing.")
    pending = session.scalar(select(AuthorizationRequest).where(AuthorizationRequest.code_sha256 == sha256_hex(code)))
    if pending is None or pending.used_at is not None or pending.expires_at <= utcnow():
        raise TokenError("invalid_grant", "The authorization code is unknown, expired or already used.")
    # Spent whatever follows: a code is tried once (RFC 6749 §4.1.2), so a verifier cannot be guessed.
    spent = session.execute(update(AuthorizationRequest).where(
        AuthorizationRequest.id == pending.id, AuthorizationRequest.used_at.is_(None)).values(used_at=utcnow())).rowcount
    session.commit()
    if spent != 1:
        raise TokenError("invalid_grant", "The authorization code was already used.")
    if not (attested_client or form.get("client_id")):
        raise TokenError("invalid_request", "client_id is required with an authorization code (RFC 6749 4.1.3).")
    if (attested_client or form.get("client_id")) != pending.client_id:
        raise TokenError("invalid_grant", "The code was issued to another client.")
    if form.get("redirect_uri") != pending.redirect_uri:
        raise TokenError("invalid_grant", "redirect_uri is not the one of the authorization request.")
    verifier = form.get("code_verifier", "")
    if not _VERIFIER.fullmatch(verifier) or create_s256_code_challenge(verifier) != pending.code_challenge:
        raise TokenError("invalid_grant", "The code_verifier does not match the code_challenge (PKCE).")
    if pending.dpop_jkt is not None and jkt != pending.dpop_jkt:
        raise TokenError("invalid_dpop_proof", "The DPoP key is not the one of the authorization request.")
    if pending.offer.result.status not in OFFERABLE:
        raise TokenError("invalid_grant", "The result of this authorization can no longer be issued.")
    return issue_access_token(session, pending.offer_id, jkt)
