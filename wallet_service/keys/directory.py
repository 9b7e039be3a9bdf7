"""Where signing keys come from. The database names a key (`Official.key_reference`, the agency
code); a `KeyDirectory` turns that name into a `signing.keys.KeySource`. With `KEYS_CONFIG` set
(required in production): the keys that file names (`keys.config`). Otherwise, in development: the
PKI generated under `instance/pki/` with its TSA/OCSP/CRL mounted at `/dev-pki` of this app
(`wallet_service.dev.pki`), and a remote-signing service holding the demo officials' keys at
`/dev-csc` (`wallet_service.dev.csc`)."""
from __future__ import annotations

from pathlib import Path

import requests
from flask import Flask

from signing.errors import InvalidRequest
from signing.profiles import PadesLevel

from ..services import services
from .config import ConfigKeyDirectory
from .errors import KeyUnavailable
from .interface import KeyDirectory


def init_app(app: Flask) -> None:
    settings = services(app).settings
    checks = services(app).readiness_checks
    checks["timestamp_service"] = lambda: _check_tsa(key_directory(app))
    if settings.keys_config:
        try:
            needs_timestamp = PadesLevel.parse(settings.signature_level).needs_timestamp
        except InvalidRequest:
            needs_timestamp = True  # an unknown level is refused when signing; assume it is timestamped
        directory = ConfigKeyDirectory.from_file(Path(settings.keys_config), needs_timestamp=needs_timestamp,
                                                 personal_keys_by_holder=settings.is_production)
        services(app).keys = directory
        checks["keys"] = directory.check
        return
    # Production without KEYS_CONFIG never gets here: Settings.check refuses to start.
    from ..dev import csc, pki  # development only

    checks["keys"] = lambda: key_directory(app)
    pki.init_app(app)
    csc.init_app(app)


def _check_tsa(keys: KeyDirectory) -> None:
    """Any HTTP answer from the TSA's address means it is reachable; a timestamp itself costs more."""
    if keys.trust_services.tsa_url:
        requests.head(keys.trust_services.tsa_url, timeout=3)


def key_directory(app: Flask) -> KeyDirectory:
    keys = services(app).keys
    if keys is None:
        raise KeyUnavailable("No signing keys are configured; set KEYS_CONFIG, or run `wallet-service init` "
                             "for the development PKI.")
    return keys
