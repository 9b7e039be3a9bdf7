"""A real OpenID4VP holder against the verifier served on a loopback port: `@openid4vc/openid4vp`
resolves the clerk's QR link, fetches the request object and checks it (x5c chain up to the
development PKI's root, `x509_san_dns` client identifier), `dcql` matches the query, and
`@sd-jwt/sd-jwt-vc` discloses the asked claims with a key-binding JWT, posted by `direct_post` (or
encrypted by `jose` for `direct_post.jwt`).

Cheap by construction: one app, one Node process and two credentials (issued through the service's
own OpenID4VCI endpoints) for the whole module; each test makes a new presentation request.
(tests/peers/vp: `npm ci` there first; `make test` does.)"""
from __future__ import annotations

import base64
import html
import json
import re
import shutil
import subprocess
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.conftest import IsolatedClient, official_principal
from tests.issuer.conftest import (  # noqa: F401  (result_documents: a session fixture re-used as it is)
    CITIZEN1, CITIZEN2, make_signed_results, result_documents,
)
from tests.presentations.conftest import issue_credential, module_app
from wallet_service import create_app
from wallet_service.models import db
from wallet_service.results.annulment import annul
from wallet_service.services import services

PEER = Path(__file__).resolve().parents[1] / "peers" / "vp"
OTHER_VERIFIER = "x509_san_dns:bank.example"


class Holder:
    """The Node holder process, one for the module: a JSON command per line in, an answer per line out."""

    def __init__(self):
        node = shutil.which("node")
        assert node, "Node.js is needed for the holder peer (Debian package nodejs)"
        assert (PEER / "node_modules" / "@openid4vc" / "openid4vp").is_dir(), f"run `npm ci` in {PEER}"
        self.process = subprocess.Popen([node, "holder.mjs"], cwd=PEER, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        text=True)

    def present(self, link: str, credential: dict, trust_root: str, **kb) -> dict:
        command = {"cmd": "present", "link": link, "credential": credential["credential"],
                   "holderJwk": credential["holder_jwk"], "trustRoot": trust_root, "kb": kb}
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())

    def close(self):
        self.process.stdin.close()
        self.process.wait(10)


@pytest.fixture(scope="module")
def verifier(database_url, trusted_pki, result_documents, tmp_path_factory):
    """The app served on 127.0.0.1 (its public address), two signed results with a credential each,
    and the holder process."""
    server = make_server("127.0.0.1", 0, lambda environ, start_response: [], threaded=True)
    apps = module_app(database_url, trusted_pki.directory, tmp_path_factory.mktemp("vp-instance"),
                      public_base_url=f"http://127.0.0.1:{server.server_port}")
    app = next(apps)
    server.app = app
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    holder = Holder()
    results = make_signed_results(app, result_documents)
    credentials = {number: issue_credential(app, results[number]) for number in (CITIZEN1, CITIZEN2)}
    yield {"app": app, "results": results, "credentials": credentials, "holder": holder,
           "root": trusted_pki.root_cert_path.read_text(), "server": server}
    holder.close()
    server.shutdown()
    thread.join(5)
    next(apps, None)


def _ask_on_page(app, **form) -> tuple[IsolatedClient, str, str]:
    """The clerk's browser asks on /verify/wallet; returns it, the page's address and the QR's link."""
    clerk = app.test_client()
    page = clerk.get("/verify/wallet").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    made = clerk.post("/verify/wallet", data={"csrf_token": token, **form})
    assert made.status_code == 303, made.get_data(as_text=True)
    waiting = clerk.get(made.headers["Location"]).get_data(as_text=True)
    assert 'data-testid="qr"' in waiting and "<svg" in waiting
    link = html.unescape(re.search(r'href="(openid4vp://[^"]+)"', waiting).group(1))
    return clerk, made.headers["Location"], link


def _ask_by_api(app, **body) -> dict:
    made = app.test_client().post("/api/v1/presentations", json=body)
    assert made.status_code == 201, made.get_json()
    return made.get_json()


