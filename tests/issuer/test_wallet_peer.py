"""A real wallet against the app served on a loopback port: `@openid4vc/openid4vci` resolves the
offer by reference, gets a token with the tx_code, a c_nonce, sends a key proof and receives the
SD-JWT VC; `@sd-jwt/sd-jwt-vc` verifies its signature (key from /.well-known/jwt-vc-issuer), its
disclosures and its status list, and a selective presentation with key binding. After annulment
the same verifier finds the status invalid. The same library as a high-assurance wallet (wallet
attestation, DPoP, key attestations, a batch of three), and through the authorization code flow
(PAR, PKCE, DPoP). (tests/peers/vci: `npm ci` there first; `make test` does.)"""
from __future__ import annotations

import json
import shutil
import subprocess
import threading
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from jwcrypto.jwk import JWK
from sqlalchemy import select
from werkzeug.serving import make_server

from tests.issuer.conftest import CITIZEN1, citizen_principal, log_in, make_signed_results, offer_from_response
from wallet_service.dev import demo as demo_data
from wallet_service.issuer import annul_credentials
from wallet_service.issuer.models import CredentialAccessToken, IssuedCredential
from wallet_service.models import ResultStatus, db
from wallet_service.services import services

PEER = Path(__file__).resolve().parents[1] / "peers" / "vci"


def run_peer(*args: str) -> dict:
    node = shutil.which("node")
    assert node, "Node.js is needed for the wallet peer (Debian package nodejs)"
    assert (PEER / "node_modules" / "@openid4vc" / "openid4vci").is_dir(), f"run `npm ci` in {PEER}"
    done = subprocess.run([node, "wallet.mjs", *args], cwd=PEER, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _served(make_app, **settings):
    """The app served for real by werkzeug on 127.0.0.1 (ephemeral port), its public URL that address."""
    server = make_server("127.0.0.1", 0, lambda environ, start_response: [], threaded=True)
    app = make_app(public_base_url=f"http://127.0.0.1:{server.server_port}", **settings)
    server.app = app
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    with app.app_context():
        yield app
        db.session.remove()
    server.shutdown()
    thread.join(5)


@pytest.fixture
def live_app(make_app):
    yield from _served(make_app)


@pytest.fixture
def live_haip_app(make_app, wallet_provider):
    yield from _served(make_app, CREDENTIAL_ISSUER_MODE="haip", WALLET_ATTESTATION_TRUST_ROOTS=str(wallet_provider.roots_file))


@pytest.fixture
def live_signed_results(live_app, result_documents):
    demo_data.load_people(db.session, services(live_app).settings.public_base_url)
    return make_signed_results(live_app, result_documents)


def citizen_offer(app, result) -> tuple[str, str]:
    browser = app.test_client()
    headers = log_in(app, browser, citizen_principal(result.citizen.personal_id))
    response = browser.post(f"/api/v1/wallet/results/{result.id}/credential-offer", headers=headers)
    assert response.status_code == 201, response.get_json()
    offer = offer_from_response(response.get_json())
    return offer.uri, offer.tx_code


def test_wallet_app_receives_verifies_and_presents_then_sees_annulment(live_app, live_signed_results):
    result = live_signed_results[CITIZEN1]
    issuer = services(live_app).settings.public_base_url
    uri, tx_code = citizen_offer(live_app, result)

    outcome = run_peer("issue", uri, tx_code)
    assert "error" not in outcome, outcome
    assert outcome["offer"]["credential_issuer"] == issuer
    assert outcome["tokenType"] == "Bearer"
    verification = outcome["verification"]
    assert verification["verified"] is True, verification
    assert verification["header"]["typ"] == "dc+sd-jwt"
    type_metadata = verification["typeMetadata"]["mergedTypeMetadata"]
    assert type_metadata["vct"] == issuer + "/vct/administrative-result/v1"
    sd_rules = {tuple(c["path"]): c["sd"] for c in type_metadata["claims"]}
    assert sd_rules[("personal_id",)] == "always" and sd_rules[("title",)] == "never"
    claims = verification["claims"]
    assert claims["result_id"] == result.id and claims["dossier_code"] == result.dossier_code
    assert claims["full_name"] == "Lê Thị Hoa" and claims["personal_id"] == CITIZEN1 and claims["birthdate"] == "1986-04-12"
    assert claims["document"]["sha256"] == result.signed_sha256
    assert claims["cnf"]["jwk"]["x"] == outcome["holderJwk"]["x"]
    assert claims["status"]["status_list"]["uri"].startswith(issuer + "/status-lists/")

    presented = outcome["presentation"]
    assert presented["claims"]["full_name"] == "Lê Thị Hoa"
    assert "personal_id" not in presented["claims"] and "birthdate" not in presented["claims"]
    assert presented["keyBinding"]["nonce"] == "presentation-nonce"

    db.session.expire_all()
    issued = db.session.scalar(select(IssuedCredential).where(IssuedCredential.result_id == result.id))
    assert issued.notification_event == "credential_accepted"

    result.move_to(ResultStatus.ANNULLED)
    annul_credentials(db.session, result)
    db.session.commit()
    after = run_peer("verify", outcome["credential"])
    assert after["verified"] is False
    assert "Status is not valid" in after["error"]


def test_wallet_app_with_a_wrong_tx_code_is_refused(live_app, live_signed_results):
    uri, tx_code = citizen_offer(live_app, live_signed_results[CITIZEN1])
    wrong = "123456" if tx_code != "123456" else "654321"
    outcome = run_peer("issue", uri, wrong)
    assert outcome["step"] == "token"
    assert "invalid_grant" in json.dumps(outcome)


def test_high_assurance_wallet_gets_a_batch_of_three_with_dpop_and_attestations(live_haip_app, result_documents,
                                                                                 wallet_provider, tmp_path):
    demo_data.load_people(db.session, services(live_haip_app).settings.public_base_url)
    result = make_signed_results(live_haip_app, result_documents)[CITIZEN1]
    provider_file = tmp_path / "provider.json"
    pem = wallet_provider.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                            serialization.NoEncryption())
    provider_file.write_text(json.dumps({"privateKeyPem": pem.decode(), "x5c": list(wallet_provider.x5c)}))
    uri, tx_code = citizen_offer(live_haip_app, result)

    outcome = run_peer("issue-haip", uri, tx_code, str(provider_file))
    assert "error" not in outcome, outcome
    assert outcome["tokenType"] == "DPoP"
    assert "ES256" in outcome["authorizationServerMetadata"]["dpop_signing_alg_values_supported"]
    assert len(outcome["credentials"]) == 3
    assert all(v["verified"] is True for v in outcome["verifications"]), outcome["verifications"]
    bound = [v["payload"]["cnf"]["jwk"]["x"] for v in outcome["verifications"]]
    assert bound == [jwk["x"] for jwk in outcome["holderJwks"]]
    indices = {v["payload"]["status"]["status_list"]["idx"] for v in outcome["verifications"]}
    assert len(indices) == 3
    salts = [set(c.split("~")[1:-1]) for c in outcome["credentials"]]
    assert not (salts[0] & salts[1] or salts[1] & salts[2] or salts[0] & salts[2]), "no disclosure is shared"
    db.session.expire_all()
    issued = db.session.scalars(select(IssuedCredential).where(IssuedCredential.result_id == result.id)).all()
    assert [i.notification_event for i in issued] == ["credential_accepted"] * 3
    token = db.session.scalar(select(CredentialAccessToken))
    assert token.dpop_jkt == JWK(**outcome["dpopJwk"]).thumbprint()


