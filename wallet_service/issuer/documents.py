"""The signed PDF behind a credential's `document.uri`, for whoever holds the credential (a bank
clerk checking a presented credential has no account here).

The URI carries a capability bound to that one credential (its notification id, signed with the
app's secret by itsdangerous), readable while the credential is valid (not revoked, its result
not annulled). Following it gives a download link that lives `LINK_LIFETIME` seconds, so what is
copied from a browser's history or a proxy log soon stops working."""
from __future__ import annotations

from flask import Blueprint, Response, redirect, request
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeSerializer, URLSafeTimedSerializer
from sqlalchemy import select

from ..models import Result, db
from ..platform.errors import Gone, NotFound
from ..services import services
from .grants import OFFERABLE
from .models import IssuedCredential

bp = Blueprint("credential_documents", __name__)
_SALT = "credential-document"
LINK_LIFETIME = 300


def document_uri(issuer: str, secret: str, notification_id: str) -> str:
    return f"{issuer}/credential-documents/{URLSafeSerializer(secret, salt=_SALT).dumps(notification_id)}"


def _valid_result(notification_id: str) -> Result:
    """The result of the credential with this notification id, while that credential is valid."""
    issued = db.session.scalar(select(IssuedCredential).where(IssuedCredential.notification_id == notification_id))
    if issued is None:
        raise NotFound(_("No credential holds this document link."), "document_link_unknown")
    result = db.session.get(Result, issued.result_id)
    if issued.revoked_at is not None or result.status not in OFFERABLE:
        raise Gone(_("The credential of this document link was revoked or its result annulled."), "document_link_revoked")
    return result


@bp.get("/credential-documents/<capability>")
def credential_document_link(capability: str):
    secret = services().settings.secret_key
    try:
        notification_id = URLSafeSerializer(secret, salt=_SALT).loads(capability)
    except BadSignature:
        raise NotFound(_("No credential holds this document link."), "document_link_unknown") from None
    _valid_result(notification_id)
    link = URLSafeTimedSerializer(secret, salt=_SALT + "-download").dumps(notification_id)
    response = redirect(f"/credential-documents/{capability}/pdf?link={link}", 303)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/credential-documents/<capability>/pdf")
def credential_document(capability: str):
    secret = services().settings.secret_key
    try:
        notification_id = URLSafeTimedSerializer(secret, salt=_SALT + "-download").loads(
            request.args.get("link", ""), max_age=LINK_LIFETIME)
        if notification_id != URLSafeSerializer(secret, salt=_SALT).loads(capability):
            raise BadSignature("another credential's link")
    except SignatureExpired:
        raise Gone(_("This download link has expired; open the credential's document link again."), "document_link_expired") from None
    except BadSignature:
        raise NotFound(_("No credential holds this document link."), "document_link_unknown") from None
    result = _valid_result(notification_id)
    response = Response(services().documents.get(result.signed_sha256), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{result.dossier_code}.pdf"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
