"""The officials' pages: queue, sign confirmation, batch progress, history, a result's timeline and
its first-page preview. Signing and annulling go through the public API from page scripts
(`static/official.js`); these views only read, and check on every object that it is the
official's agency's (404 otherwise, so ids of other agencies' results reveal nothing)."""
from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from signing.keys import HolderApproval
from signing.profiles import PadesLevel

from . import queries
from ..access import OFFICIAL, Principal, can_read_result, current_principal
from ..batches.creation import MAX_BATCH, SIGNABLE, SIGNER_ROLE
from ..batches.plan import key_reference, official_key
from ..copies.kinds import CERTIFIER_ROLE, KIND as COPY
from ..keys.errors import KeyUnavailable
from ..models import (
    RESULT_TRANSITIONS, BatchItemStatus, Official, Result, ResultStatus, SigningBatch, SigningBatchItem, db,
)
from ..platform.errors import ApiError, BadRequest, Forbidden, NotFound
from ..platform.security import allow_connect
from ..results.annulment import ANNUL_ROLE, MAX_REASON, MIN_REASON
from ..services import services
from .filters import parse_filters
from .preview import first_page_png
from .timeline import result_timeline

bp = Blueprint("official", __name__, url_prefix="/official")

# `wallet-service agent` listens on the official's own loopback; its default port is the page's default.
DEFAULT_AGENT_URL = "http://127.0.0.1:8765"
AGENT_ORIGINS = ("http://127.0.0.1:*", "http://localhost:*")

# Pages offer annulment for issued results only; one not issued yet is returned to its case system.
ANNULLABLE = frozenset({ResultStatus.SIGNED, ResultStatus.DELIVERED})
RETURNABLE = frozenset(s for s, after in RESULT_TRANSITIONS.items() if ResultStatus.RETURNED in after)


class LoginRequired(Exception):
    """No one is logged in: the page sends them to the officials' login and back."""


@bp.before_request
def _only_officials():
    principal = current_principal()
    if principal is None:
        raise LoginRequired()
    if principal.kind != OFFICIAL:
        raise Forbidden(_("These pages are for officials. Log out and log in as an official."), "officials_only")


@bp.errorhandler(LoginRequired)
def _login(_exc):
    return redirect(url_for("auth.login", role=OFFICIAL, next=request.full_path.rstrip("?")))


@bp.errorhandler(ApiError)
def _error_page(exc: ApiError):
    db.session.rollback()
    return render_template("official/error.html", error=exc), exc.status


def _official(principal: Principal) -> Official:
    official = db.session.get(Official, principal.record_id)
    if official is None:  # removed since login
        raise Forbidden(_("Your official account no longer exists."), "unknown_official")
    return official


def _agency_result(principal: Principal, result_id: str) -> Result:
    result = db.session.get(Result, result_id)
    if result is None or not can_read_result(principal, result):
        raise NotFound(_("There is no such result in your agency."))
    return result


def may_sign(principal: Principal, result: Result) -> bool:
    """Signers sign results; certifiers sign certified copies once the fields are confirmed."""
    if result.kind != COPY:
        return SIGNER_ROLE in principal.roles
    return CERTIFIER_ROLE in principal.roles and result.certified_copy_record.confirmed is not None


def _list_page(template: str, fetch):
    principal = current_principal()
    official = _official(principal)
    parsed = parse_filters(request.args)
    pager = None if parsed.errors else fetch(official.agency_id, parsed.filters)
    failures = queries.failure_reasons(db.session, [r.id for r in pager.items]) if pager else {}
    page = render_template(
        template,
        official=official,
        filters=parsed.filters,
        errors=parsed.errors,
        pager=pager,
        failures=failures,
        procedures=queries.procedures(db.session, official.agency_id),
        can_sign=bool({SIGNER_ROLE, CERTIFIER_ROLE} & principal.roles),
        can_annul=ANNUL_ROLE in principal.roles,
        annullable=ANNULLABLE,
        max_batch=MAX_BATCH,
    )
    return page, (400 if parsed.errors else 200)


@bp.get("/")
def queue():
    return _list_page("official/queue.html", queries.queue)


@bp.get("/history")
def history():
    return _list_page("official/history.html", queries.history)


