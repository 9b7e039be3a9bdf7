"""An official whose key is on their USB token approves a batch with the signatures their signing
agent made over the batch's digests: the service checks each one against the official's certificate
before embedding it, refuses signatures of another key or for another batch, and then seals. And
production refuses to start when an official's key is one the service could use alone."""
from __future__ import annotations

import base64

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from cryptography.hazmat.primitives.serialization import pkcs12
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from adapters.devpki import dev_pki_services_app, load_dev_pki
from tests.conftest import login_as, official_principal, production_environment
from tests.service.test_keys_config import GOOD_SPEC
from tests.service.test_signing_batches import pdfsig, ward_results
from wallet_service import create_app
from wallet_service.dev.pki import DEV_PKI_MOUNT
from wallet_service.models import Result, db
from wallet_service.platform.config import ConfigError
from wallet_service.services import services

WARD = "000.00.15.H40"


@pytest.fixture(scope="module")
def pki(live_server):
    return load_dev_pki(live_server.pki_dir)


@pytest.fixture
def app(make_app, live_server, pki, tmp_path):
    yield from serve_with_agent_keys(make_app, live_server, pki, tmp_path)


def serve_with_agent_keys(make_app, live_server, pki, tmp_path):
    """The app served live, official1 signing on their token (`agent:` their certificate) and the
    ward's seal a PKCS#12 file."""
    passphrase = tmp_path / "seal-passphrase"
    passphrase.write_bytes(pki.pkcs12_passphrase())
    config = tmp_path / "keys.toml"
    config.write_text(f"""
tsa_url = "{pki.tsa_url}"
trust_roots = ["{pki.root_cert_path}"]

[officials]
official1 = "agent:{pki.certificate_path('official1')}"

[agencies]
"{WARD}" = "pkcs12:{pki.pkcs12_path(WARD)}?passphrase-file={passphrase}"
""")
    app = make_app(public_base_url=live_server.url, signing_workers=1, keys_config=str(config),
                   LIVE_URL=live_server.url)
    with app.app_context():
        for step in services(app).init_steps:
            step(app)
        live_server.late_bound.target = DispatcherMiddleware(app.wsgi_app, {DEV_PKI_MOUNT: dev_pki_services_app(pki)})
        yield app
        db.session.remove()
        live_server.late_bound.target = None


def token_key(pki, key: str):
    """What the official's token holds (here read from the PKI's PKCS#12 file)."""
    private, _certificate, _chain = pkcs12.load_key_and_certificates(pki.pkcs12_path(key).read_bytes(),
                                                                      pki.pkcs12_passphrase())
    return private


def agent_signatures(private_key, to_sign: dict) -> list[dict]:
    """What `wallet-service agent` answers: PKCS#1 v1.5 signatures over each pre-hashed digest."""
    return [{"result_id": d["result_id"],
             "signature": base64.b64encode(private_key.sign(base64.b64decode(d["digest"]), padding.PKCS1v15(),
                                                            Prehashed(hashes.SHA256()))).decode()}
            for d in to_sign["digests"]]


def test_signatures_from_the_officials_token_sign_the_batch_after_each_is_checked(app, demo_results, pki, tmp_path):
    client = app.test_client()
    csrf = {"X-CSRFToken": login_as(app, client, official_principal("official1"))}
    ids = ward_results(demo_results, 2)
    created = client.post("/api/v1/signing-batches", json={"result_ids": ids}, headers=csrf)
    assert (created.status_code, created.json["authorisation"]["method"]) == (201, "agent"), created.json
    batch_id = created.json["id"]
    services(app).jobs.wait(timeout=300)
    to_sign = client.get(f"/api/v1/signing-batches/{batch_id}/digests").json
    assert to_sign["batch"] == batch_id and to_sign["digest_algorithm"] == "sha256"
    assert sorted(d["result_id"] for d in to_sign["digests"]) == sorted(ids)
    approve = f"/api/v1/signing-batches/{batch_id}/authorisation"

    forged = client.post(approve, json={"nonce": to_sign["nonce"],
                                        "signatures": agent_signatures(token_key(pki, "official2"), to_sign)},
                         headers=csrf)
    assert (forged.status_code, forged.json["error"]) == (422, "bad_signature"), forged.json
    assert sorted(forged.json["details"]["result_ids"]) == sorted(ids)
    genuine = agent_signatures(token_key(pki, "official1"), to_sign)
    other_batch = client.post(approve, json={"nonce": "another-batch-nonce", "signatures": genuine}, headers=csrf)
    assert (other_batch.status_code, other_batch.json["error"]) == (409, "wrong_batch")
    short = client.post(approve, json={"nonce": to_sign["nonce"], "signatures": genuine[:1]}, headers=csrf)
    assert (short.status_code, short.json["error"]) == (422, "signatures_do_not_match")
    db.session.expire_all()
    assert {db.session.get(Result, i).status for i in ids} == {"pending_signature"}

    accepted = client.post(approve, json={"nonce": to_sign["nonce"], "signatures": genuine}, headers=csrf)
    assert (accepted.status_code, accepted.json["status"]) == (202, "signing"), accepted.json
    services(app).jobs.wait(timeout=300)
    done = client.get(f"/api/v1/signing-batches/{batch_id}").json
    assert (done["status"], done["done"], done["failed"]) == ("finished", 2, 0), done
    path = tmp_path / "signed.pdf"
    path.write_bytes(client.get(f"/api/v1/results/{ids[0]}/document").data)
    report = pdfsig(path)
    assert report.count("Signature Validation: Signature is Valid.") == 2, report
    official = x509.load_pem_x509_certificate(pki.certificate_path("official1").read_bytes())
    assert official.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value in report
    replay = client.post(approve, json={"nonce": to_sign["nonce"], "signatures": genuine}, headers=csrf)
    assert (replay.status_code, replay.json["error"]) == (409, "not_awaiting_authorisation")


@pytest.mark.parametrize("official_spec, refused", [
    ("pkcs12:/srv/official1.p12?passphrase-env=OFFICIAL1_PASSPHRASE", True),
    ("csc:https://rs.example.vn/csc/v2?credential=c1&client=wallet&secret-env=CSC_SECRET&pin-env=OFFICIAL1_PIN", True),
    ("csc:https://rs.example.vn/csc/v2?credential=c1&client=wallet&secret-env=CSC_SECRET", False),
    ("agent:official1.pem", False),
], ids=["pkcs12", "csc-with-pin", "csc", "agent"])
def test_production_refuses_an_officials_key_the_service_could_use_alone(tmp_path, pki, official_spec, refused):
    production = {**production_environment(tmp_path), "signature_level": "B-B"}
    (tmp_path / "official1.pem").write_bytes(pki.certificate_path("official1").read_bytes())
    config = tmp_path / "keys.toml"
    config.write_text(f"[officials]\nofficial1 = '{official_spec}'\n[agencies]\n'{WARD}' = '{GOOD_SPEC}'\n")
    if refused:
        with pytest.raises(ConfigError, match=r"official1: an official's key must be under the official's sole control"):
            create_app({**production, "KEYS_CONFIG": str(config)})
    else:
        create_app({**production, "KEYS_CONFIG": str(config)})
