"""Signing keys from KEYS_CONFIG: an app whose official key is on a SoftHSM2 token and whose agency
seal is a PKCS#12 file signs through the batch API; a missing entry, a wrong PIN and a malformed
file each say precisely what is wrong, and no PIN or secret ever shows."""
from __future__ import annotations

import logging
import re
import shutil
from pathlib import Path

import pytest
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from adapters.devpki import dev_pki_services_app, load_dev_pki
from tests.conftest import login_as, official_principal, production_environment
from tests.service.test_signing_batches import pdfsig, ward_results
from tests.signing.key_fixtures import softhsm_token_for
from wallet_service import create_app
from wallet_service.cli import main
from wallet_service.dev.demo import result_pdf
from wallet_service.dev.pki import DEV_PKI_MOUNT
from wallet_service.keys.config import ConfigKeyDirectory
from wallet_service.models import db
from wallet_service.platform.config import ConfigError
from wallet_service.services import services

PIN_ENV = "WALLET_TEST_OFFICIAL1_PIN"
WARD = "000.00.15.H40"


@pytest.fixture(scope="module")
def pki(live_server):
    """The live server's development PKI: its TSA and OCSP answer over HTTP."""
    return load_dev_pki(live_server.pki_dir)


@pytest.fixture(scope="module")
def hsm(pki, tmp_path_factory):
    """official1's key, imported from the PKI's PKCS#12 file into a SoftHSM2 token."""
    with softhsm_token_for(pki, tmp_path_factory.mktemp("softhsm")) as token:
        yield token


def keys_toml(pki, hsm, folder) -> str:
    passphrase = folder / "seal-passphrase"
    passphrase.write_bytes(pki.pkcs12_passphrase())
    return f"""
tsa_url = "{pki.tsa_url}"
trust_roots = ["{pki.root_cert_path}"]

[officials]
official1 = "pkcs11:{hsm['module']}?token={hsm['token']}&key=official1&pin-env={PIN_ENV}"

[agencies]
"{WARD}" = "pkcs12:{pki.pkcs12_path(WARD)}?passphrase-file={passphrase}"
"""


@pytest.fixture
def app(make_app, live_server, pki, hsm, tmp_path, monkeypatch):
    """The service with KEYS_CONFIG (development otherwise: no development PKI of its own)."""
    monkeypatch.setenv(PIN_ENV, hsm["pin"])
    config = tmp_path / "keys.toml"
    config.write_text(keys_toml(pki, hsm, tmp_path))
    app = make_app(public_base_url=live_server.url, signing_workers=1, keys_config=str(config))
    with app.app_context():
        for step in services(app).init_steps:  # what `wallet-service init` does
            step(app)
        live_server.late_bound.target = DispatcherMiddleware(app.wsgi_app, {DEV_PKI_MOUNT: dev_pki_services_app(pki)})
        yield app
        db.session.remove()


def create_batch(app, username: str, ids: list[str]):
    """The official's logged-in client and the answer to creating the batch."""
    client = app.test_client()
    csrf = {"X-CSRFToken": login_as(app, client, official_principal(username))}
    return client, client.post("/api/v1/signing-batches", json={"result_ids": ids}, headers=csrf)


def sign_batch(app, username: str, ids: list[str]) -> tuple:
    """The official's logged-in client and the finished batch's progress."""
    client, created = create_batch(app, username, ids)
    assert created.status_code == 202, created.json
    services(app).jobs.wait(timeout=300)
    return client, client.get(f"/api/v1/signing-batches/{created.json['id']}").json


def test_keys_from_the_file_sign_a_batch_with_both_signatures_valid(app, demo_results, pki, tmp_path):
    keys = services(app).keys
    assert isinstance(keys, ConfigKeyDirectory)
    assert not any(rule.rule.startswith(DEV_PKI_MOUNT) for rule in app.url_map.iter_rules())
    ids = ward_results(demo_results, 2)

    client, progress = sign_batch(app, "official1", ids)

    assert (progress["status"], progress["done"], progress["failed"]) == ("finished", 2, 0), progress
    result = client.get(f"/api/v1/results/{ids[0]}").json
    assert [(s["role"], s["signer_name"]) for s in result["signatures"]] == [
        ("official", "Nguyễn Văn An"),
        ("agency", "Trung tâm Phục vụ hành chính công phường Hạ Long"),
    ]
    path = tmp_path / "signed.pdf"
    path.write_bytes(client.get(f"/api/v1/results/{ids[0]}/document").data)
    report = pdfsig(path)
    assert report.count("Signature Validation: Signature is Valid.") == 2, report
    assert report.count("Signature #") == 3, report  # B-LTA: the document timestamp from the configured TSA
    # The token was opened once and is kept: the next batch logs in again but does not reopen it.
    assert keys.official_key("official1") is keys.official_key("official1")
    # `wallet-service init` gave the verifier the roots the file names.
    copied = Path(app.instance_path) / "trust-roots" / "dev-root.pem"
    assert copied.read_bytes() == pki.root_cert_path.read_bytes()
    ready = client.get("/readyz").json["checks"]
    assert (ready["keys"], ready["timestamp_service"]) == ("ok", "ok"), ready


