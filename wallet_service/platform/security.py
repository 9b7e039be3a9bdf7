"""Browser-facing protection: CSRF tokens and security headers.

CSRF (Flask-WTF): every state-changing request made with a session cookie must carry the token
(form field `csrf_token` or header `X-CSRFToken`). Requests authenticated by a bearer token carry no
ambient credential, so CSRF cannot apply to them; machine endpoints (OpenID4VCI token/credential)
list themselves in `csrf_exempt_endpoints`.

Headers: a Content-Security-Policy allowing only this origin (inline scripts need the page's
`csp_nonce()`), no framing by other sites, no MIME sniffing, no referrer leaks of result ids, no caching of
anything but static assets and answers that set their own policy, and HSTS in production."""
from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from flask import Flask, g, request, session
from flask_wtf.csrf import CSRFError, CSRFProtect

from ..access import SESSION_KEY
from ..services import services
from .error_pages import form_expired_page, prefers_html, render_error_page
from .errors import BadRequest, NotFound, error_response

_STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def init_csrf(app: Flask) -> CSRFProtect:
    # Checked by our own before_request below rather than Flask-WTF's blanket default, so that bearer
    # calls (case systems) are not refused for lacking a cookie-bound token they cannot have.
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # bound to the session's own lifetime instead
    csrf = CSRFProtect(app)
    exempt: set[str] = services(app).csrf_exempt_endpoints

    @app.before_request
    def _check_csrf():
        if request.method not in _STATE_CHANGING or request.endpoint in exempt:
            return None
        if request.headers.get("Authorization"):
            return None
        # Login forms and other pages posting before login are protected by their forms' own token.
        if SESSION_KEY in session or request.form.get("csrf_token") is not None:
            csrf.protect()
        return None

    @app.errorhandler(CSRFError)
    def _csrf_error(exc: CSRFError):
        if prefers_html():
            return render_error_page(form_expired_page(), 400, "csrf_failed", exc.description)
        return error_response(400, "csrf_failed", f"The form or request lacks a valid CSRF token: {exc.description}")

    return csrf


# Swagger UI's page (flask-smorest's template) starts itself with an inline script; it shows only
# the public API description, so that one page may run inline code.
_DOCS_PAGE = "/api/docs"


def _csp_nonce() -> str:
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def allow_connect(*sources: str) -> None:
    """Let this request's page also call `sources` from script (an official's signing agent on their
    own computer's loopback); every other page stays limited to this origin."""
    g.connect_sources = tuple(sources)


def _extra_connect_sources() -> str:
    return "".join(f" {source}" for source in g.get("connect_sources", ()))


def _provider_origins(app: Flask) -> str:
    """Origins of the OpenID providers: logging out posts a form that redirects there, and
    `form-action` governs that redirect."""
    origins = set()
    for relying_party in services(app).oidc.values():
        parts = urlsplit(relying_party.config.issuer)
        origins.add(f"{parts.scheme}://{parts.netloc}")
    return " ".join(sorted(origins))


def _is_static(endpoint: str | None) -> bool:
    return endpoint is not None and (endpoint == "static" or endpoint.endswith(".static"))


def init_headers(app: Flask) -> None:
    production = services(app).settings.is_production
    app.jinja_env.globals["csp_nonce"] = _csp_nonce

    @app.after_request
    def _security_headers(response):
        if request.path == _DOCS_PAGE:
            scripts = "'self' 'unsafe-inline'"
        elif response.mimetype == "text/html":
            scripts = f"'self' 'nonce-{_csp_nonce()}'"
        else:  # no inline script runs in a JSON answer or a PDF: spare the random nonce
            scripts = "'self'"
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; "
            f"script-src {scripts}; "
            "style-src 'self' 'unsafe-inline'; "  # inline style attributes of SVG QR codes and Swagger UI
            "img-src 'self' data:; "
            f"connect-src 'self'{_extra_connect_sources()}; "
            "object-src 'self'; frame-src 'self'; "  # officials preview PDFs of this service in a frame
            f"frame-ancestors 'self'; base-uri 'none'; form-action 'self' {_provider_origins(app)}".rstrip(),
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        # Pages, API answers and documents carry personal data: no cache keeps them, unless the view
        # chose its own policy (the status list, public metadata) or it is a static asset.
        if "Cache-Control" not in response.headers and not _is_static(request.endpoint):
            response.headers["Cache-Control"] = "no-store"
        if production:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response


def init_url_checks(app: Flask) -> None:
    """A NUL in the path or query names nothing: refused here, once, rather than reaching a database
    (PostgreSQL refuses NUL in text, which would surface as a 500)."""

    @app.before_request
    def _refuse_nul_in_url():
        if "\x00" in request.path:
            raise NotFound("No such address.")
        if any("\x00" in key or "\x00" in value for key, value in request.args.items(multi=True)):
            raise BadRequest("The query string may not contain NUL characters.", "invalid_query")