def _read(app, made: dict, secret: str | None = None):
    return app.test_client().get(f"/api/v1/presentations/{made['id']}",
                                 headers={"Authorization": f"Bearer {secret or made['secret']}", "Accept-Language": "en"})


def test_clerk_page_shows_the_report_of_what_the_wallet_presented(verifier):
    app, result = verifier["app"], verifier["results"][CITIZEN1]
    clerk, address, link = _ask_on_page(app, procedure_code=result.procedure_code, claims=["full_name"])

    outcome = verifier["holder"].present(link, verifier["credentials"][CITIZEN1], verifier["root"])
    assert outcome["ok"], outcome
    base = services(app).settings.public_base_url
    assert outcome["client"] == {"prefix": "x509_san_dns", "identifier": "127.0.0.1"}
    assert outcome["request"]["signer"] == "x5c" and outcome["request"]["response_mode"] == "direct_post"
    assert outcome["request"]["response_uri"] == base + "/presentations/response"
    assert outcome["response"]["status"] == 200, outcome["response"]
    # Only the asked personal claim left the wallet.
    assert outcome["disclosed"] == ["full_name"]

    assert clerk.get(address + "/status").get_json() == {"status": "answered"}
    page = clerk.get(address).get_data(as_text=True)
    assert 'data-status="answered"' in page and "Hợp lệ" in page
    assert "Lê Thị Hoa" in page and result.dossier_code in page and CITIZEN1 not in page
    assert "Họ và tên" in page and "Mã hồ sơ" in page
    # Another browser (no session of the clerk's) cannot read it.
    assert app.test_client().get(address).status_code == 404


def test_clerks_system_reads_the_report_and_a_replayed_response_is_refused(verifier):
    app = verifier["app"]
    made = _ask_by_api(app, claims=["full_name", "personal_id"])
    assert made["request_link"].startswith("openid4vp://?client_id=x509_san_dns%3A127.0.0.1&request_uri=")
    assert _read(app, made).get_json()["status"] == "pending"

    outcome = verifier["holder"].present(made["request_link"], verifier["credentials"][CITIZEN1], verifier["root"])
    assert outcome["ok"] and outcome["response"]["status"] == 200, outcome
    answer = _read(app, made)
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    body = answer.get_json()
    assert body["status"] == "answered" and body["accepted"] is True
    assert body["report"]["claims"]["personal_id"] == CITIZEN1 and body["report"]["claims"]["full_name"] == "Lê Thị Hoa"
    assert "birthdate" not in body["report"]["claims"]
    assert {c["check"]: c["status"] for c in body["report"]["checks"]} == {
        "format": "passed", "issuer": "passed", "signature": "passed", "vct": "passed", "validity": "passed",
        "disclosures": "passed", "key_binding": "passed", "status": "passed", "registry": "passed", "request": "passed"}
    assert _read(app, made, secret="not-the-secret").status_code == 404

    replay = app.test_client().post("/presentations/response", data={
        "vp_token": outcome["vpToken"], "state": outcome["request"]["state"]})
    assert replay.status_code == 400
    assert replay.get_json() == {"error": "invalid_request",
                                 "error_description": "This request was already answered; a replayed response is refused."}
    assert _read(app, made).get_json()["accepted"] is True


def _present_to_a_haip_verifier(verifier, **settings_given) -> tuple[dict, dict, object]:
    """The same service with other settings, served at the same address for one presentation."""
    app, server = verifier["app"], verifier["server"]
    settings = services(app).settings
    haip = create_app({"database_url": settings.database_url, "instance_path": settings.instance_path, "TESTING": True,
                       "public_base_url": settings.public_base_url, **settings_given})
    haip.test_client_class = IsolatedClient
    server.app = haip
    try:
        made = haip.test_client().post("/api/v1/presentations", json={"claims": ["full_name"]}).get_json()
        outcome = verifier["holder"].present(made["request_link"], verifier["credentials"][CITIZEN1], verifier["root"])
    finally:
        server.app = app
    return made, outcome, haip