def test_an_official_without_an_entry_cannot_start_a_batch_and_nothing_is_claimed(app, demo_results):
    department = sorted(r.id for code, r in demo_results.items() if code.startswith("000.00.04.H40"))[:1]

    client, created = create_batch(app, "official2", department)

    assert (created.status_code, created.json["error"]) == (409, "key_unavailable"), created.json
    assert created.json["message"].startswith("No signing key for official 'official2'")
    assert "has no such entry in [officials]" in created.json["message"]
    assert client.get(f"/api/v1/results/{department[0]}").json["status"] == "pending_signature"


def test_a_wrong_pin_is_key_unavailable_and_never_shown(app, demo_results, hsm, monkeypatch, caplog):
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv(PIN_ENV, "975310")
    ids = ward_results(demo_results, 1)

    _, created = create_batch(app, "official1", ids)

    assert (created.status_code, created.json["error"]) == (409, "key_unavailable"), created.json
    assert created.json["message"].startswith("The signing key of official 'official1'"), created.json
    assert "pin_incorrect" in created.json["message"]
    for text in (str(created.json), caplog.text):
        assert "975310" not in text and hsm["pin"] not in text
    # A refused PIN is not tried again (tokens lock after a few): even once corrected, until a restart.
    monkeypatch.setenv(PIN_ENV, hsm["pin"])
    _, again = create_batch(app, "official1", ids)
    assert "Not tried again until the service restarts" in again.json["message"]


def test_readiness_names_a_secret_that_cannot_be_read(app, monkeypatch):
    monkeypatch.delenv(PIN_ENV)
    keys = app.test_client().get("/readyz").json["checks"]["keys"]
    assert keys.startswith("failing: KeyUnavailable: KEYS_CONFIG "), keys
    assert f"official official1: environment variable {PIN_ENV} is not set" in keys


def test_the_sign_command_uses_the_configured_keys(app, tmp_path):
    source = tmp_path / "in.pdf"
    source.write_bytes(result_pdf("Trung tâm Phục vụ hành chính công phường Hạ Long", "Giấy xác nhận",
                                  "Lê Thị Hoa", f"{WARD}-251121-0001", ("Nội dung: thử",)))
    runner = app.test_cli_runner()
    # agencies and officials are told apart by the file, not by the command; the PKCS#11 key at B-LTA
    # as a worker seals with it (embedded revocation data, then a document timestamp)
    for key, level in ((WARD, "B-T"), ("official1", "B-LTA")):
        out = tmp_path / f"{key}.pdf"
        signed = runner.invoke(main, ["sign", str(source), "-o", str(out), "--level", level, "--key", key])
        assert signed.exit_code == 0, signed.output
        assert signed.output.rstrip().endswith(level)
        checked = pdfsig(out)
        assert "Signature is Valid." in checked
        assert checked.count("Signature #") == (2 if level == "B-LTA" else 1), checked  # + the document timestamp
    missing = runner.invoke(main, ["sign", str(source), "-o", str(tmp_path / "x.pdf"), "--key", "nobody"])
    assert missing.exit_code != 0
    assert "key_unavailable: No signing key for official 'nobody'" in missing.output
    assert "agency 'nobody'" in missing.output


def test_keys_check_tries_every_key_one_line_each(app, make_app, live_server, pki, hsm, tmp_path):
    checked = app.test_cli_runner().invoke(main, ["keys", "check"])
    assert checked.exit_code == 0, checked.output
    official, agency = checked.output.splitlines()
    assert official.startswith("official official1: ok: Nguyễn Văn An: ") and agency.startswith(f"agency {WARD}: ok: ")
    for line in (official, agency):
        assert re.search(r": signed a test digest; chain to a trusted root, revocation fetched \([1-9] OCSP", line), line
        assert f"TSA {pki.tsa_url} gave a timestamp" in line

    # one key that cannot be opened, and a TSA that does not answer: every line says so, exit 1
    broken = tmp_path / "broken"
    broken.mkdir()
    wrong = broken / "wrong-passphrase"
    wrong.write_text("not the passphrase")
    config = broken / "keys.toml"
    config.write_text(keys_toml(pki, hsm, broken).replace(pki.tsa_url, "http://127.0.0.1:9/tsa")
                      + f'"000.00.04.H40" = "pkcs12:{pki.pkcs12_path("000.00.04.H40")}?passphrase-file={wrong}"\n')
    failing = make_app(public_base_url=live_server.url, signing_workers=1, keys_config=str(config),
                       instance_path=tmp_path / "broken-instance")
    with failing.app_context():
        answer = failing.test_cli_runner().invoke(main, ["keys", "check"])
    assert answer.exit_code == 1
    lines = answer.output.splitlines()
    assert [line.split(":")[0] for line in lines] == ["official official1", f"agency {WARD}", "agency 000.00.04.H40"]
    assert all(": FAILED: " in line and "TSA: The timestamp authority at http://127.0.0.1:9/tsa failed" in line
               for line in lines), lines
    assert "cannot open: The signing key of agency '000.00.04.H40'" in lines[2]
    assert "not the passphrase" not in answer.output


