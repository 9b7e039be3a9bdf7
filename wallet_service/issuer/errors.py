"""Protocol errors of the issuer's OAuth/OpenID4VCI endpoints. Their specs mandate the body
`{"error", "error_description"}` (RFC 6749 §5.2, RFC 6750 §3, OpenID4VCI §8.3.1, §11.3), not the
API's `{"error", "message"}`, so they are rendered here."""
from __future__ import annotations

from flask import Response, jsonify

from .metadata import DPOP_ALGS


class ProtocolError(Exception):
    """A refusal with the spec's error code. `description` must be plain ASCII without quotes or
    backslashes (OpenID4VCI §8.3.1.2)."""

    status = 400
    challenge: str | None = None
    """The `WWW-Authenticate` scheme of a 401 (`Bearer` or `DPoP`)."""
    nonce: str | None = None
    """A fresh DPoP nonce for the `DPoP-Nonce` header."""

    def __init__(self, error: str | None, description: str, status: int | None = None):
        super().__init__(description)
        self.error = error
        self.description = description
        if status is not None:
            self.status = status


class TokenError(ProtocolError):
    """Token endpoint (RFC 6749 §5.2): invalid_request, invalid_grant, unsupported_grant_type..."""


class BearerTokenError(ProtocolError):
    """Missing or bad access token at a protected endpoint (RFC 6750 §3, RFC 9449 §7.1). With no
    `error` (no token at all) the answer carries no error information (RFC 6750 §3.1)."""

    status = 401

    def __init__(self, description: str, error: str | None = "invalid_token", challenge: str = "Bearer"):
        super().__init__(error, description)
        self.challenge = challenge


class CredentialRequestError(ProtocolError):
    """Credential endpoint (OpenID4VCI §8.3.1.2): invalid_proof, invalid_nonce, ..."""


class NotificationError(ProtocolError):
    """Notification endpoint (OpenID4VCI §11.3): invalid_notification_id, invalid_notification_request."""


def protocol_error_response(exc: ProtocolError):
    if exc.error is None:
        response = Response(status=exc.status)
    else:
        response = jsonify(error=exc.error, error_description=exc.description)
        response.status_code = exc.status
    response.headers["Cache-Control"] = "no-store"
    if exc.nonce:
        response.headers["DPoP-Nonce"] = exc.nonce
    if exc.status == 401:
        response.headers["WWW-Authenticate"] = _challenge(exc)
    return response


def _challenge(exc: ProtocolError) -> str:
    algs = f'algs="{" ".join(DPOP_ALGS)}"'
    if exc.error is None:  # both schemes are offered; no error information (RFC 6750 §3.1)
        return f"Bearer, DPoP {algs}"
    detail = f'error="{exc.error}", error_description="{exc.description}"'
    return f"DPoP {detail}, {algs}" if exc.challenge == "DPoP" else f"Bearer {detail}"
