"""Access logs keep no secrets: login codes, credential-offer codes and ID tokens in URLs are
replaced before the request line is logged, by the development server and by gunicorn."""
from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.pki import serve

ROOT = Path(__file__).resolve().parents[2]
SECRETS = {
    "/auth/callback?code=CODE-9f3a1c&state=STATE-77b2": ("CODE-9f3a1c", "STATE-77b2"),
    "/dev-oidc/logout?id_token_hint=eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIwMjIxODYwMDEyMzQifQ.c2ln&post_logout_redirect_uri=/":
        ("eyJzdWIiOiIwMjIxODYwMDEyMzQifQ",),
    "/credential-offers/OFFER-Zq81xK": ("OFFER-Zq81xK",),
    "/presentations/requests/STATE-Kq02xZ": ("STATE-Kq02xZ",),
    "/token?pre-authorized_code=PRE-4411&tx_code=TX-5522&lang=vi": ("PRE-4411", "TX-5522"),
    "/authorize?client_id=w&request_uri=urn:ietf:params:oauth:request_uri:RQ-8812": ("RQ-8812",),
    "/credential-documents/CAP-3391/pdf?link=LINK-1177": ("CAP-3391", "LINK-1177"),
}


def _all_secrets() -> list[str]:
    return [secret for secrets in SECRETS.values() for secret in secrets]


def test_the_development_servers_request_log_keeps_no_secrets(make_app, caplog):
    app = make_app()
    url, server = serve(app)
    try:
        with caplog.at_level(logging.INFO, logger="werkzeug"):
            for target in SECRETS:
                requests.get(url + target, timeout=10, allow_redirects=False)
    finally:
        server.shutdown()
    logged = caplog.text
    assert "/auth/callback?code=[removed]&state=[removed]" in logged  # the line is still there
    assert "/credential-offers/[removed]" in logged and "lang=vi" in logged
    for secret in _all_secrets():
        assert secret not in logged


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(port: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and process.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("gunicorn did not start")


def test_gunicorns_access_log_keeps_no_secrets():
    """gunicorn with the production configuration file (a stand-in application: the log is gunicorn's)."""
    port = _free_port()
    everything = '%(h)s "%(r)s" %(s)s "%(f)s" %(U)s %(q)s %({raw_uri}e)s %({cookie}i)s %({authorization}i)s'
    env = {**os.environ, "BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "1", "GUNICORN_THREADS": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--access-logformat", everything,
         "wsgiref.simple_server:demo_app"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        _wait_for(port, process)
        for target in SECRETS:
            requests.get(f"http://127.0.0.1:{port}{target}", timeout=10,
                         headers={"Referer": f"http://127.0.0.1:{port}/auth/callback?code=REF-CODE-1",
                                  "Cookie": "session=SID-secret", "Authorization": "Bearer BEARER-secret"})
    finally:
        process.terminate()
        logged, _ = process.communicate(timeout=30)
    assert "GET /auth/callback?code=[removed]&state=[removed] HTTP/1.1" in logged
    assert "/credential-offers/[removed]" in logged and "lang=vi" in logged
    for secret in (*_all_secrets(), "REF-CODE-1", "SID-secret", "BEARER-secret"):
        assert secret not in logged