# --- a malformed file stops the app at start, naming the file and the entry -------------------------

GOOD_SPEC = "pkcs12:/srv/seal.p12?passphrase-env=SEAL_PASSPHRASE"


@pytest.mark.parametrize("content, message", [
    ("tsa_url = 'https://tsa.example/tsa'\n[officials\n", r"is not valid TOML: .*\(at line 2, column 11\)"),
    ("officials = {a = 1}", r"'tsa_url' is missing"),
    ("tsa_url = 'ftp://tsa.example'", r"'tsa_url' must be an http\(s\) URL"),
    ("tsa_url = 'https://tsa.example/tsa'\ntsa-url = 'x'", r"unknown keys tsa-url"),
    ("tsa_url = 'https://tsa.example/tsa'\n[officials]\nofficial1 = 'gpg:ABCDEF'",
     r"\[officials\] official1: Unknown key source 'gpg'; use pkcs12:, pkcs11:, csc: or agent:"),
    ("tsa_url = 'https://tsa.example/tsa'\n[agencies]\n'000.00.15.H40' = 'pkcs11:/usr/lib/p11.so?token=t&key=k'",
     r"\[agencies\] 000.00.15.H40: A pkcs11: spec needs pin-env or pin-file"),
    ("tsa_url = 'https://tsa.example/tsa'\n[officials]\nofficial1 = 'pkcs12:/srv/o.p12?passphrase-evn=X'",
     r"\[officials\] official1: Unknown pkcs12: parameter\(s\) passphrase-evn"),
    ("tsa_url = 'https://tsa.example/tsa'\n[officials]\nofficial1 = 'csc:tsa.example/csc?client=w'",
     r"\[officials\] official1: A csc: spec needs the service's https:// address"),
    ("tsa_url = 'https://tsa.example/tsa'\ntrust_roots = ['missing-root.pem']",
     r"trust root .*missing-root.pem cannot be read: No such file or directory"),
    ("tsa_url = 'https://tsa.example/tsa'\ntrust_roots = ['keys.toml']",
     r"trust root .*keys.toml is not a PEM or DER certificate"),
], ids=["bad-toml", "no-tsa", "tsa-not-http", "unknown-key", "unknown-scheme", "pkcs11-without-pin",
        "unknown-parameter", "csc-without-address", "root-missing", "root-not-a-certificate"])
def test_a_malformed_file_is_a_configuration_error_naming_the_entry(tmp_path, content, message):
    config = tmp_path / "keys.toml"
    config.write_text(content)
    with pytest.raises(ConfigError, match=rf"^KEYS_CONFIG {re.escape(str(config))}(: | ){message}"):
        create_app({"instance_path": tmp_path / "instance", "keys_config": str(config)})


def test_an_unreadable_file_or_an_inline_secret_is_refused_without_echoing_it(tmp_path):
    missing = tmp_path / "nowhere.toml"
    with pytest.raises(ConfigError, match=rf"^KEYS_CONFIG {missing} cannot be read: No such file or directory"):
        create_app({"instance_path": tmp_path / "instance", "keys_config": str(missing)})
    config = tmp_path / "keys.toml"
    config.write_text("tsa_url = 'https://tsa.example/tsa'\n[officials]\n"
                      "official1 = 'pkcs11:/usr/lib/p11.so?token=t&key=k&pin=80417'\n")
    with pytest.raises(ConfigError) as refused:
        create_app({"instance_path": tmp_path / "instance", "keys_config": str(config)})
    assert "[officials] official1: A pkcs11: spec must not hold secrets (pin=); use pin-env=" in str(refused.value)
    assert "80417" not in str(refused.value)


def test_production_uses_the_file_and_still_refuses_to_start_without_one(tmp_path, pki):
    production = {**production_environment(tmp_path), "signature_level": "B-B"}
    with pytest.raises(ConfigError, match="KEYS_CONFIG"):
        create_app({k: v for k, v in production.items() if k != "KEYS_CONFIG"})
    roots = tmp_path / "roots"
    roots.mkdir()
    shutil.copyfile(pki.root_cert_path, roots / "root-ca.pem")
    config = tmp_path / "keys.toml"  # B-B needs no TSA; trust roots are found beside the file
    config.write_text(f"trust_roots = ['roots/root-ca.pem']\n[agencies]\n'{WARD}' = '{GOOD_SPEC}'\n")
    app = create_app({**production, "KEYS_CONFIG": str(config)})
    keys = services(app).keys
    assert keys.trust_root_paths() == [roots / "root-ca.pem"]
    assert keys.trust_services.tsa_url is None
