"""Why a login through an OpenID provider was refused. Each error carries a stable code (for logs,
tests and machine clients) and a message a person can act on; the web layer chooses the HTTP status
from the class."""
from __future__ import annotations


class OidcError(Exception):
    """Base class: the login cannot go on."""

    code = "oidc_error"

    def __init__(self, message: str, code: str | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


class ProviderUnavailable(OidcError):
    """The provider could not be reached or answered something that is not OpenID Connect."""

    code = "provider_unavailable"


class LoginRequestError(OidcError):
    """The callback does not belong to a login we started (unknown or reused `state`, provider error)."""

    code = "invalid_login_request"


class InvalidIdToken(OidcError):
    """The ID token failed validation; the code names the check (signature, audience, nonce, ...)."""

    code = "invalid_id_token"


class IdentityRefused(OidcError):
    """The token is genuine but the identity it describes may not use this service."""

    code = "identity_refused"
