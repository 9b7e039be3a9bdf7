"""Protocol errors of the issuer's OAuth/OpenID4VCI endpoints. Their specs mandate the body
`{"error", "error_description"}` (RFC 6749 §5.2, RFC 6750 §3, OpenID4VCI §8.3.1, §11.3), not the
API's `{"error", "message"}`, so they are rendered here."""
from __future__ import annotations

from flask import jsonify


class ProtocolError(Exception):
    """A refusal with the spec's error code. `description` must be plain ASCII without quotes or
    backslashes (OpenID4VCI §8.3.1.2)."""

    status = 400

    def __init__(self, error: str, description: str, status: int | None = None):
        super().__init__(description)
        self.error = error
        self.description = description
        if status is not None:
            self.status = status


class TokenError(ProtocolError):
    """Token endpoint (RFC 6749 §5.2): invalid_request, invalid_grant, unsupported_grant_type..."""


class BearerTokenError(ProtocolError):
    """Missing or bad access token at a protected endpoint (RFC 6750 §3)."""

    status = 401

    def __init__(self, description: str, error: str = "invalid_token"):
        super().__init__(error, description)


class CredentialRequestError(ProtocolError):
    """Credential endpoint (OpenID4VCI §8.3.1.2): invalid_proof, invalid_nonce, ..."""


class NotificationError(ProtocolError):
    """Notification endpoint (OpenID4VCI §11.3): invalid_notification_id, invalid_notification_request."""


def protocol_error_response(exc: ProtocolError):
    response = jsonify(error=exc.error, error_description=exc.description)
    response.status_code = exc.status
    response.headers["Cache-Control"] = "no-store"
    if isinstance(exc, BearerTokenError):
        response.headers["WWW-Authenticate"] = f'Bearer error="{exc.error}", error_description="{exc.description}"'
    return response
