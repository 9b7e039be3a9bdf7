"""The wallet's answer at the response URI (OpenID4VP §8.2 `direct_post`, §8.6 VP Token validation).

The request named by `state` is answered once: a second response (a replay) is refused, and so is
one that comes after the request expired. The presentation is checked by the service's credential
verifier with the request's `client_id` as the key-binding JWT's audience and its nonce, then for
what the request requires beyond it: a key binding (the DCQL default) and every asked claim. The
report is kept in both languages; the credential itself is not kept."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask_babel import force_locale, gettext
from sqlalchemy import update
from sqlalchemy.orm import Session

from ..issuer.keys import IssuerKey
from ..platform import json_body
from ..verify.credential import FAILED, NOT_PRESENTED, PASSED, InvalidCredential, verify_credential
from .dcql import CREDENTIAL_ID, RESULT_CLAIMS, Ask, missing_claims
from .models import ANSWERED, PENDING, REFUSED, PresentationRequest

LANGUAGES = ("vi", "en")
MAX_VP_TOKEN_CHARS = 128 * 1024


class ResponseRefused(Exception):
    """The response cannot be taken at all (unknown state, replay, expired); nothing is recorded.
    `description` is plain ASCII, as OAuth error descriptions must be."""

    def __init__(self, error: str, description: str):
        super().__init__(description)
        self.error = error
        self.description = description


@dataclass(frozen=True)
class Outcome:
    """What became of a response that was taken."""

    accepted: bool
    reason: str | None
    """Why it was refused, in English (for the wallet)."""


def _request_for(session: Session, state: object, now: dt.datetime) -> PresentationRequest:
    if not isinstance(state, str) or not state:
        raise ResponseRefused("invalid_request", "The response must carry the state of the request.")
    row = session.query(PresentationRequest).filter_by(state=state).one_or_none()
    if row is None:
        raise ResponseRefused("invalid_request", "No presentation request has this state.")
    if row.status != PENDING:
        raise ResponseRefused("invalid_request", "This request was already answered; a replayed response is refused.")
    if row.expires_at <= now:
        raise ResponseRefused("invalid_request", "This presentation request has expired.")
    return row


_PROBLEMS = {  # said in the report's language, hence functions
    "missing": lambda: gettext("The response carries no vp_token."),
    "too_large": lambda: gettext("The vp_token is too large."),
    "not_json": lambda: gettext("The vp_token is not a JSON object."),
    "not_one": lambda: gettext("The vp_token must hold exactly one presentation for the requested credential."),
}


def _presentation(vp_token: object) -> tuple[str | None, str | None]:
    """(the one presentation of the `result` query, or None and the problem's key in `_PROBLEMS`)."""
    if not isinstance(vp_token, str) or not vp_token:
        return None, "missing"
    if len(vp_token) > MAX_VP_TOKEN_CHARS:
        return None, "too_large"
    try:
        parsed = json_body.loads(vp_token)
    except (ValueError, TypeError, RecursionError):
        return None, "not_json"
    entries = parsed.get(CREDENTIAL_ID) if isinstance(parsed, dict) else None
    if not isinstance(entries, list) or len(entries) != 1 or not isinstance(entries[0], str):
        return None, "not_one"
    return entries[0], None


def _failed(name: str, message: str) -> dict:
    return {"check": name, "status": FAILED, "message": message}


def _verified(session: Session, row: PresentationRequest, presentation: str, *, issuer: str, key: IssuerKey,
              now: dt.datetime, lang: str) -> dict:
    """The credential verifier's report, with what this request requires on top."""
    try:
        data = verify_credential(session, presentation, issuer=issuer, key=key, now=now, lang=lang,
                                 audience=row.client_id, nonce=row.nonce).to_dict()
    except InvalidCredential:
        return {"checks": [_failed("format", gettext("The presentation is not an SD-JWT VC in compact form."))],
                "claims": {}, "registry": None}
    for check in data["checks"]:
        if check["check"] == "key_binding" and check["status"] == NOT_PRESENTED:
            check.update(_failed("key_binding", gettext(
                "No key-binding JWT: this request requires the wallet to prove it holds the credential.")))
    missing = missing_claims(Ask.from_dict(row.asked), data["claims"])
    if missing:
        data["checks"].append(_failed("request", gettext("The presentation lacks what was asked: %(claims)s.",
                                                         claims=", ".join(missing))))
    else:
        data["checks"].append({"check": "request", "status": PASSED,
                               "message": gettext("Everything asked for was presented.")})
    return data


def _report(session: Session, row: PresentationRequest, presentation: str | None, problem: str | None, *,
            issuer: str, key: IssuerKey, now: dt.datetime, lang: str) -> dict:
    with force_locale(lang):
        if presentation is None:
            data = {"checks": [_failed("vp_token", _PROBLEMS[problem]())], "claims": {}, "registry": None}
        else:
            data = _verified(session, row, presentation, issuer=issuer, key=key, now=now, lang=lang)
    # The title, then the person the clerk asked about, then the rest of the result's facts.
    shown = ("title", *Ask.from_dict(row.asked).claims, *(name for name in RESULT_CLAIMS if name != "title"))
    failed = [c for c in data["checks"] if c["status"] not in (PASSED, NOT_PRESENTED)]
    return {
        "accepted": not failed,
        "reason": failed[0]["message"] if failed else None,
        "checks": data["checks"],
        # Only what was asked is shown, even if the wallet disclosed more.
        "claims": {name: data["claims"][name] for name in shown if name in data["claims"]},
        "registry": data["registry"],
    }


def _wallet_error(form, lang: str) -> dict:
    with force_locale(lang):
        reason = gettext("The citizen's wallet did not present a credential (%(error)s).", error=str(form.get("error"))[:100])
    return {"accepted": False, "reason": reason, "checks": [_failed("wallet", reason)], "claims": {}, "registry": None}


def _finish(session: Session, row: PresentationRequest, reports: dict, now: dt.datetime) -> None:
    """Record the answer, unless another response was recorded meanwhile (then that one stands)."""
    status = ANSWERED if reports["vi"]["accepted"] else REFUSED
    done = session.execute(
        update(PresentationRequest)
        .where(PresentationRequest.id == row.id, PresentationRequest.status == PENDING)
        .values(status=status, answered_at=now, report=reports)
    )
    if done.rowcount != 1:
        raise ResponseRefused("invalid_request", "This request was already answered; a replayed response is refused.")


def receive(session: Session, form, *, issuer: str, key: IssuerKey, now: dt.datetime) -> Outcome:
    """Take the wallet's response (form fields); the caller commits."""
    row = _request_for(session, form.get("state"), now)
    if "error" in form:
        reports = {lang: _wallet_error(form, lang) for lang in LANGUAGES}
    else:
        presentation, problem = _presentation(form.get("vp_token"))
        reports = {lang: _report(session, row, presentation, problem, issuer=issuer, key=key, now=now, lang=lang)
                   for lang in LANGUAGES}
    _finish(session, row, reports, now)
    return Outcome(reports["en"]["accepted"], reports["en"]["reason"])

