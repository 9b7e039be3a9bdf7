"""What every page shares: the language (Vietnamese by default, English on request), Vietnam's
time zone, the logged-in person, and the CSRF token for forms and page scripts (Flask-Babel)."""
from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import Flask, g, request
from flask_babel import Babel, format_datetime

from ..access import current_principal
from .errors import ApiError
from .logs import request_id

LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"
TIME_ZONE = "Asia/Ho_Chi_Minh"
LANGUAGE_COOKIE = "lang"
_ONE_YEAR = 365 * 24 * 3600


def select_language() -> str:
    """`?lang=` (remembered in a cookie), then the cookie, then the browser's preference."""
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        g.remember_language = asked
        return asked
    remembered = request.cookies.get(LANGUAGE_COOKIE)
    if remembered in LANGUAGES:
        return remembered
    return request.accept_languages.best_match(LANGUAGES, default=DEFAULT_LANGUAGE)


def _with_language(response):
    """A redirect within this site keeps the `?lang=` it was asked with, so a shared link opens in the
    language it was sent in even where no cookie is kept; redirects elsewhere (identity providers) are
    left as they are."""
    asked = request.args.get("lang")
    location = response.headers.get("Location", "")
    if asked not in LANGUAGES or not 300 <= response.status_code < 400 or not location.startswith("/") \
            or location.startswith("//"):
        return response
    parts = urlsplit(location)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "lang"]
    response.headers["Location"] = urlunsplit(parts._replace(query=urlencode([*query, ("lang", asked)])))
    return response


def _page_principal():
    """The logged-in person for the page header; a page never fails because of a bad bearer header."""
    try:
        return current_principal()
    except ApiError:
        return None


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", TIME_ZONE)
    Babel(app, locale_selector=select_language, timezone_selector=lambda: TIME_ZONE)

    @app.after_request
    def _remember_language(response):
        if "remember_language" in g:
            response.set_cookie(LANGUAGE_COOKIE, g.remember_language, max_age=_ONE_YEAR, samesite="Lax", httponly=True)
        return response

    @app.after_request
    def _keep_language_on_redirect(response):
        return _with_language(response)

    @app.context_processor
    def _page_context():
        from flask_babel import get_locale

        return {"principal": _page_principal(), "language": str(get_locale()), "languages": LANGUAGES,
                "request_id": request_id()}

    @app.template_filter("local_time")
    def _local_time(value, pattern: str = "dd/MM/yyyy HH:mm"):
        return format_datetime(value, pattern) if value is not None else ""
