"""Access logs without secrets: login callback codes, credential-offer codes, ID tokens in logout
URLs and the like are replaced before a request line reaches a log (gunicorn's access log in
production, Werkzeug's request log in development).

Logs are kept long and read by many; a code or token in them could still be redeemed, or names a
person (an ID token carries the ID number)."""
from __future__ import annotations

import logging
import re

REMOVED = "[removed]"
SECRET_PARAMETERS = frozenset({
    "code", "state", "nonce", "code_verifier", "session_state",  # OpenID Connect login
    "id_token", "id_token_hint", "access_token", "refresh_token", "token",  # tokens, logout
    "pre-authorized_code", "tx_code", "credential_offer", "credential_offer_uri",  # OpenID4VCI
    "request_uri", "issuer_state", "link",  # pushed authorization requests, credential document links
    "client_secret", "client_assertion", "assertion", "password", "pin", "otp",
})
"""Query parameters whose values are never logged (compared without case)."""
_PARAMETER = re.compile(
    r"(^|[?&;])(" + "|".join(re.escape(name) for name in sorted(SECRET_PARAMETERS)) + r")=[^&;\s\"'#]*",
    re.IGNORECASE,
)
_SECRET_PATH_PREFIXES = ("/credential-offers/", "/credential-documents/", "/presentations/requests/")
_SECRET_PATH = re.compile("(" + "|".join(re.escape(p) for p in _SECRET_PATH_PREFIXES) + r")[^/?#\s\"']+")
"""A credential offer's path is its pre-authorised code; a credential document's, its capability;
a wallet presentation request's, its state."""
SECRET_HEADERS = ("{authorization}i", "{cookie}i", "{http_authorization}e", "{http_cookie}e",
                   "{set-cookie}o")


def scrub(text: str) -> str:
    """`text` (a URL, query string, request line or log line) with every secret replaced."""
    if "=" not in text and not any(prefix in text for prefix in _SECRET_PATH_PREFIXES):
        return text  # most of gunicorn's atoms: skip the regexes
    text = _PARAMETER.sub(lambda m: f"{m.group(1)}{m.group(2)}={REMOVED}", text)
    return _SECRET_PATH.sub(lambda m: m.group(1) + REMOVED, text)


class ScrubbingFilter(logging.Filter):
    """A logging filter scrubbing a record's message and its string arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = scrub(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(scrub(arg) if isinstance(arg, str) else arg for arg in record.args)
        return True


def scrub_werkzeug_log() -> None:
    """Scrub the development server's request log (the `werkzeug` logger); idempotent."""
    logger = logging.getLogger("werkzeug")
    if not any(isinstance(existing, ScrubbingFilter) for existing in logger.filters):
        logger.addFilter(ScrubbingFilter())

