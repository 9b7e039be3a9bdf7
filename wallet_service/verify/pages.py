"""Public pages: `/verify` (upload a PDF, read the report) and `/v/{id}` (the page behind the QR
code of every stamp: the registered result, and an upload to compare a PDF with it). Plain HTML
forms: no script is needed to verify a document."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template, request
from flask_babel import get_locale, gettext
from werkzeug.exceptions import RequestEntityTooLarge

from ..models import Result, db
from ..platform.errors import ApiError
from ..services import services
from .documents import DocumentVerification, verify_document
from .registry import EARLIER_REVISION, EXACT, REGISTERED, RegistryEntry

bp = Blueprint("verify_pages", __name__)

VERDICT_CLASS = {"TOTAL-PASSED": "ok", "INDETERMINATE": "warn", "TOTAL-FAILED": "fail"}


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


@bp.get("/verify")
def upload():
    return render_template("verify/upload.html")


@bp.post("/verify")
def verify():
    try:
        verification = _verify_upload()
    except ApiError as exc:
        return render_template("verify/upload.html", error=exc), _status_of(exc)
    return render_template("verify/report.html", **_report_context(verification))


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


@bp.route("/v/<result_id>", methods=["GET", "POST"])
def landing(result_id: str):
    entry = _registered(result_id)
    if entry is None:
        return render_template("verify/landing.html", entry=None), 404
    if request.method == "GET":
        return render_template("verify/landing.html", entry=entry)
    try:
        verification = _verify_upload()
    except ApiError as exc:
        return render_template("verify/landing.html", entry=entry, error=exc), _status_of(exc)
    return render_template(
        "verify/landing.html", entry=entry, comparison=_comparison(entry, verification), **_report_context(verification)
    )
