"""An OpenID Connect relying party on Authlib: discovery, authorization code flow with PKCE (S256),
`state`, `nonce`, ID token validation, userinfo and RP-initiated logout.

Plain Python (no web framework): the caller keeps the `AuthorizationRequest` between the redirect
and the callback (e.g. in its session) and hands the callback's query parameters back.
One `RelyingParty` per configured provider; it caches the provider's metadata and JWKS on itself
for as long as the provider's HTTP caching headers allow (at most an hour, see `http_cache`).
"""
from __future__ import annotations

import hmac
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field

import requests
from authlib.common.security import generate_token
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session

from .errors import InvalidIdToken, LoginRequestError, ProviderUnavailable
from .http_cache import CachedDocument, lifetime
from .id_token import accepted_algorithms, validate_id_token

DISCOVERY_PATH = "/.well-known/openid-configuration"


@dataclass(frozen=True)
class ProviderConfig:
    """How to reach one OpenID provider and who we are to it."""

    issuer: str
    """The provider's issuer identifier; discovery must return exactly this value."""
    client_id: str
    """Our client id at the provider."""
    client_secret: str | None
    """Our client secret; None makes us a public client (PKCE only)."""
    redirect_uri: str
    """Our callback address registered at the provider."""
    scope: str = "openid profile"
    """Scopes asked for; `openid` must be among them."""
    timeout: float = 10.0
    """Seconds to wait for any back-channel call to the provider."""


@dataclass(frozen=True)
class AuthorizationRequest:
    """What we must remember between sending the browser to the provider and its return."""

    url: str
    """The provider's authorization URL to redirect the browser to."""
    state: str
    """Binds the callback to this browser session (CSRF protection of the callback)."""
    nonce: str
    """Binds the ID token to this login (replay protection)."""
    code_verifier: str
    """PKCE secret whose S256 hash went in the URL."""

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping) -> AuthorizationRequest:
        return cls(data["url"], data["state"], data["nonce"], data["code_verifier"])


@dataclass(frozen=True)
class Login:
    """A completed, validated login."""

    issuer: str
    """The provider that authenticated the person."""
    subject: str
    """`sub`: the person's stable identifier at that provider."""
    claims: Mapping[str, object] = field(default_factory=dict)
    """The ID token's claims, completed by the userinfo answer (ID token values win)."""
    id_token: str = ""
    """The raw ID token, kept as `id_token_hint` for logout."""


