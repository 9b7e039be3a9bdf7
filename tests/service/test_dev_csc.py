"""The embedded development remote-signing service (CSC API v2, SCAL2) served for real, driven by
the product's CSC client: an official authorises a batch with the demo PIN and a TOTP code of
their credential, the signatures verify against their certificate, and every refusal (wrong PIN,
lock, replayed code, hash not authorised, expired SAD) reaches the caller as a code a page can
explain, without the PIN in any message or log."""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import re
import stat
import time
from pathlib import Path

import pyotp
import pytest
import requests
import time_machine
from cryptography import x509 as cx509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, utils

from adapters.keys.csc import CscKeySource
from signing.errors import KeySourceError
from signing.keys import HolderSecrets
from tests.conftest import keys_config_without_keys, production_environment
from wallet_service import create_app
from wallet_service.cli import main
from wallet_service.dev import csc
from wallet_service.services import services

WRONG_PIN = "707070"


@pytest.fixture
def secrets(app) -> csc.DevCscSecrets:
    return csc.load_secrets(Path(app.instance_path))


@pytest.fixture
def totp(secrets) -> pyotp.TOTP:
    """The official1's authenticator, from the secret `wallet-service init` made."""
    return pyotp.TOTP(secrets.otp_secrets["official1"])


@pytest.fixture
def key(app, secrets):
    source = CscKeySource(csc.api_url(app.config["LIVE_URL"]), "official1", secrets.client_id,
                          secrets.client_secret)
    yield source
    source.close()


def digests(count: int, tag: str = "doc") -> list[bytes]:
    return [hashlib.sha256(f"{tag} {i}".encode()).digest() for i in range(count)]


def refused(call) -> KeySourceError:
    with pytest.raises(KeySourceError) as caught:
        call()
    return caught.value


def test_a_batch_authorised_with_pin_and_totp_verifies_against_the_officials_certificate(app, key, totp, live_server):
    batch = digests(12)  # more than multisign: two signHash calls under one SAD
    with key.authorize(batch, "sha256", HolderSecrets(csc.DEMO_PIN, totp.now())) as sad:
        left = sad.expires_at - dt.datetime.now(dt.timezone.utc)
        assert dt.timedelta(seconds=290) < left <= dt.timedelta(seconds=300)
        signatures = key.sign_digests(sad, batch, "sha256")
    expected = cx509.load_pem_x509_certificate(live_server.pki.certificate_path("official1").read_bytes())
    cert = cx509.load_der_x509_certificate(key.identity().certificate.dump())
    assert cert == expected and key.multisign == 10
    for digest, signature in zip(batch, signatures, strict=True):
        cert.public_key().verify(signature, digest, padding.PKCS1v15(), utils.Prehashed(hashes.SHA256()))
    again = refused(lambda: key.sign_digests(sad, batch[:1], "sha256"))  # never more than authorised
    assert again.code == "csc_error" and "not authorised" in again.message


def test_wrong_pins_count_down_then_lock_and_never_show_the_pin(app, key, totp, caplog):
    caplog.set_level(logging.DEBUG)
    batch = digests(2)
    texts = []
    for left in (4, 3, 2, 1):
        error = refused(lambda: key.authorize(batch, "sha256", HolderSecrets(WRONG_PIN, totp.now())))
        assert (error.code, error.remaining_attempts) == ("authorisation_refused", left)
        assert f"Còn {left} lần thử" in error.message
        texts += [str(error), repr(error)]
    fifth = refused(lambda: key.authorize(batch, "sha256", HolderSecrets(WRONG_PIN, totp.now())))
    assert (fifth.code, fifth.remaining_attempts) == ("authorisation_locked", 0)
    right = refused(lambda: key.authorize(batch, "sha256", HolderSecrets(csc.DEMO_PIN, totp.now())))
    assert right.code == "authorisation_locked"  # locked even for the right PIN and code
    texts += [str(fifth), str(right), repr(HolderSecrets(csc.DEMO_PIN, "000000")), caplog.text]
    for text in texts:
        assert WRONG_PIN not in text and csc.DEMO_PIN not in text


