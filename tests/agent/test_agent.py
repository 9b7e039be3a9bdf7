"""The token-signing agent as an official runs it: `wallet-service agent` in its own process
against a SoftHSM2 token with the development PKI's keys, the PIN given on stdin, spoken to over
HTTP on loopback as the service's page would (and as other pages would try to)."""
from __future__ import annotations

import base64
import hashlib
import os
import secrets
import select
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

from tests.signing.key_fixtures import softhsm_token_for

ORIGIN = "https://service.example"
ROOT = Path(__file__).resolve().parents[2]
# Imported from this worktree; the bogus WALLET_ENV makes create_app fail, so the agent proves
# it needs no app, configuration or database.
COMMAND = [sys.executable, "-c", "from wallet_service.cli import main; main()", "agent"]


@pytest.fixture(scope="module")
def hsm(trusted_pki, tmp_path_factory):
    with softhsm_token_for(trusted_pki, tmp_path_factory.mktemp("agent-softhsm")) as token:
        yield token


def agent_args(hsm, *extra: str, origin: str = ORIGIN) -> list[str]:
    return [*COMMAND, "--module", hsm["module"], "--token", hsm["token"], "--key", "official1",
            "--origin", origin, "--port", "0", "--pin-stdin", *extra]


def start(hsm, stdin: str, *extra: str, origin: str = ORIGIN) -> subprocess.Popen:
    env = {**os.environ, "WALLET_ENV": "not-a-wallet-env"}
    proc = subprocess.Popen(agent_args(hsm, *extra, origin=origin), cwd=ROOT, env=env, text=True, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdin.write(stdin)
    proc.stdin.flush()
    return proc


def listening_url(proc: subprocess.Popen) -> str:
    """The agent's announcement line names the port it bound (--port 0)."""
    ready, _, _ = select.select([proc.stdout], [], [], 30)
    line = proc.stdout.readline() if ready else ""
    assert "http://127.0.0.1:" in line, (line, proc.poll(), proc.stderr.read() if proc.poll() is not None else "")
    return "http://127.0.0.1:" + line.split("http://127.0.0.1:")[1].split()[0]


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def agent(hsm):
    proc = start(hsm, hsm["pin"] + "\n")
    url = listening_url(proc)
    yield url
    stop(proc)


def page(**headers) -> dict[str, str]:
    return {"Origin": ORIGIN, **headers}


def sign_body(digests: list[str], **fields) -> dict:
    return {"batch": "batch-42", "nonce": secrets.token_urlsafe(16), "digest_algorithm": "sha256",
            "digests": digests, **fields}


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def verify(certificate: x509.Certificate, signature: bytes, digest: bytes) -> None:
    key = certificate.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        key.verify(signature, digest, padding.PKCS1v15(), Prehashed(hashes.SHA256()))
    else:
        key.verify(signature, digest, ec.ECDSA(Prehashed(hashes.SHA256())))


def test_certificate_endpoint_gives_the_official_certificate_chain_and_mechanism(agent, trusted_pki):
    answer = requests.get(f"{agent}/v1/certificate", headers=page(), timeout=10)
    assert answer.status_code == 200
    assert answer.headers["Access-Control-Allow-Origin"] == ORIGIN
    body = answer.json()
    leaf = x509.load_der_x509_certificate(base64.b64decode(body["certificate"]))
    assert "Nguyễn Văn An" in leaf.subject.rfc4514_string()
    chain = [x509.load_der_x509_certificate(base64.b64decode(c)) for c in body["chain"]]
    assert chain and chain[0].subject == leaf.issuer
    assert body["key_algorithm"] == "rsa" and body["signature_algorithm"] == "sha256_rsa"


def test_signs_real_digests_verifiable_with_the_returned_certificate(agent):
    digests = [hashlib.sha256(f"tài liệu {i}".encode()).digest() for i in range(5)]
    body = sign_body([b64(d) for d in digests])
    answer = requests.post(f"{agent}/v1/sign", json=body, headers=page(), timeout=30)
    assert answer.status_code == 200, answer.text
    signed = answer.json()
    assert (signed["batch"], signed["nonce"]) == (body["batch"], body["nonce"])
    certificate = x509.load_der_x509_certificate(base64.b64decode(signed["certificate"]))
    assert len(signed["signatures"]) == 5
    for digest, signature in zip(digests, signed["signatures"]):
        verify(certificate, base64.b64decode(signature), digest)


def test_a_replayed_nonce_is_refused(agent):
    body = sign_body([b64(hashlib.sha256(b"x").digest())])
    assert requests.post(f"{agent}/v1/sign", json=body, headers=page(), timeout=30).status_code == 200
    again = requests.post(f"{agent}/v1/sign", json=body, headers=page(), timeout=30)
    assert again.status_code == 409 and again.json()["error"] == "nonce_replayed"


@pytest.mark.parametrize("headers", [{"Origin": "https://evil.example"}, {"Origin": ORIGIN + ":444"},
                                     {"Origin": "null"}, {}])
def test_other_or_missing_origins_are_refused_everywhere(agent, headers):
    for method, path in [("GET", "/v1/certificate"), ("POST", "/v1/sign"), ("GET", "/nowhere")]:
        answer = requests.request(method, f"{agent}{path}", json=sign_body([]), headers=headers, timeout=10)
        assert answer.status_code == 403 and answer.json()["error"] == "origin_refused"
        assert "Access-Control-Allow-Origin" not in answer.headers


def test_a_host_other_than_loopback_is_refused(agent):
    port = agent.rsplit(":", 1)[1]
    rebound = requests.get(f"{agent}/v1/certificate", headers=page(Host=f"attacker.example:{port}"), timeout=10)
    assert rebound.status_code == 403 and rebound.json()["error"] == "host_refused"
    assert requests.get(f"{agent}/v1/certificate", headers=page(Host=f"localhost:{port}"), timeout=10).ok


def test_preflight_answers_the_service_origin_only(agent):
    asked = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type",
             "Access-Control-Request-Private-Network": "true"}
    ok = requests.options(f"{agent}/v1/sign", headers=page(**asked), timeout=10)
    assert ok.status_code == 204
    assert ok.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert ok.headers["Access-Control-Allow-Private-Network"] == "true"
    assert "POST" in ok.headers["Access-Control-Allow-Methods"]
    assert "content-type" in ok.headers["Access-Control-Allow-Headers"].lower()
    other = requests.options(f"{agent}/v1/sign", headers={**asked, "Origin": "https://evil.example"}, timeout=10)
    assert other.status_code == 403
    assert not [h for h in other.headers if h.lower().startswith("access-control-")]


