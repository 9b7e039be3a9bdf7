"""Where signing keys come from. The database names a key (`Official.key_reference`, the agency
code); a `KeyDirectory` turns that name into a `signing.keys.KeySource`. With `KEYS_CONFIG` set
(required in production): the keys that file names (`key_config`). Otherwise, in development: the
PKI generated under `instance/pki/` with its TSA/OCSP/CRL mounted at `/dev-pki` of this app."""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Protocol

import requests
from flask import Flask
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from adapters.devpki import DevPki, DevPkiIdentity, dev_pki_services_app, ensure_dev_pki, load_dev_pki
from adapters.keys.pkcs12 import Pkcs12KeySource
from signing.errors import InvalidRequest
from signing.keys import KeySource
from signing.profiles import PadesLevel, TrustServices

from . import demo
from .errors import ApiError

DEV_PKI_MOUNT = "/dev-pki"


class KeyUnavailable(ApiError):
    status = 409
    code = "key_unavailable"


class KeyDirectory(Protocol):
    trust_services: TrustServices
    """The TSA (and timeouts) signatures of B-T and above use."""

    def official_key(self, key_reference: str) -> KeySource: ...

    def agency_key(self, agency_code: str) -> KeySource: ...

    def trust_root_paths(self) -> list[Path]:
        """PEM files of the roots the service's own signatures chain to."""


class DevPkiKeyDirectory:
    """PKCS#12 files of the development PKI, each parsed once per process (parsing an RSA key
    costs ~40 ms; a batch must not pay it per document)."""

    def __init__(self, pki: DevPki):
        self.pki = pki
        self.trust_services = TrustServices(tsa_url=pki.tsa_url)
        self._loaded: dict[str, KeySource] = {}
        self._lock = threading.Lock()

    def _load(self, key: str) -> KeySource:
        with self._lock:
            if key not in self._loaded:
                try:
                    path = self.pki.pkcs12_path(key)
                except Exception as exc:  # the PKI names what is missing
                    raise KeyUnavailable(f"No signing key '{key}' in the development PKI: {exc}") from None
                self._loaded[key] = Pkcs12KeySource.from_file(path, self.pki.pkcs12_passphrase())
            return self._loaded[key]

    def official_key(self, key_reference: str) -> KeySource:
        return self._load(key_reference)

    def agency_key(self, agency_code: str) -> KeySource:
        return self._load(agency_code)

    def trust_root_paths(self) -> list[Path]:
        return [self.pki.root_cert_path]


def demo_identities() -> tuple[DevPkiIdentity, ...]:
    """Certificates for the demo officials and agencies (wallet_service.demo is the one list)."""
    names = {a.code: a.name for a in demo.AGENCIES}
    return tuple(
        [DevPkiIdentity(o.username, "official", o.full_name, names[o.agency_code]) for o in demo.OFFICIALS]
        + [DevPkiIdentity(a.code, "agency", a.name, a.name) for a in demo.AGENCIES]
    )


def init_dev_pki(app: Flask) -> str:
    """`wallet-service init` step: create the development PKI once."""
    settings = app.extensions["wallet.settings"]
    pki = ensure_dev_pki(settings.pki_dir, settings.public_base_url.rstrip("/") + DEV_PKI_MOUNT, demo_identities())
    app.extensions["wallet.keys"] = DevPkiKeyDirectory(pki)
    return f"development PKI ready: {pki.directory} (TSA {pki.tsa_url})"


def init_app(app: Flask) -> None:
    settings = app.extensions["wallet.settings"]
    checks = app.extensions.setdefault("wallet.readiness_checks", {})
    checks["timestamp_service"] = lambda: _check_tsa(key_directory(app))
    if settings.keys_config:
        from .key_config import ConfigKeyDirectory  # it needs KeyUnavailable from here

        try:
            needs_timestamp = PadesLevel.parse(settings.signature_level).needs_timestamp
        except InvalidRequest:
            needs_timestamp = True  # an unknown level is refused when signing; assume it is timestamped
        directory = ConfigKeyDirectory.from_file(Path(settings.keys_config), needs_timestamp=needs_timestamp)
        app.extensions["wallet.keys"] = directory
        checks["keys"] = directory.check
        return
    # Production without KEYS_CONFIG never gets here: Settings.check refuses to start.
    checks["keys"] = lambda: key_directory(app)
    app.extensions.setdefault("wallet.init_steps", []).append(init_dev_pki)
    try:
        pki = load_dev_pki(settings.pki_dir)
    except Exception:  # not created yet: `wallet-service init` makes it
        return
    app.extensions["wallet.keys"] = DevPkiKeyDirectory(pki)
    app.wsgi_app = DispatcherMiddleware(app.wsgi_app, {DEV_PKI_MOUNT: dev_pki_services_app(pki)})


def _check_tsa(keys: KeyDirectory) -> None:
    """Any HTTP answer from the TSA's address means it is reachable; a timestamp itself costs more."""
    if keys.trust_services.tsa_url:
        requests.head(keys.trust_services.tsa_url, timeout=3)


def key_directory(app: Flask) -> KeyDirectory:
    try:
        return app.extensions["wallet.keys"]
    except KeyError:
        raise KeyUnavailable("No signing keys are configured; set KEYS_CONFIG, or run `wallet-service init` "
                             "for the development PKI.") from None
