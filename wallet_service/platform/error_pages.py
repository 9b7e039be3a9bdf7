"""Error pages for people: each HTTP error a browser can meet is a page of the site, in the visitor's
language, saying what happened and what to do next. Machine codes stay in a small "technical
details" part. API callers (`/api/...`, or asking for JSON) keep the JSON answers of `errors`."""
from __future__ import annotations

from dataclasses import dataclass

from flask import render_template, request
from flask_babel import gettext as _


@dataclass(frozen=True)
class ErrorPage:
    """What a person reads: a heading, one sentence of why, the next steps, and links to act on."""

    heading: str
    explanation: str
    steps: tuple[str, ...]
    actions: tuple[tuple[str, str], ...] = ()


def wants_json() -> bool:
    """An API caller: JSON errors, never a page."""
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def prefers_html() -> bool:
    """A browser navigating (it lists text/html before JSON); a client sending `*/*` gets JSON."""
    return not wants_json() and request.accept_mimetypes.best_match(["application/json", "text/html"]) == "text/html"


def _home() -> tuple[str, str]:
    return "/", _("Go to the home page")


def _client_pages(limit_mb: int) -> dict[int, ErrorPage]:
    again = _("Go back and try again.")
    return {
        400: ErrorPage(_("The request cannot be handled"),
                       _("Something in what was sent is missing or not in the expected form."),
                       (again, _("If it happens again, start from the home page.")), (_home(),)),
        401: ErrorPage(_("Please log in"), _("This page is only shown to people who have logged in."),
                       (_("Log in from the home page, then open the page again."),), (_home(),)),
        403: ErrorPage(_("You cannot open this page"),
                       _("Your account does not have permission to see this page."),
                       (_("If you are logged in with another account, log out and log in with the right one."),
                        _("If you think you should have access, contact your agency's administrator.")),
                       (_home(),)),
        404: ErrorPage(_("Page not found"),
                       _("The address may be mistyped, or the page has been moved or removed."),
                       (_("Check the address you typed or the link you followed."),
                        _("If you scanned a QR code on a document, scan it again."),
                        _("Find what you need from the home page.")),
                       (_home(), ("/verify", _("Verify a document")))),
        405: ErrorPage(_("This action is not possible here"),
                       _("The page was opened in a way it does not accept, for example by reloading a form "
                         "that had already been sent."),
                       (_("Open the page again from its link, without reloading the form."),), (_home(),)),
        410: ErrorPage(_("This link no longer works"),
                       _("What it pointed to was annulled or revoked, or the link has expired."),
                       (_("Ask whoever gave you the link for a current one."),
                        _("To check a document you hold, verify it on this site.")),
                       (_home(), ("/verify", _("Verify a document")))),
        413: ErrorPage(_("The file is too large"),
                       _("Files of up to %(limit)s MB can be sent.", limit=limit_mb),
                       (_("Choose a smaller file, or make the PDF smaller (for example scan it at a lower "
                          "resolution), then send it again."),), (_home(),)),
        429: ErrorPage(_("Too many attempts"),
                       _("To protect the service, the number of requests in a short time is limited."),
                       (_("Wait a few minutes, then try again."),), (_home(),)),
    }


def _server_page() -> ErrorPage:
    return ErrorPage(_("Something went wrong on our side"),
                     _("The service could not complete your request. This was not caused by anything you did."),
                     (_("Try again in a few minutes."),
                      _("If it keeps happening, contact the public-service centre and tell them the time "
                        "it happened.")),
                     (_home(),))


def form_expired_page() -> ErrorPage:
    """A form sent without its valid security token: most often a page left open too long."""
    return ErrorPage(_("The form has expired"),
                     _("For your security, a form can only be sent from a page opened recently in this browser."),
                     (_("Go back, reload the page, and send the form again."),), (_home(),))


def page_for(status: int, limit_mb: int) -> ErrorPage:
    """The page for an HTTP status; an unlisted status gets the nearest general one."""
    if status >= 500:
        return _server_page()
    pages = _client_pages(limit_mb)
    return pages.get(status, pages[400])


def render_error_page(page: ErrorPage, status: int, code: str, detail: str | None = None,
                      headers: dict[str, str] | None = None):
    """The site's page for an error; `code` and `detail` only appear under technical details."""
    body = render_template("errors/page.html", page=page, status=status, code=code, detail=detail)
    return body, status, headers or {}