def test_wallet_app_uses_the_authorization_code_flow_with_par_pkce_and_dpop(live_app, live_signed_results, tmp_path):
    """The wallet pushes its request and sends the citizen to /authorize; the citizen (logged in)
    confirms; the wallet redeems the code with its PKCE verifier and DPoP key."""
    result = live_signed_results[CITIZEN1]
    uri, _tx_code = citizen_offer(live_app, result)
    state = str(tmp_path / "wallet-state.json")
    started = run_peer("authorize-start", uri, state)
    assert "error" not in started, started
    issuer = services(live_app).settings.public_base_url
    assert started["authorizationRequestUrl"].startswith(issuer + "/authorize?")
    browser = live_app.test_client()
    headers = log_in(live_app, browser, citizen_principal(CITIZEN1))
    path = started["authorizationRequestUrl"].removeprefix(issuer)
    assert result.dossier_code in browser.get(path).get_data(as_text=True)
    back = browser.post(path, headers=headers)
    assert back.status_code == 303 and back.headers["Location"].startswith("https://wallet.example/callback?")

    finished = run_peer("authorize-finish", state, back.headers["Location"])
    assert "error" not in finished, finished
    assert finished["tokenType"] == "DPoP"
    assert finished["verification"]["verified"] is True, finished["verification"]
    assert finished["verification"]["payload"]["result_id"] == result.id
