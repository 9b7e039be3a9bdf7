"""The development PKI as a key directory: certificates for the demo officials and agencies under
`instance/pki/`, its TSA/OCSP/CRL mounted at `/dev-pki` of this app. Used only without KEYS_CONFIG,
which production refuses."""
from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from flask import Flask
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from adapters.devpki import DevPki, DevPkiIdentity, dev_pki_services_app, ensure_dev_pki, load_dev_pki
from adapters.keys.pkcs12 import Pkcs12KeySource
from signing.keys import KeySource
from signing.profiles import TrustServices

from . import demo
from ..keys.errors import KeyUnavailable
from ..services import services

DEV_PKI_MOUNT = "/dev-pki"


class DevPkiKeyDirectory:
    """PKCS#12 files of the development PKI, each parsed once per process (parsing an RSA key
    costs ~40 ms; a batch must not pay it per document)."""

    def __init__(self, pki: DevPki, officials: Callable[[str], KeySource] | None = None):
        """`officials`: where officials' keys come from instead of the PKI's files (the embedded
        remote-signing service, so that each batch needs the official's own approval)."""
        self.pki = pki
        self.officials = officials
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
        return self.officials(key_reference) if self.officials else self._load(key_reference)

    def agency_key(self, agency_code: str) -> KeySource:
        return self._load(agency_code)

    def trust_root_paths(self) -> list[Path]:
        return [self.pki.root_cert_path]


def demo_identities() -> tuple[DevPkiIdentity, ...]:
    """Certificates for the demo officials and agencies (wallet_service.dev.demo is the one list)."""
    names = {a.code: a.name for a in demo.AGENCIES}
    return tuple(
        [DevPkiIdentity(o.username, "official", o.full_name, names[o.agency_code]) for o in demo.OFFICIALS]
        + [DevPkiIdentity(a.code, "agency", a.name, a.name) for a in demo.AGENCIES]
    )


def init_dev_pki(app: Flask) -> str:
    """`wallet-service init` step: create the development PKI once."""
    settings = services(app).settings
    pki = ensure_dev_pki(settings.pki_dir, settings.public_base_url.rstrip("/") + DEV_PKI_MOUNT, demo_identities())
    services(app).keys = _directory(app, pki)
    return f"development PKI ready: {pki.directory} (TSA {pki.tsa_url})"


def _directory(app: Flask, pki: DevPki) -> DevPkiKeyDirectory:
    settings = services(app).settings
    if settings.dev_official_signing == "server":
        return DevPkiKeyDirectory(pki)
    from .csc import api_url
    from .csc.keys import RemoteOfficialKeys

    remote = RemoteOfficialKeys(api_url(settings.public_base_url), settings.instance_path)
    return DevPkiKeyDirectory(pki, remote.key)


def init_app(app: Flask) -> None:
    """Register the `wallet-service init` step; once the PKI exists, serve its keys and services."""
    settings = services(app).settings
    services(app).init_steps.append(init_dev_pki)
    try:
        pki = load_dev_pki(settings.pki_dir)
    except Exception:  # not created yet: `wallet-service init` makes it
        return
    services(app).keys = _directory(app, pki)
    app.wsgi_app = DispatcherMiddleware(app.wsgi_app, {DEV_PKI_MOUNT: dev_pki_services_app(pki)})
