"""The test run's two development PKIs: the trusted one (the live server's: what the service signs
with and its verifiers trust) and a foreign one (its own root: trusted by nobody). Each is made once
per test run (per xdist worker) with keys kept on disk between runs, as pyHanko's own test PKIs are:
RSA key generation is most of a PKI's cost, certificates are re-issued in every run from the cached
keys (their validity starts now)."""
from __future__ import annotations

import os
import shutil
import tempfile
import threading
from pathlib import Path

from werkzeug.serving import make_server

from adapters.devpki import DEMO_IDENTITIES, DevPki, dev_pki_services_app, ensure_dev_pki
from wallet_service.dev.pki import DEV_PKI_MOUNT as PKI_MOUNT

KEY_CACHE = Path(os.environ.get("WALLET_TEST_KEY_CACHE") or Path.home() / ".cache" / "wallet-service-tests" / "pki-keys")
"""One folder of key files per PKI name; delete it to test with fresh keys."""


def make_pki(directory: Path, services_base_url: str, name: str | None) -> DevPki:
    """A development PKI with the demo identities in `directory`, its keys those cached under `name`
    (fresh keys when `name` is None)."""
    cached = KEY_CACHE / name if name else None
    if cached and cached.is_dir():
        shutil.copytree(cached, directory / "keys")
    pki = ensure_dev_pki(directory, services_base_url, DEMO_IDENTITIES)
    if cached and not cached.is_dir():
        _keep_keys(directory / "keys", cached)
    return pki


def _keep_keys(keys: Path, cached: Path) -> None:
    """Copy the keys into the cache in one rename: another worker may be doing the same."""
    cached.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=cached.parent))
    shutil.copytree(keys, staging, dirs_exist_ok=True)
    try:
        staging.rename(cached)
    except OSError:  # the other worker's copy landed first: same use, keep theirs
        shutil.rmtree(staging, ignore_errors=True)


def pki_services_at(pki: DevPki, mount: str = PKI_MOUNT):
    """A WSGI app serving the PKI's TSA, OCSP, CRLs and certificates under `mount`."""
    services = dev_pki_services_app(pki)

    def strip_mount(environ, start_response):
        path = environ.get("PATH_INFO", "")
        if not path.startswith(mount + "/"):
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found"]
        environ = dict(environ, PATH_INFO=path[len(mount):], SCRIPT_NAME=environ.get("SCRIPT_NAME", "") + mount)
        return services(environ, start_response)

    return strip_mount


class LateBoundApp:
    """A WSGI app whose target is set per test; the server (and the URLs in the PKI) outlive tests.
    Without a target it serves `idle` (the PKI's services)."""

    def __init__(self):
        self.target = None
        self.idle = None

    def __call__(self, environ, start_response):
        return (self.target or self.idle)(environ, start_response)


def serve(app) -> tuple[str, object]:
    """Serve `app` on a free loopback port from a daemon thread; returns its URL and the server."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}", server


def serve_pki(directory: Path, name: str | None = None) -> tuple[DevPki, object]:
    """A PKI whose services answer on a loopback port of their own; returns it and the server."""
    late_bound = LateBoundApp()
    url, server = serve(late_bound)
    pki = make_pki(directory, url + PKI_MOUNT, name)
    late_bound.idle = pki_services_at(pki)
    return pki, server