@pytest.mark.parametrize("digests, code", [
    (["not base64!"], "bad_digest_encoding"),
    ([b64(b"short")], "bad_digest_length"),
    ([b64(hashlib.sha512(b"x").digest())], "bad_digest_length"),
    ([b64(bytes(32))] * 1001, "too_many_digests"),
    ([], "bad_digests"),
    ([123], "bad_digest_encoding"),
])
def test_malformed_digests_are_400_with_a_code(agent, digests, code):
    answer = requests.post(f"{agent}/v1/sign", json=sign_body(digests), headers=page(), timeout=10)
    assert answer.status_code == 400 and answer.json()["error"] == code
    assert answer.headers["Access-Control-Allow-Origin"] == ORIGIN  # the page can read why


@pytest.mark.parametrize("fields, code", [
    ({"digest_algorithm": "md5"}, "unsupported_digest_algorithm"),
    ({"nonce": "short"}, "bad_nonce"),
    ({"batch": "lô 1\n"}, "bad_batch"),
])
def test_malformed_fields_are_400_with_a_code(agent, fields, code):
    body = sign_body([b64(bytes(32))], **fields)
    answer = requests.post(f"{agent}/v1/sign", json=body, headers=page(), timeout=10)
    assert answer.status_code == 400 and answer.json()["error"] == code


def test_only_json_bodies_are_accepted(agent):
    answer = requests.post(f"{agent}/v1/sign", data="batch=1", headers=page(), timeout=10)
    assert answer.status_code == 415 and answer.json()["error"] == "unsupported_media_type"


def test_confirmation_on_the_terminal_declines_then_signs(hsm):
    proc = start(hsm, f"{hsm['pin']}\nn\ny\n", "--confirm")
    try:
        url = listening_url(proc)
        body = sign_body([b64(bytes(32))] * 3)
        declined = requests.post(f"{url}/v1/sign", json=body, headers=page(), timeout=30)
        assert declined.status_code == 403 and declined.json()["error"] == "declined"
        accepted = requests.post(f"{url}/v1/sign", json=sign_body([b64(bytes(32))]), headers=page(), timeout=30)
        assert accepted.status_code == 200
    finally:
        stop(proc)
    assert "Ký 3 tài liệu cho lô batch-42? [y/N]" in proc.stdout.read()


def test_a_wrong_pin_stops_the_agent_without_echoing_it(hsm):
    proc = start(hsm, "987123\n")
    out, err = proc.communicate(timeout=60)
    assert proc.returncode != 0
    assert "pin_incorrect" in err and "Mã PIN không đúng" in err
    assert "987123" not in out + err
    assert "http://" not in out  # never listened


@pytest.mark.parametrize("option, value, says", [
    ("--host", "0.0.0.0", "127.0.0.1"),
    ("--host", "192.168.1.10", "127.0.0.1"),
    ("--origin", "*", "Origin"),
    ("--origin", "https://service.example/", "Origin"),
    ("--origin", "http://service.example", "Origin"),
])
def test_options_that_would_expose_the_agent_are_refused_before_the_pin(monkeypatch, option, value, says):
    import wallet_service.cli as cli

    monkeypatch.setattr(cli, "create_app", lambda: pytest.fail("the agent needs no app"))
    args = ["agent", "--module", "/nowhere.so", "--token", "t", "--key", "k", "--origin", ORIGIN, option, value]
    result = CliRunner().invoke(cli.main, args, input="")
    assert result.exit_code != 0
    assert says in result.output and "PIN" not in result.output


def test_an_oversized_body_is_refused(agent):
    body = sign_body([b64(bytes(32))], batch="b" * 128, padding="x" * 300_000)
    answer = requests.post(f"{agent}/v1/sign", json=body, headers=page(), timeout=10)
    assert answer.status_code == 413 and answer.json()["error"] == "request_entity_too_large"
