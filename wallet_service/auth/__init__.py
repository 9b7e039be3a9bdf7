"""OpenID Connect login for citizens and officials (relying party in `adapters.oidc`), the session
it opens, `GET /api/v1/me`, and the embedded development provider when no external one is set."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from adapters.oidc import ProviderConfig, RelyingParty
from flask import Flask

from . import sessions, store, views
from ..platform.config import ConfigError
from ..services import services
from ..platform.auth_config import CITIZEN, OFFICIAL, AuthSettings

POST_LOGOUT_PATH = "/"


def init_app(app: Flask) -> None:
    settings = services(app).settings
    auth = settings.auth
    base = settings.public_base_url.rstrip("/")
    embedded = [role for role in (CITIZEN, OFFICIAL) if auth.provider(role).embedded]
    if embedded and settings.is_production:
        raise ConfigError(
            "WALLET_ENV=production refuses the embedded development OpenID provider; set "
            + ", ".join(f"OIDC_{role.upper()}_ISSUER and OIDC_{role.upper()}_CLIENT_ID" for role in embedded)
            + "."
        )
    dev_client, dev_issuer = None, ""
    if embedded:
        from ..dev import idp as devidp  # development only: production refuses the embedded provider

        dev_client = devidp.client_for(settings.secret_key, base, views.CALLBACK_PATH, POST_LOGOUT_PATH)
        devidp.init_app(app, dev_client)
        dev_issuer = devidp.issuer_for(base)

    relying_parties = {}
    for role in (CITIZEN, OFFICIAL):
        provider = auth.provider(role)
        if provider.embedded:
            config = ProviderConfig(dev_issuer, dev_client.client_id, dev_client.client_secret, base + views.CALLBACK_PATH)
        else:
            config = ProviderConfig(provider.issuer, provider.client_id, provider.client_secret,
                                    base + views.CALLBACK_PATH, scope=provider.scope)
        relying_parties[role] = RelyingParty(config)
    services(app).auth = auth
    services(app).oidc = relying_parties
    # Demo officials are created for the provider officials log in with (wallet_service.dev.demo).
    services(app).official_issuer = relying_parties[OFFICIAL].config.issuer

    # A stored session outlives its last write by the idle timeout plus the step by which `seen_at`
    # moves, so an abandoned one leaves the store soon after it has timed out.
    lifetime = dt.timedelta(seconds=min(auth.absolute_timeout, auth.idle_timeout + sessions.seen_at_step(auth.idle_timeout)))
    store.init_app(app, settings, lifetime)
    # The session is stored (and its cookie re-issued) when enforce_timeouts moves `seen_at`, not on
    # every request: writing it each time was ~5% of a wallet listing's CPU.
    app.config["SESSION_REFRESH_EACH_REQUEST"] = False
    app.before_request(lambda: sessions.enforce_timeouts(auth.idle_timeout, auth.absolute_timeout))
    app.before_request(sessions.enforce_ended_by_administrator)
    app.register_blueprint(views.bp)
    services(app).readiness_checks["identity_providers"] = (
        lambda: _check_providers(app, auth, relying_parties)
    )


def _check_providers(app: Flask, auth: AuthSettings, relying_parties: dict[str, RelyingParty]) -> None:
    for role, rp in relying_parties.items():
        if auth.provider(role).embedded:
            from ..dev.idp.keys import load_signing_key

            # Not over HTTP: a single-worker server asking itself would wait for itself.
            load_signing_key(Path(app.instance_path))
        else:
            rp.metadata()
