"""Login against a certified OpenID provider (`oidc-provider` from npm, tests/peers/oidc), started
with `node` on a loopback port, configured with the demo accounts: the relying party interoperates
with a real third-party implementation, for citizens (both claim profiles) and officials."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from wallet_service.dev.idp.accounts import ACCOUNTS

from .browser import log_in, submit
from wallet_service.services import services

PEER_DIR = Path(__file__).resolve().parents[1] / "peers" / "oidc"
CLIENTS = {"CITIZEN": ("wallet-citizen", "citizen-client-secret-for-tests"),
           "OFFICIAL": ("wallet-official", "official-client-secret-for-tests")}


@pytest.fixture(scope="module")
def oidc_provider(service_server):
    server, _ = service_server
    node = shutil.which("node")
    if node is None or not (PEER_DIR / "node_modules" / "oidc-provider").is_dir():
        pytest.fail(f"oidc-provider is not installed: run `npm ci` in {PEER_DIR} (needs node >= 20)")
    clients = [
        {"client_id": cid, "client_secret": secret, "redirect_uris": [server.url + "/auth/callback"],
         "post_logout_redirect_uris": [server.url + "/"]}
        for cid, secret in CLIENTS.values()
    ]
    env = {"PATH": "/usr/bin:/bin", "PEER_ACCOUNTS": json.dumps({u: a.claims() for u, a in ACCOUNTS.items()}),
           "PEER_CLIENTS": json.dumps(clients), "NODE_ENV": "test"}
    process = subprocess.Popen([node, "provider.mjs"], cwd=PEER_DIR, env={**env, "PATH": str(Path(node).parent) + ":/usr/bin:/bin"},
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
        if not line.startswith("ready "):
            process.kill()
            pytest.fail(f"oidc-provider did not start: {line}{process.stderr.read()}")
        yield line.split()[1]
    finally:
        process.terminate()
        process.wait(timeout=10)


def config(issuer: str, citizen_claims: str) -> dict:
    values = {}
    for role, (client_id, secret) in CLIENTS.items():
        values.update({f"OIDC_{role}_ISSUER": issuer, f"OIDC_{role}_CLIENT_ID": client_id,
                       f"OIDC_{role}_CLIENT_SECRET": secret,
                       f"OIDC_{role}_CLAIMS": citizen_claims if role == "CITIZEN" else "standard"})
    return values


def base(app) -> str:
    return services(app).settings.public_base_url


@pytest.mark.parametrize("profile", ["vneid", "standard"])
def test_citizen_logs_in(make_service, oidc_provider, browser, profile):
    app = make_service(**config(oidc_provider, profile))
    page = log_in(browser, base(app), "citizen", "citizen1")
    assert page.url == base(app) + "/wallet/", page.text
    assert "Lê Thị Hoa" in page.text
    assert browser.get(base(app) + "/api/v1/me").json() == {
        "role": "citizen", "name": "Lê Thị Hoa", "personal_id": "022186001234"}


@pytest.mark.parametrize("username, agency, roles", [
    ("official1", "000.00.15.H40", ["annul", "leader", "signer"]),
    ("official2", "000.00.04.H40", ["signer"]),
])
def test_official_logs_in(make_service, oidc_provider, browser, username, agency, roles):
    app = make_service(**config(oidc_provider, "vneid"))
    page = log_in(browser, base(app), "official", username)
    assert page.url == base(app) + "/official/"
    me = browser.get(base(app) + "/api/v1/me").json()
    assert (me["role"], me["agency"]["code"], me["roles"]) == ("official", agency, roles)


@pytest.mark.parametrize("profile", ["vneid", "standard"])
def test_level1_citizen_is_refused(make_service, oidc_provider, browser, profile):
    app = make_service(**config(oidc_provider, profile))
    page = log_in(browser, base(app), "citizen", "citizen4")
    assert page.status_code == 403 and "account_level_too_low" in page.text
    assert browser.get(base(app) + "/api/v1/me").status_code == 401


def test_logout_ends_the_provider_session_too(make_service, oidc_provider, browser):
    app = make_service(**config(oidc_provider, "vneid"))
    page = log_in(browser, base(app), "citizen", "citizen2")
    confirm = submit(browser, page)  # our logout button, then the provider asks for confirmation
    assert confirm.url.startswith(oidc_provider + "/session/end")
    done = submit(browser, confirm, button=("logout", "yes"))
    assert done.url == base(app) + "/"
    assert browser.get(base(app) + "/api/v1/me").status_code == 401
    # The provider's session is gone: logging in again asks for the password.
    again = browser.get(base(app) + "/auth/login", params={"role": "citizen"})
    assert again.url.startswith(oidc_provider + "/interaction/") and 'name="password"' in again.text
