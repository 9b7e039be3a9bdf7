"""Why a login was refused, told to the person: the callback keeps the refusal in the session and
sends the browser to `/auth/refused`, so the provider's one-time code does not stay in the address
bar (nor in the history, nor in a bookmark); that page says what to do next in plain words."""
from __future__ import annotations

from adapters.oidc import IdentityRefused, InvalidIdToken, LoginRequestError, OidcError, ProviderUnavailable
from flask import session
from flask_babel import gettext as _

from ..platform.error_pages import ErrorPage

REFUSAL_KEY = "login_refusal"
"""Session entry with the last refusal: code, status, the provider-side message and the role."""

STATUS = {LoginRequestError: 400, InvalidIdToken: 401, IdentityRefused: 403, ProviderUnavailable: 502}

_IDENTITY_INCOMPLETE = {"personal_id_missing", "personal_id_invalid", "name_missing", "birth_date_invalid",
                        "subject_missing"}
_NOT_AN_OFFICIAL_HERE = {"official_not_mapped", "agency_claim_invalid"}
_LOGIN_EXPIRED = {"invalid_state"}


def status_of(exc: OidcError) -> int:
    return next((s for cls, s in STATUS.items() if isinstance(exc, cls)), 400)


def remember(exc: OidcError, role: str | None) -> None:
    session[REFUSAL_KEY] = {"code": exc.code, "status": status_of(exc), "message": exc.message, "role": role}


def recalled() -> dict | None:
    return session.get(REFUSAL_KEY)


def page(code: str, role: str | None, min_level: int) -> ErrorPage:
    """The page for a refusal's code; any other code is a failure between us and the provider."""
    again = (f"/auth/login?role={role}" if role else "/", _("Log in again"))
    home = ("/", _("Go to the home page"))
    if code == "account_level_too_low":
        return ErrorPage(
            _("Your electronic identification account is not level %(level)s", level=min_level),
            _("Results can only be received with a level-%(level)s electronic identification (VNeID) account.",
              level=min_level),
            (_("Upgrade your account to level %(level)s: bring your citizen identity card to the police of "
               "the commune or ward where you live, or follow the instructions in the VNeID app.", level=min_level),
             _("When the upgrade is confirmed, log in again.")),
            (again, home))
    if code in _IDENTITY_INCOMPLETE:
        return ErrorPage(
            _("Your identity could not be confirmed"),
            _("The identity provider did not give us your personal identification number and full name, "
              "or gave them in a form we cannot read, so we cannot find your results."),
            (_("Check in the VNeID app that your personal identification number and full name are shown and correct."),
             _("Log in again. If it happens again, contact the public-service centre.")),
            (again, home))
    if code in _NOT_AN_OFFICIAL_HERE:
        return ErrorPage(
            _("Your account is not registered for officials here"),
            _("This account is not linked to an agency that uses this service, so it cannot open the officials' pages."),
            (_("Ask your agency's administrator to register your account in this service."),
             _("If you wanted to see your own results as a citizen, log in as a citizen instead.")),
            (("/auth/login?role=citizen", _("Log in as a citizen")), home))
    if code in _LOGIN_EXPIRED:
        return ErrorPage(
            _("This login has expired"),
            _("The login took too long, was already used, or was started in another tab."),
            (_("Start the login again from the beginning."),),
            (again, home))
    return ErrorPage(
        _("The login could not be completed"),
        _("The identity provider did not complete the login, or its answer could not be checked."),
        (_("Try to log in again."), _("If it keeps failing, wait a few minutes: the identity provider may be busy.")),
        (again, home))