def test_haip_verifier_by_certificate_hash_with_encrypted_responses(verifier):
    made, outcome, haip = _present_to_a_haip_verifier(verifier, VERIFIER_CLIENT_ID_PREFIX="x509_hash",
                                                      VERIFIER_RESPONSE_MODE="direct_post.jwt")
    assert outcome["ok"] and outcome["response"]["status"] == 200, outcome
    assert outcome["client"]["prefix"] == "x509_hash" and outcome["request"]["client_id"].startswith("x509_hash:")
    assert outcome["request"]["response_mode"] == "direct_post.jwt" and outcome["encryptedResponse"].count(".") == 4
    assert _read(verifier["app"], made).get_json()["accepted"] is True
    # Such a verifier takes no plain response; a JWE for another request's key does not open.
    other = haip.test_client().post("/api/v1/presentations", json={"claims": ["full_name"]}).get_json()
    state = other["request_link"].rsplit("%2F", 1)[1]
    plain = haip.test_client().post("/presentations/response", data={"state": state, "vp_token": outcome["vpToken"]})
    assert plain.status_code == 400 and "encrypted responses only" in plain.get_json()["error_description"]
    header, rest = outcome["encryptedResponse"].split(".", 1)
    forged_header = json.loads(base64.urlsafe_b64decode(header + "=="))
    forged_header["kid"] = state
    forged = base64.urlsafe_b64encode(json.dumps(forged_header).encode()).rstrip(b"=").decode() + "." + rest
    wrong_key = haip.test_client().post("/presentations/response", data={"response": forged})
    assert wrong_key.status_code == 400 and "cannot be decrypted" in wrong_key.get_json()["error_description"]
    assert _read(haip, other).get_json()["status"] == "pending"


def _refused(verifier, credential: dict, **kb) -> tuple[dict, dict]:
    made = _ask_by_api(verifier["app"], claims=["full_name"])
    outcome = verifier["holder"].present(made["request_link"], credential, verifier["root"], **kb)
    assert outcome["ok"], outcome
    assert outcome["response"]["status"] == 400 and outcome["response"]["body"]["error"] == "invalid_presentation"
    body = _read(verifier["app"], made).get_json()
    assert body["status"] == "refused" and body["accepted"] is False
    failed = {c["check"]: c["message"] for c in body["report"]["checks"] if c["status"] == "failed"}
    return outcome, {"reason": body["report"]["reason"], "failed": failed}


def test_a_wrong_nonce_is_refused(verifier):
    outcome, report = _refused(verifier, verifier["credentials"][CITIZEN1], nonce="a-nonce-of-another-request")
    assert report["failed"] == {"key_binding": "The key-binding JWT carries another nonce: it may be replayed."}
    assert outcome["response"]["body"]["error_description"] == report["reason"]


def test_a_presentation_for_another_verifier_is_refused(verifier):
    _, report = _refused(verifier, verifier["credentials"][CITIZEN1], aud=OTHER_VERIFIER)
    assert report["failed"] == {"key_binding": "The key-binding JWT was made for another verifier (aud)."}


def test_an_annulled_result_credential_is_refused(verifier):
    result = verifier["results"][CITIZEN2]
    # The official's annulment, as the annul endpoint does it (its signal marks the credentials revoked).
    annul(db.session, official_principal("official1"), result.id, "Cấp nhầm người", services(verifier["app"]).events)
    _, report = _refused(verifier, verifier["credentials"][CITIZEN2])
    assert set(report["failed"]) == {"status", "registry"}
    assert "INVALID" in report["failed"]["status"]

    clerk, address, link = _ask_on_page(verifier["app"], claims=["full_name"])
    assert verifier["holder"].present(link, verifier["credentials"][CITIZEN2], verifier["root"])["response"]["status"] == 400
    page = clerk.get(address).get_data(as_text=True)
    assert 'data-status="refused"' in page and "Bị từ chối" in page and "ĐÃ THU HỒI" in page
    assert "Cấp nhầm người" in page and "Danh sách trạng thái ghi KHÔNG HỢP LỆ" in page
