"""Reusable pytest fixtures: the development PKI served over real HTTP on loopback.

Use from another test directory with ``pytest_plugins = ["tests.signing.pki_fixtures"]``
(repository root on ``sys.path``) or ``from pki_fixtures import *`` inside tests/signing.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from adapters.devpki import DEMO_IDENTITIES, DevPki, dev_pki_services_app, ensure_dev_pki


class _LateBoundApp:
    """WSGI app whose target is set after the server knows its port (URLs embed it)."""

    def __init__(self):
        self.target = None

    def __call__(self, environ, start_response):
        return self.target(environ, start_response)


def serve_dev_pki(directory: Path):
    """Start the PKI services on an ephemeral loopback port; returns (DevPki, server)."""
    app = _LateBoundApp()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    base = f"http://127.0.0.1:{server.server_port}/dev-pki"
    pki = ensure_dev_pki(directory, base, DEMO_IDENTITIES)
    services = dev_pki_services_app(pki)

    def strip_prefix(environ, start_response):
        path = environ.get("PATH_INFO", "")
        if not path.startswith("/dev-pki/"):
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found"]
        environ = dict(environ, PATH_INFO=path[len("/dev-pki"):],
                       SCRIPT_NAME=environ.get("SCRIPT_NAME", "") + "/dev-pki")
        return services(environ, start_response)

    app.target = strip_prefix
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return pki, server


@pytest.fixture(scope="session")
def dev_pki(tmp_path_factory) -> DevPki:
    """A development PKI with the demo identities; its TSA/OCSP/CRL/certs are live."""
    pki, server = serve_dev_pki(tmp_path_factory.mktemp("pki"))
    yield pki
    server.shutdown()
