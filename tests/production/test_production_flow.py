"""The service as a provincial IT team deploys it from the README alone (`make test-production`; not
part of `make test`): WALLET_ENV=production on PostgreSQL and Redis, gunicorn (TLS, for an https://
PUBLIC_BASE_URL), a Celery worker with beat, a real `oidc-provider` registered as the README's guide
says, the agency seal in a SoftHSM2 token and the official's key at a CSC v2 service. The agency, the
official and the case system are registered with the documented commands only; then a case system
posts a result, the official signs it (PIN and one-time code), the citizen finds it in the wallet and
anyone verifies the PDF."""
from __future__ import annotations

import datetime as dt
import ipaddress
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import jwt
import psycopg
import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

if not os.environ.get("WALLET_PRODUCTION_TEST"):
    pytest.skip("`make test-production` runs this (WALLET_PRODUCTION_TEST=1)", allow_module_level=True)

from tests.auth.browser import log_in  # noqa: E402
from tests.peers.csc_server import CscServer, credential_from_pkcs12, start_csc_server  # noqa: E402
from tests.pki import serve_pki  # noqa: E402
from tests.signing.key_fixtures import softhsm_token_for  # noqa: E402
from wallet_service.dev.demo import result_pdf  # noqa: E402
from wallet_service.dev.idp.accounts import ACCOUNTS  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
OIDC_PEER = ROOT / "tests" / "peers" / "oidc"
BIN = Path(sys.executable).parent
POSTGRES = os.environ.get("WALLET_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
REDIS = os.environ.get("WALLET_TEST_REDIS_URL", "redis://127.0.0.1:6379/0").rsplit("/", 1)[0]
WARD, WARD_NAME = "000.00.15.H40", "Trung tâm Phục vụ hành chính công phường Hạ Long"
OFFICIAL_PIN = "135790"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tls_certificate(folder: Path) -> tuple[Path, Path]:
    """The reverse proxy's part: a certificate for 127.0.0.1, so PUBLIC_BASE_URL can be https://."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now).not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "tls.pem", folder / "tls.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def pem_key(path: Path):
    key = ec.generate_private_key(ec.SECP256R1())
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    return key


@pytest.fixture
def database():
    """A fresh PostgreSQL database beside the one named (step 1 of the README's Production)."""
    name = f"wallet_production_{uuid.uuid4().hex[:8]}"
    admin = POSTGRES.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    yield POSTGRES.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def oidc_provider(request):
    """oidc-provider registered as the README's guide says; `start(base)` once the address is known."""
    started = []

    def start(base: str) -> str:
        clients = [{"client_id": cid, "client_secret": f"{cid}-secret-0123456789abcdef",
                    "redirect_uris": [f"{base}/auth/callback"], "post_logout_redirect_uris": [f"{base}/"],
                    "response_types": ["code"], "grant_types": ["authorization_code"],
                    "token_endpoint_auth_method": "client_secret_basic"}
                   for cid in ("wallet-citizen", "wallet-official")]
        node = shutil.which("node")
        env = {"PATH": f"{Path(node).parent}:/usr/bin:/bin", "NODE_ENV": "test", "PEER_CLIENTS": json.dumps(clients),
               "PEER_ACCOUNTS": json.dumps({u: a.claims() for u, a in ACCOUNTS.items()})}
        process = subprocess.Popen([node, "provider.mjs"], cwd=OIDC_PEER, env=env, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True)
        started.append(process)
        line = process.stdout.readline()
        assert line.startswith("ready "), line + process.stderr.read()
        return line.split()[1]

    yield start
    for process in started:
        process.terminate()
        process.wait(timeout=10)


def environment(tmp: Path, database_url: str, port: int, pki, hsm_conf: Path, csc_url: str) -> dict[str, str]:
    """Step 3 of the README's Production, variable by variable, plus the secrets its KEYS_CONFIG names."""
    roots = tmp / "trust-roots"
    roots.mkdir()
    shutil.copy(pki.root_cert_path, roots / "root.pem")
    pem_key(tmp / "credential-signing-key.pem")
    keys = tmp / "keys.toml"
    keys.write_text(f'''tsa_url = "{pki.tsa_url}"
trust_roots = ["trust-roots/root.pem"]
[officials]
official1 = "csc:{csc_url}?credential=official1&client=wallet&secret-env=CSC_SECRET"
[agencies]
"{WARD}" = "pkcs11:/usr/lib/softhsm/libsofthsm2.so?token=wallet-test&key={WARD}&pin-env=SEAL_PIN"
''')
    queue = f"wallet-production-{uuid.uuid4().hex[:8]}"
    return {
        "WALLET_ENV": "production", "SECRET_KEY": "k" * 48, "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": f"{REDIS}/13", "CELERY_QUEUE": queue,
        "PUBLIC_BASE_URL": f"https://127.0.0.1:{port}", "INSTANCE_PATH": str(tmp / "instance"),
        "DOCUMENTS_PATH": str(tmp / "documents"), "KEYS_CONFIG": str(keys), "TRUST_ROOTS_PATH": str(roots),
        "CREDENTIAL_ISSUER_KEY_FILE": str(tmp / "credential-signing-key.pem"),
        "RATELIMIT_STORAGE_URI": f"{REDIS}/11", "SESSION_REDIS_URL": f"{REDIS}/12",
        "CSC_SECRET": "csc-service-secret", "SEAL_PIN": "123456", "SOFTHSM2_CONF": str(hsm_conf),
        "BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "1", "PYTHONPATH": str(ROOT),
    }


def command(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    ran = subprocess.run([str(BIN / "wallet-service"), *args], cwd=ROOT, env={**os.environ, **env},
                         capture_output=True, text=True, timeout=300)
    assert ran.returncode == 0, f"wallet-service {' '.join(args)}: {ran.stdout}{ran.stderr}"
    return ran


def test_post_sign_wallet_verify_in_production(tmp_path, database, oidc_provider):
    pki, pki_server = serve_pki(tmp_path / "pki", "trusted")
    official = credential_from_pkcs12("official1", pki.pkcs12_path("official1").read_bytes(),
                                      pki.pkcs12_passphrase(), OFFICIAL_PIN)
    csc_url, csc_server = start_csc_server(CscServer([official], "wallet", "csc-service-secret"))
    port = free_port()
    base = f"https://127.0.0.1:{port}"
    issuer = oidc_provider(base)
    processes: list[subprocess.Popen] = []
    (tmp_path / "hsm").mkdir()
    with softhsm_token_for(pki, tmp_path / "hsm"):  # the seal's token (README: "What to obtain for the keys")
        env = environment(tmp_path, database, port, pki, tmp_path / "hsm" / "softhsm2.conf", csc_url)
        for role, claims in (("CITIZEN", "vneid"), ("OFFICIAL", "standard")):
            cid = f"wallet-{role.lower()}"
            env.update({f"OIDC_{role}_ISSUER": issuer, f"OIDC_{role}_CLIENT_ID": cid,
                        f"OIDC_{role}_CLIENT_SECRET": f"{cid}-secret-0123456789abcdef", f"OIDC_{role}_CLAIMS": claims})
        try:
            register(env, tmp_path)
            processes = start_processes(env, tmp_path, port)
            flow(env, base, tmp_path / "tls.pem", tmp_path)
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                try:
                    process.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    process.kill()
            csc_server.shutdown()
            pki_server.shutdown()
    check_logs(tmp_path)


def register(env: dict[str, str], tmp: Path) -> None:
    """Step 4 of the README's Production, with the documented commands only."""
    print(command(env, "init").stdout)
    print(command(env, "agencies", "add", WARD, "--name", WARD_NAME, "--commune-code", "06688").stdout)
    print(command(env, "officials", "add", "official1", "--name", "Nguyễn Văn An", "--agency", WARD,
                  "--roles", "signer,annul").stdout)
    client_key = pem_key(tmp / "mot-cua.key.pem")
    (tmp / "mot-cua.pub.pem").write_bytes(client_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    print(command(env, "clients", "add", "mot-cua", "--agency", WARD, "--public-key", str(tmp / "mot-cua.pub.pem")).stdout)
    checked = command(env, "keys", "check").stdout
    print(checked)
    assert checked.count(": ok: ") == 2, checked


def start_processes(env: dict[str, str], tmp: Path, port: int) -> list[subprocess.Popen]:
    """Step 5: gunicorn (with TLS standing in for the reverse proxy) and one worker with beat."""
    cert, key = tls_certificate(tmp)
    full = {**os.environ, **env}
    web = subprocess.Popen([str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "--certfile", str(cert), "--keyfile", str(key),
                            "wsgi:app"], cwd=ROOT, env=full, stdout=open(tmp / "web.log", "w"), stderr=subprocess.STDOUT)
    worker = subprocess.Popen([str(BIN / "celery"), "-A", "wallet_service.worker", "worker", "-B", "--concurrency", "1",
                               "--hostname", f"production-test-{port}@%h", "--loglevel", "INFO"],
                              cwd=ROOT, env=full, stdout=open(tmp / "worker.log", "w"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while True:
        try:
            ready = requests.get(f"https://127.0.0.1:{port}/readyz", verify=str(cert), timeout=10)
            if ready.status_code == 200:
                break
        except requests.RequestException:
            pass
        assert time.monotonic() < deadline, (tmp / "web.log").read_text()[-3000:]
        time.sleep(1)
    return [web, worker]


def flow(env: dict[str, str], base: str, cert: Path, tmp: Path) -> None:
    """Post, sign, wallet, verify, each through the public interface."""
    started = time.monotonic()
    result_id = post_result(base, cert, tmp)
    print(f"posted {result_id} after {time.monotonic() - started:.1f} s")
    sign(base, cert, result_id)
    print(f"signed after {time.monotonic() - started:.1f} s")
    citizen = browser(cert)
    assert log_in(citizen, base, "citizen", "citizen1").url == base + "/wallet/"
    listed = citizen.get(f"{base}/api/v1/wallet/results").json()
    (mine,) = [r for r in listed if r["id"] == result_id]
    assert mine["status"] in ("signed", "delivered"), mine
    signed_pdf = citizen.get(f"{base}/api/v1/results/{result_id}/document").content
    (tmp / "signed.pdf").write_bytes(signed_pdf)
    report = requests.post(f"{base}/api/v1/verify", files={"document": ("signed.pdf", signed_pdf, "application/pdf")},
                           verify=str(cert), timeout=60).json()
    assert report["indication"] == "TOTAL-PASSED", report
    assert [s["pades_level"] for s in report["signatures"]][-1] == "B-LTA", report["signatures"]
    assert report["document_timestamps"], report
    print(f"verified after {time.monotonic() - started:.1f} s: {report['indication']}, "
          f"{len(report['signatures'])} signatures, {len(report['document_timestamps'])} document timestamp(s)")


def browser(cert: Path) -> requests.Session:
    """A person's browser trusting the reverse proxy's certificate (not REQUESTS_CA_BUNDLE's, which
    requests would otherwise prefer to the session's own)."""
    session = requests.Session()
    session.trust_env = False
    session.verify = str(cert)
    return session


def post_result(base: str, cert: Path, tmp: Path) -> str:
    key = serialization.load_pem_private_key((tmp / "mot-cua.key.pem").read_bytes(), None)
    now = int(time.time())
    token = jwt.encode({"iss": "mot-cua", "aud": base, "iat": now, "exp": now + 60, "jti": str(uuid.uuid4())},
                       key, algorithm="ES256")
    dossier = f"{WARD}-{dt.date.today():%y%m%d}-0001"
    metadata = {"dossier_code": dossier, "procedure_code": "1.001193.000.00.00.H40",
                "procedure_name": "Thủ tục đăng ký khai sinh", "citizen_id": "022186001234",
                "citizen_name": "Lê Thị Hoa", "title": "Trích lục khai sinh", "agency_code": WARD}
    pdf = result_pdf(WARD_NAME, "Trích lục khai sinh", "Lê Thị Hoa", dossier, ("Nội dung: thử nghiệm",))
    posted = requests.post(f"{base}/api/v1/results", headers={"Authorization": f"Bearer {token}"}, verify=str(cert),
                           files={"document": ("result.pdf", pdf, "application/pdf")},
                           data={"metadata": json.dumps(metadata, ensure_ascii=False)}, timeout=60)
    assert posted.status_code == 201, posted.text
    assert posted.headers["X-Request-ID"]
    (tmp / "bearer.txt").write_text(token)
    return posted.json()["id"]


def sign(base: str, cert: Path, result_id: str) -> None:
    official = browser(cert)
    page = log_in(official, base, "official", "official1")
    assert page.url == base + "/official/", page.text[-2000:]
    csrf = re.search(r'<meta name="csrf-token" content="([^"]+)"', page.text).group(1)
    headers = {"X-CSRFToken": csrf, "Referer": base + "/official/"}
    created = official.post(f"{base}/api/v1/signing-batches", json={"result_ids": [result_id]}, headers=headers)
    assert created.status_code == 201 and created.json()["authorisation"]["method"] == "csc", created.text
    batch_url = f"{base}/api/v1/signing-batches/{created.json()['id']}"
    batch = wait_for(lambda: official.get(batch_url).json(), lambda b: b["authorisation"]["ready"])
    approved = official.post(batch_url + "/authorisation", json={"pin": OFFICIAL_PIN, "otp": "000000"}, headers=headers)
    assert approved.status_code == 202, approved.text
    batch = wait_for(lambda: official.get(batch_url).json(), lambda b: b["status"] == "finished")
    assert (batch["done"], batch["failed"]) == (1, 0), batch


def wait_for(fetch, done, seconds: float = 180):
    deadline = time.monotonic() + seconds
    while True:
        value = fetch()
        if done(value):
            return value
        assert time.monotonic() < deadline, value
        time.sleep(0.5)


def check_logs(tmp: Path) -> None:
    """JSON lines from the web process and the worker; no library chatter, no secret, no ID number."""
    web, worker = (tmp / "web.log").read_text(), (tmp / "worker.log").read_text()
    requests_logged = [json.loads(line) for line in web.splitlines() if '"wallet_service.request"' in line]
    assert any(r["route"] == "/api/v1/results" and r["status"] == 201 and r["user"] == "client" for r in requests_logged)
    assert [line for line in web.splitlines() if not _is_json(line)] == []  # every line of the web process
    worker_json = [line for line in worker.splitlines() if line.startswith("{")]
    assert worker_json, worker[-2000:]
    for text in (web, worker):
        chatter = [line for line in text.splitlines() if "fontTools" in line or "DSA is deprecated" in line]
        assert chatter == []
        for secret in ("022186001234", OFFICIAL_PIN, (tmp / "bearer.txt").read_text()):
            assert [line for line in text.splitlines() if secret in line] == []


def _is_json(line: str) -> bool:
    try:
        return isinstance(json.loads(line), dict)
    except ValueError:
        return False
