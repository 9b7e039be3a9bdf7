"""Public pages: `/verify` (upload a PDF, read the report) and `/v/{id}` (the page behind the QR
code of every stamp: the registered result, and an upload to compare a PDF with it). Plain HTML
forms: no script is needed to verify a document."""
from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, render_template, request
from flask_babel import get_locale, gettext
from werkzeug.exceptions import RequestEntityTooLarge

from ..models import Result, db
from ..platform.errors import ApiError
from ..services import services
from .access import key_opens
from .documents import DocumentVerification, verify_document
from .page_images import page_count, page_png
from .trust import TrustRootsUnavailable, load_policy
from .registry import EARLIER_REVISION, EXACT, REGISTERED, RegistryEntry

bp = Blueprint("verify_pages", __name__)

VERDICT_CLASS = {"TOTAL-PASSED": "ok", "INDETERMINATE": "warn", "TOTAL-FAILED": "fail"}
UNSIGNED = "no_signature"
"""The engine's refusal of a readable PDF without signatures: for a person, a verdict, not a form error."""


def _language() -> str:
    return str(get_locale())


def _uploaded() -> bytes:
    """The uploaded file's bytes, or an ApiError with a message for the page."""
    try:
        document = request.files.get("document")
    except RequestEntityTooLarge:
        limit = services().settings.max_document_bytes // (1024 * 1024)
        raise ApiError(gettext("The file is larger than the %(limit)s MB limit.", limit=limit), "document_too_large") from None
    if document is None or not document.filename:
        raise ApiError(gettext("Choose a PDF file to verify."), "missing_document")
    return document.read()


def _verify_upload() -> DocumentVerification:
    return verify_document(current_app, db.session, _uploaded(), _language())


def _report_context(verification: DocumentVerification) -> dict:
    data = verification.to_dict(db.session, _language())
    judged = verification.judged
    return {
        "verification": verification,
        "data": data,
        "verdict": VERDICT_CLASS[judged.indication.value],
        "verdict_class": VERDICT_CLASS,
        "found": verification.registry,
        "copied": verification.copied_from,
        "signatures": list(zip(judged.signatures, data["signatures"])),
        "timestamps": list(zip(judged.document_timestamps, data["document_timestamps"])),
    }


def _status_of(exc: ApiError) -> int:
    return 413 if exc.code == "document_too_large" else exc.status


def _unsigned_context(exc: ApiError) -> dict:
    """The report of a readable PDF that carries no signature: nothing can confirm it."""
    return {"unsigned": exc, "verdict": "warn"}


@bp.get("/verify")
def upload():
    return render_template("verify/upload.html")


@bp.post("/verify")
def verify():
    try:
        verification = _verify_upload()
    except ApiError as exc:
        if exc.code == UNSIGNED:
            return render_template("verify/report.html", **_unsigned_context(exc))
        return render_template("verify/upload.html", error=exc), _status_of(exc)
    return render_template("verify/report.html", **_report_context(verification))


def _trusted_roots() -> list:
    """The roots this service trusts (asn1crypto certificates); none when they are not configured."""
    try:
        return load_policy(current_app).certificates()
    except TrustRootsUnavailable:
        return []


@bp.get("/verify/guide")
def guide():
    """How to verify a result with a PDF reader alone, and which roots to trust there."""
    roots = [(root.subject.human_friendly, root.sha256.hex().upper()) for root in _trusted_roots()]
    return render_template("verify/guide.html", roots=roots)


@bp.get("/verify/trust-roots/<int:number>.cer")
def trust_root(number: int):
    """A trusted root (DER), to import into a PDF reader's trusted certificates."""
    roots = _trusted_roots()
    if not 1 <= number <= len(roots):
        abort(404)
    response = Response(roots[number - 1].dump(), mimetype="application/pkix-cert")
    response.headers["Content-Disposition"] = f"attachment; filename=trust-root-{number}.cer"
    response.headers["Cache-Control"] = "public, max-age=3600"  # public certificates, no personal data
    return response


def _registered(result_id: str) -> RegistryEntry | None:
    """Only results that were signed have a page: ids of pending ones leak nothing."""
    result = db.session.get(Result, result_id)
    if result is None or result.status not in REGISTERED:
        return None
    return RegistryEntry.of(result, EXACT, services().settings.public_base_url)


def _comparison(entry: RegistryEntry, verification: DocumentVerification) -> str:
    """`same`, `contains` (the issued document with later additions), `altered` (its signatures
    in other bytes) or `different`."""
    found, copied = verification.registry, verification.copied_from
    if found is not None and found.result_id == entry.result_id:
        return "contains" if found.match == EARLIER_REVISION else "same"
    if copied is not None and copied.result_id == entry.result_id:
        return "altered"
    return "different"


def _holder_context(entry: RegistryEntry) -> dict:
    """What the QR's holder sees beyond the masked summary: the issued document's pages. Only with
    the access key printed in the QR; anyone else who learns the result id sees the summary only."""
    key = request.args.get("k")
    if not key_opens(services().settings, entry.result_id, key):
        return {"access_key": None, "pages": 0}
    return {"access_key": key, "pages": page_count(_issued_pdf(entry.result_id))}


def _issued_pdf(result_id: str) -> bytes:
    return services().documents.get(db.session.get(Result, result_id).signed_sha256)


def _keyed(response):
    """The access key is in this page's address: no link followed from it may carry it away."""
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _compare(entry: RegistryEntry, holder: dict):
    try:
        verification = _verify_upload()
    except ApiError as exc:
        if exc.code == UNSIGNED:  # an unsigned file cannot be the signed document issued
            return render_template("verify/landing.html", entry=entry, comparison="different",
                                   **holder, **_unsigned_context(exc))
        return render_template("verify/landing.html", entry=entry, error=exc, **holder), _status_of(exc)
    return render_template("verify/landing.html", entry=entry, comparison=_comparison(entry, verification),
                           **holder, **_report_context(verification))


@bp.route("/v/<result_id>", methods=["GET", "POST"])
def landing(result_id: str):
    entry = _registered(result_id)
    if entry is None:
        return render_template("verify/landing.html", entry=None), 404
    holder = _holder_context(entry)
    if request.method == "GET":
        return _keyed(current_app.make_response(render_template("verify/landing.html", entry=entry, **holder)))
    return _keyed(current_app.make_response(_compare(entry, holder)))


@bp.get("/v/<result_id>/pages/<int:number>.png")
def page_image(result_id: str, number: int):
    """One page of the issued document, for the holder of the QR's access key only."""
    entry = _registered(result_id)
    if entry is None or not key_opens(services().settings, result_id, request.args.get("k")):
        abort(404)
    pdf = _issued_pdf(result_id)
    if not 1 <= number <= page_count(pdf):
        abort(404)
    return _keyed(Response(page_png(pdf, number), mimetype="image/png"))
