"""The embedded development remote-signing service (CSC API v2, SCAL2), mounted at
`/dev-csc/csc/v2` beside `/dev-pki` when no KEYS_CONFIG names real keys. It holds the demo
officials' keys; signing needs the official's PIN (`holders.DEMO_PIN`) and the current one-time code
of their credential (`wallet-service dev otp NAME`). Refused in production."""
from __future__ import annotations

from pathlib import Path

from flask import Flask
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from ...platform.config import ConfigError
from ...services import services
from .. import demo
from .holders import DEMO_PIN, DevCscSecrets, ensure_secrets, load_secrets
from .service import DevCscService
from .wsgi import API_PATH, DevCscApp

__all__ = ["DEMO_PIN", "MOUNT", "DevCscSecrets", "DevCscService", "api_url", "credential_ids", "init_app",
           "load_secrets"]

MOUNT = "/dev-csc"


def api_url(public_base_url: str) -> str:
    """The service root a CSC client is given (ends in `/csc/v2`)."""
    return public_base_url.rstrip("/") + MOUNT + API_PATH


def credential_ids() -> tuple[str, ...]:
    """One credential per demo official, named by the username (also the official's key reference)."""
    return tuple(o.username for o in demo.OFFICIALS)


def init_app(app: Flask) -> DevCscService:
    settings = services(app).settings
    if settings.is_production:
        raise ConfigError("The development remote-signing service is refused when WALLET_ENV=production.")
    service = DevCscService(Path(app.instance_path), settings.pki_dir, credential_ids())
    services(app).devcsc = service
    app.wsgi_app = DispatcherMiddleware(app.wsgi_app, {MOUNT: DevCscApp(service)})
    services(app).init_steps.append(_make_secrets)
    return service


def _make_secrets(app: Flask) -> str:
    path, made = ensure_secrets(Path(app.instance_path), credential_ids())
    return f"development remote-signing service secrets {'created' if made else 'ready'}: {path}"
