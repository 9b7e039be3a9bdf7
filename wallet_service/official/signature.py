"""The official's own signature image (Decree 30/2020, Appendix I): shown, and replaced by an upload
of a PNG with a transparent background; every result they sign from then on draws it at its signing
block. Only the logged-in official's own image is read or written here."""
from __future__ import annotations

from flask import Response, redirect, render_template, request, url_for
from flask_babel import gettext as _

from signing.appearance import SIGNATURE_IMAGE_MAX_BYTES, InvalidImage

from ..access import current_principal
from ..admin.images import MESSAGES, keep_signature_image
from ..models import db
from ..platform.errors import NotFound
from ..services import services
from .views import _official, bp


@bp.get("/signature")
def signature():
    official = _official(current_principal())
    return render_template("official/signature.html", official=official, saved="saved" in request.args, error=None)


@bp.get("/signature.png")
def signature_image():
    official = _official(current_principal())
    if official.signature_image_sha256 is None:
        raise NotFound(_("You have not uploaded a signature image yet."), "no_signature_image")
    response = Response(services().documents.get(official.signature_image_sha256), mimetype="image/png")
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@bp.post("/signature")
def upload_signature():
    principal = current_principal()
    official = _official(principal)
    upload = request.files.get("image")
    data = upload.read(SIGNATURE_IMAGE_MAX_BYTES + 1) if upload is not None and upload.filename else b""
    try:
        if not data:
            raise InvalidImage("no file", code="image_missing")
        keep_signature_image(db.session, services().documents, principal.actor, official, data)
    except InvalidImage as exc:
        db.session.rollback()
        message = MESSAGES.get(exc.code, _("Choose a PNG file with your signature on a transparent background."))
        page = render_template("official/signature.html", official=official, saved=False, error=message)
        return page, 422 if data else 400
    return redirect(url_for("official.signature", saved=1), 303)