class RelyingParty:
    """Our side of the protocol with one provider. Thread-safe (gunicorn threads share it); the
    caches live on the instance. `clock` is monotonic seconds, injectable for tests."""

    def __init__(self, config: ProviderConfig, clock: Callable[[], float] = time.monotonic):
        self.config = config
        self._metadata = CachedDocument(self._fetch_metadata, clock)
        self._jwks = CachedDocument(self._fetch_jwks, clock)

    # -- provider metadata -------------------------------------------------------------------

    def metadata(self) -> dict:
        """The provider's discovery document, checked (Discovery §4.3) and cached while fresh."""
        return self._metadata.get()

    def jwks(self, force: bool = False) -> dict:
        """The provider's public keys; `force` (an unknown `kid`: the keys may have rotated) refetches
        them, at most once a minute, so forged tokens cannot make us hammer the provider."""
        return self._jwks.get(refresh=force)

    def _fetch_metadata(self) -> tuple[dict, float]:
        url = self.config.issuer.rstrip("/") + DISCOVERY_PATH
        data, seconds = self._get_json(url, "discovery document")
        if data.get("issuer") != self.config.issuer:
            raise ProviderUnavailable(
                f"The provider at {url} calls itself '{data.get('issuer')}', not '{self.config.issuer}'.",
                "provider_issuer_mismatch",
            )
        missing = [k for k in ("authorization_endpoint", "token_endpoint", "jwks_uri") if not data.get(k)]
        if missing:
            raise ProviderUnavailable(f"The provider's discovery document lacks {', '.join(missing)}.")
        return data, seconds

    def _fetch_jwks(self) -> tuple[dict, float]:
        data, seconds = self._get_json(self.metadata()["jwks_uri"], "key set")
        if not isinstance(data.get("keys"), list):
            raise ProviderUnavailable("The provider's JWKS has no 'keys' list.")
        return data, seconds

    # -- the flow ------------------------------------------------------------------------------

    def begin(self) -> AuthorizationRequest:
        """A fresh authorization request (new state, nonce and PKCE verifier)."""
        state, nonce, verifier = generate_token(32), generate_token(32), generate_token(64)
        metadata = self.metadata()
        url, _ = self._session(metadata).create_authorization_url(
            metadata["authorization_endpoint"], state=state, code_verifier=verifier, nonce=nonce
        )
        return AuthorizationRequest(url=url, state=state, nonce=nonce, code_verifier=verifier)

    def complete(self, request: AuthorizationRequest, params: Mapping[str, str]) -> Login:
        """Check the callback's parameters, redeem the code, validate the ID token, read userinfo."""
        metadata = self.metadata()
        if params.get("error"):
            description = params.get("error_description") or "no reason given"
            raise LoginRequestError(
                f"The identity provider did not log you in ({params['error']}: {description}).", "provider_refused"
            )
        if not hmac.compare_digest(str(params.get("state", "")), request.state):
            raise LoginRequestError("The login answer does not belong to this login (state mismatch).", "invalid_state")
        # RFC 9207: the `iss` parameter defeats mix-up attacks when a provider sends it.
        iss = params.get("iss")
        if iss is not None and iss != self.config.issuer:
            raise LoginRequestError("The login answer came from another provider (iss mismatch).", "issuer_mismatch")
        if iss is None and metadata.get("authorization_response_iss_parameter_supported"):
            raise LoginRequestError("The login answer lacks the provider's 'iss' parameter.", "issuer_mismatch")
        code = params.get("code")
        if not code:
            raise LoginRequestError("The login answer carries no authorization code.", "missing_code")

        session = self._session(metadata)
        token = self._redeem(session, metadata, code, request.code_verifier)
        if str(token.get("token_type", "")).lower() != "bearer":
            raise LoginRequestError("The provider issued no bearer access token.", "code_refused")
        if not token.get("id_token"):
            raise InvalidIdToken("The provider's token answer has no ID token.", "id_token_missing")

        claims = validate_id_token(
            token["id_token"],
            issuer=self.config.issuer,
            client_id=self.config.client_id,
            nonce=request.nonce,
            algorithms=accepted_algorithms(
                metadata.get("id_token_signing_alg_values_supported"), bool(self.config.client_secret)
            ),
            fetch_jwks=self.jwks,
            client_secret=self.config.client_secret,
            access_token=token.get("access_token"),
        )
        userinfo = self._userinfo(session, metadata.get("userinfo_endpoint"), claims["sub"])
        return Login(self.config.issuer, claims["sub"], {**userinfo, **claims}, token["id_token"])

    def logout_url(self, id_token_hint: str | None, post_logout_redirect_uri: str) -> str | None:
        """Where to send the browser to end the provider's session too (RP-Initiated Logout 1.0),
        or None when the provider has no end-session endpoint."""
        try:
            endpoint = self.metadata().get("end_session_endpoint")
        except ProviderUnavailable:
            return None  # logging out locally must not depend on the provider being up
        if not endpoint:
            return None
        params = {"post_logout_redirect_uri": post_logout_redirect_uri, "client_id": self.config.client_id}
        if id_token_hint:
            params["id_token_hint"] = id_token_hint
        return requests.Request("GET", endpoint, params=params).prepare().url

    # -- helpers -------------------------------------------------------------------------------

    def _redeem(self, session: OAuth2Session, metadata: Mapping, code: str, code_verifier: str) -> dict:
        """The token endpoint's answer for `code`. A failure may mean the provider moved its
        endpoints or changed its client authentication, so discovery is read again next time."""
        try:
            return session.fetch_token(
                metadata["token_endpoint"], grant_type="authorization_code", code=code,
                code_verifier=code_verifier, redirect_uri=self.config.redirect_uri,
            )
        except OAuthError as exc:
            self._metadata.invalidate()
            raise LoginRequestError(
                f"The provider refused the authorization code ({exc.error}: {exc.description or 'no reason given'}).",
                "code_refused",
            ) from None
        except (requests.RequestException, ValueError) as exc:
            self._metadata.invalidate()
            raise ProviderUnavailable(f"The provider's token endpoint failed: {exc}.") from None

    def _session(self, metadata: Mapping) -> OAuth2Session:
        """A session for one login, using one snapshot of the metadata throughout."""
        methods = metadata.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
        if not self.config.client_secret:
            auth_method = "none"
        elif "client_secret_basic" in methods:
            auth_method = "client_secret_basic"
        else:
            auth_method = "client_secret_post"
        return OAuth2Session(
            client_id=self.config.client_id,
            client_secret=self.config.client_secret,
            token_endpoint_auth_method=auth_method,
            scope=self.config.scope,
            redirect_uri=self.config.redirect_uri,
            code_challenge_method="S256",
            default_timeout=self.config.timeout,
        )

    def _userinfo(self, session: OAuth2Session, endpoint: str | None, subject: str) -> dict:
        if not endpoint:
            return {}
        try:
            response = session.get(endpoint)
            response.raise_for_status()
            data = response.json()
        except (requests.RequestException, ValueError) as exc:
            raise ProviderUnavailable(f"The provider's userinfo endpoint failed: {exc}.") from None
        if not isinstance(data, dict):
            raise ProviderUnavailable("The provider's userinfo answer is not a JSON object.")
        # Core §5.3.4: userinfo about someone else must not be used.
        if data.get("sub") != subject:
            raise InvalidIdToken("The provider's userinfo describes another person than the ID token.", "userinfo_subject")
        return data

    def _get_json(self, url: str, what: str) -> tuple[dict, float]:
        """The JSON object at `url` and how many seconds it may be reused."""
        try:
            response = requests.get(url, timeout=self.config.timeout, headers={"Accept": "application/json"})
            response.raise_for_status()
            data = response.json()
        except (requests.RequestException, ValueError) as exc:
            raise ProviderUnavailable(f"Cannot read the identity provider's {what} at {url}: {exc}.") from None
        if not isinstance(data, dict):
            raise ProviderUnavailable(f"The identity provider's {what} at {url} is not a JSON object.")
        return data, lifetime(response.headers)