@bp.get("/sign")
def confirm_signing():
    """The confirmation page for the selected results (`?result_id=...` repeated): how many, which,
    and with which key. The page script posts them to `POST /api/v1/signing-batches`."""
    principal = current_principal()
    official = _official(principal)
    if not {SIGNER_ROLE, CERTIFIER_ROLE} & principal.roles:
        raise Forbidden(_("Only officials with the signer role may sign results."), "not_a_signer")
    every_match = request.args.get("all") == "1"
    ids = _matching_ids(official) if every_match else list(dict.fromkeys(request.args.getlist("result_id")))
    if not ids:
        raise BadRequest(_("Select at least one result to sign."), "empty_batch")
    if every_match and len(ids) > MAX_BATCH:
        raise BadRequest(_("More than %(count)s results match: narrow the filters to sign them in batches of at "
                           "most %(count)s.", count=MAX_BATCH), "batch_too_large")
    if len(ids) > MAX_BATCH:
        raise BadRequest(_("A batch holds at most %(count)s results.", count=MAX_BATCH), "batch_too_large")
    found = {r.id: r for r in db.session.scalars(select(Result).where(Result.id.in_(ids)))}
    results = [found[i] for i in ids if i in found and can_read_result(principal, found[i])]
    if len(results) != len(ids):
        raise NotFound(_("Some of the selected results are not in your agency."))
    waiting = [r for r in results if r.status in SIGNABLE]
    return render_template(
        "official/confirm.html",
        official=official,
        approval=_approval_ahead(official),
        # The page promises a timestamp only when the configured level adds one (not at B-B).
        timestamped=PadesLevel.parse(services().settings.signature_level).needs_timestamp,
        results=waiting,
        skipped=[r for r in results if r.status not in SIGNABLE],
    )


@bp.get("/batches/<batch_id>")
def batch(batch_id: str):
    """A signing batch's progress; the page script follows `GET /api/v1/signing-batches/{id}`."""
    principal = current_principal()
    batch = db.session.get(SigningBatch, batch_id)
    # As the API: officials of the same agency see each other's batches (one queue per agency).
    if batch is None or db.session.get(Official, batch.official_id).agency.code not in principal.agency_codes:
        raise NotFound(_("There is no such signing batch in your agency."))
    if batch.authorisation == HolderApproval.AGENT:
        allow_connect(*AGENT_ORIGINS)
    rows = db.session.execute(
        select(SigningBatchItem, Result)
        .join(Result, Result.id == SigningBatchItem.result_id)
        .where(SigningBatchItem.batch_id == batch.id)
        .order_by(SigningBatchItem.id)
    ).all()
    return render_template(
        "official/batch.html",
        batch=batch,
        rows=rows,
        signer=db.session.get(Official, batch.official_id),
        total=len(rows),
        done=sum(item.status == BatchItemStatus.DONE for item, _result in rows),
        failed=sum(item.status == BatchItemStatus.FAILED for item, _result in rows),
        can_sign=bool({SIGNER_ROLE, CERTIFIER_ROLE} & principal.roles),
        can_approve=batch.official_id == principal.record_id,
        agent_url=DEFAULT_AGENT_URL,
        demo_signer=_demo_signer(batch),
    )


def _matching_ids(official: Official) -> list[str]:
    """Every queued result matching the queue's filters in this query string (all pages), in the
    queue's order; one more than a batch holds, so that too many is refused, not cut short."""
    parsed = parse_filters(request.args)
    if parsed.errors:
        raise BadRequest(_("Some filters could not be used; correct them and filter again."), "bad_filters")
    stmt = queries.queue_statement(official.agency_id, parsed.filters).with_only_columns(Result.id)
    return list(db.session.scalars(stmt.limit(MAX_BATCH + 1)))


def _approval_ahead(official: Official) -> HolderApproval | None:
    """How the official will approve the batch; None when no approval is needed, or when their key
    is unavailable (creating the batch then says why)."""
    try:
        return official_key(current_app._get_current_object(), official).holder_approval
    except KeyUnavailable:
        return None


def _demo_signer(batch: SigningBatch) -> tuple[str, str] | None:
    """The demo official's credential at the embedded remote-signing service and its PIN, so the page
    can say where a demo's PIN and code come from; None outside development."""
    devcsc = services().devcsc
    if devcsc is None or batch.authorisation != HolderApproval.CODES:
        return None
    return key_reference(db.session.get(Official, batch.official_id)), devcsc.demo_pin


@bp.get("/results/<result_id>")
def result(result_id: str):
    principal = current_principal()
    result = _agency_result(principal, result_id)
    return render_template(
        "official/result.html",
        result=result,
        timeline=result_timeline(db.session, result),
        can_sign=may_sign(principal, result) and result.status in SIGNABLE,
        can_annul=ANNUL_ROLE in principal.roles and result.status in ANNULLABLE,
        can_return=SIGNER_ROLE in principal.roles and result.status in RETURNABLE,
        min_reason=MIN_REASON,
        max_reason=MAX_REASON,
    )


@bp.get("/results/<result_id>/page-1.png")
def preview(result_id: str):
    """The document's first page as an image: the signed PDF once signed (with its stamp)."""
    result = _agency_result(current_principal(), result_id)
    digest = result.signed_sha256 or result.original_sha256
    png = first_page_png(services().documents.get(digest))
    response = current_app.response_class(png, mimetype="image/png")
    response.set_etag(digest)  # the image changes only with the document
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response.make_conditional(request)