def test_a_wrong_or_replayed_code_is_refused(app, key, totp):
    batch = digests(1)
    window = {totp.at(time.time() + offset) for offset in (-60, -30, 0, 30, 60)}
    wrong = next(c for c in ("000000", "111111", "222222", "333333", "444444", "555555") if c not in window)
    assert refused(lambda: key.authorize(batch, "sha256", HolderSecrets(csc.DEMO_PIN, wrong))).code == "authorisation_refused"
    assert refused(lambda: key.authorize(batch, "sha256", HolderSecrets(csc.DEMO_PIN, None))).code == "authorisation_refused"
    code = totp.now()
    key.authorize(batch, "sha256", HolderSecrets(csc.DEMO_PIN, code))
    replay = refused(lambda: key.authorize(batch, "sha256", HolderSecrets(csc.DEMO_PIN, code)))
    assert (replay.code, replay.remaining_attempts) == ("authorisation_refused", 4)  # a success reset the count


def test_sign_hash_refuses_a_hash_the_sad_does_not_cover(app, key, totp):
    sad = key.authorize(digests(3), "sha256", HolderSecrets(csc.DEMO_PIN, totp.now()))
    error = refused(lambda: key.sign_digests(sad, digests(1, "other"), "sha256"))
    assert error.code == "csc_error" and "not authorised" in error.message
    assert len(key.sign_digests(sad, digests(3), "sha256")) == 3  # the refusal spent nothing


def test_an_expired_sad_is_authorisation_expired(app, key, totp):
    batch = digests(2)
    sad = key.authorize(batch, "sha256", HolderSecrets(csc.DEMO_PIN, totp.now()))
    with time_machine.travel(time.time() + 301, tick=True):
        assert dt.datetime.now(dt.timezone.utc) > sad.expires_at
        assert refused(lambda: key.sign_digests(sad, batch, "sha256")).code == "authorisation_expired"


def test_the_service_answers_as_csc_does(app, secrets):
    base = csc.api_url(app.config["LIVE_URL"])
    bad_client = requests.post(f"{base}/auth/login", auth=(secrets.client_id, "wrong"), timeout=5)
    assert bad_client.status_code == 401 and bad_client.json()["error"] == "invalid_client"
    no_token = requests.post(f"{base}/credentials/list", json={}, timeout=5)
    assert no_token.status_code == 401 and no_token.json()["error"] == "invalid_token"
    token = requests.post(f"{base}/auth/login", auth=(secrets.client_id, secrets.client_secret), timeout=5).json()
    bearer = {"Authorization": f"Bearer {token['access_token']}"}
    info = requests.post(f"{base}/credentials/info", json={"credentialID": "official2", "certificates": "chain"},
                         headers=bearer, timeout=5).json()
    assert (info["authMode"], info["SCAL"], info["PIN"]["presence"], info["OTP"]["presence"]) == ("explicit", "2", "true", "true")
    assert len(info["cert"]["certificates"]) >= 2
    listed = requests.post(f"{base}/credentials/list", json={}, headers=bearer, timeout=5).json()
    assert listed["credentialIDs"] == ["official1", "official2"]


def test_secrets_are_the_owners_only(app):
    path = Path(app.instance_path) / "dev-csc" / "secrets.json"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert csc.DEMO_PIN not in path.read_text()


def test_cli_prints_a_code_the_service_accepts(app, key):
    result = app.test_cli_runner().invoke(main, ["dev", "otp", "official1"])
    assert result.exit_code == 0, result.output
    code = result.output.strip()
    assert re.fullmatch(r"\d{6}", code)
    sad = key.authorize(digests(1), "sha256", HolderSecrets(csc.DEMO_PIN, code))
    assert len(key.sign_digests(sad, digests(1), "sha256")) == 1
    unknown = app.test_cli_runner().invoke(main, ["dev", "otp", "nobody"])
    assert unknown.exit_code != 0 and "official1" in unknown.output


def test_production_and_keys_config_have_no_development_signing_service(tmp_path):
    production = create_app(production_environment(tmp_path / "p"))
    assert services(production).devcsc is None
    assert production.test_client().get("/dev-csc/csc/v2/info").status_code == 404
    result = production.test_cli_runner().invoke(main, ["dev", "otp", "official1"])
    assert result.exit_code != 0 and "WALLET_ENV=production" in result.output
    configured = create_app({"instance_path": tmp_path / "d", "keys_config": keys_config_without_keys(tmp_path),
                             "TESTING": True})
    assert services(configured).devcsc is None
