"""The embedded development OpenID provider, mounted at `/dev-oidc` of the same application when
no external provider is configured. Built on Authlib's server side; demo accounts with password
`demo`. Refused in production."""
from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

from flask import Flask

from ...platform.config import ConfigError
from ...services import services
from .keys import ensure_signing_key
from .provider import EmbeddedProvider
from .server import DevClient, build_server

MOUNT = "/dev-oidc"
CLIENT_ID = "wallet-service"


def issuer_for(public_base_url: str) -> str:
    return public_base_url.rstrip("/") + MOUNT


def client_for(secret_key: str, public_base_url: str, redirect_path: str, post_logout_path: str) -> DevClient:
    """The service's registration at the embedded provider. The secret is derived from SECRET_KEY
    so that nothing has to be stored and both sides compute the same value."""
    base = public_base_url.rstrip("/")
    secret = hmac.new(secret_key.encode(), b"dev-oidc client secret", hashlib.sha256).hexdigest()
    return DevClient(CLIENT_ID, secret, (base + redirect_path,), (base + post_logout_path,))


def init_app(app: Flask, client: DevClient) -> EmbeddedProvider:
    from . import models  # noqa: F401  (tables known to the metadata)
    from .views import MACHINE_ENDPOINTS, bp

    settings = services(app).settings
    if settings.is_production:
        raise ConfigError(
            "The embedded development OpenID provider is refused when WALLET_ENV=production; "
            "set OIDC_CITIZEN_ISSUER and OIDC_OFFICIAL_ISSUER (with their client ids and secrets)."
        )
    issuer = issuer_for(settings.public_base_url)
    provider = EmbeddedProvider(issuer, client, build_server(app, issuer, Path(app.instance_path), {client.client_id: client}))
    services(app).devidp = provider
    app.register_blueprint(bp)
    services(app).csrf_exempt_endpoints.update(MACHINE_ENDPOINTS)
    services(app).init_steps.append(_make_key)
    return provider


def _make_key(app: Flask) -> str:
    path, made = ensure_signing_key(Path(app.instance_path))
    return f"development OpenID provider key {'created' if made else 'ready'}: {path}"
