"""High-assurance issuance over the Flask app: DPoP-bound tokens (RFC 9449) with server nonces and
replay refusal, batch issuance, key attestations (OpenID4VCI Appendix D), wallet attestations at
the token endpoint in `haip` mode, and the x5c chain of the credential up to the development CA."""
from __future__ import annotations

import base64
import gzip
import shutil

import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from jwcrypto.jwk import JWK
from sqlalchemy import select

from tests.issuer.conftest import (
    CITIZEN1, Wallet, WalletKey, attestation_pop, citizen_principal, dpop_proof, issuer_of, log_in, make_signed_results,
    offer_from_response,
)
from tests.issuer.test_issuance_flow import status_of, verify_sd_jwt_vc
from wallet_service.dev import demo as demo_data
from wallet_service.issuer.models import CredentialAccessToken, IssuedCredential
from wallet_service.issuer.status_list import read_status
from wallet_service.models import ResultStatus, db
from wallet_service.services import services

PRE_AUTH = "urn:ietf:params:oauth:grant-type:pre-authorized_code"


def body_error(response, status: int) -> str:
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True))
    return response.get_json()["error"]


def offer_of(app, client, result):
    """The result's citizen asks for an offer in `client` (logged in there)."""
    headers = log_in(app, client, citizen_principal(result.citizen.personal_id))
    return offer_from_response(client.post(f"/api/v1/wallet/results/{result.id}/credential-offer", headers=headers).get_json())


def dpop_token(wallet, offer, dpop_key, headers: dict | None = None):
    """The token request with DPoP, after the nonce round trip every DPoP wallet makes."""
    url = wallet.issuer + "/token"
    data = {"grant_type": PRE_AUTH, "pre-authorized_code": offer.pre_authorized_code, "tx_code": offer.tx_code}
    first = wallet.client.post("/token", data=data, headers={"DPoP": dpop_proof(dpop_key, "POST", url), **(headers or {})})
    assert body_error(first, 400) == "use_dpop_nonce"
    nonce = first.headers["DPoP-Nonce"]
    return wallet.client.post("/token", data=data, headers={"DPoP": dpop_proof(dpop_key, "POST", url, nonce=nonce),
                                                            **(headers or {})}), nonce


def dpop_credential(wallet, access_token: str, dpop_key, nonce: str, proofs: list[str] | None = None, proof=None):
    body = {"credential_configuration_id": "administrative_result",
            "proofs": {"jwt": proofs or [wallet.key.proof(audience=wallet.issuer, nonce=wallet.nonce())]}}
    proof = proof or dpop_proof(dpop_key, "POST", wallet.issuer + "/credential", nonce=nonce, access_token=access_token)
    headers = {"Authorization": f"DPoP {access_token}", "DPoP": proof}
    return wallet.client.post("/credential", json=body, headers=headers), proof


@pytest.fixture
def offer(client, signed_results, make_offer):
    return make_offer(client, signed_results[CITIZEN1])


@pytest.mark.postgres  # the replay store is a unique insert (ON CONFLICT DO NOTHING) per database
def test_dpop_bound_token_replayed_proof_and_bearer_use_are_refused(wallet, offer):
    dpop_key = ec.generate_private_key(ec.SECP256R1())
    response, nonce = dpop_token(wallet, offer, dpop_key)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["token_type"] == "DPoP"
    access_token = response.get_json()["access_token"]
    stored = db.session.scalar(select(CredentialAccessToken))
    assert stored.dpop_jkt == JWK(**WalletKey(dpop_key).public_jwk).thumbprint()

    issued, proof = dpop_credential(wallet, access_token, dpop_key, nonce)
    assert issued.status_code == 200, issued.get_json()
    assert "DPoP-Nonce" in issued.headers

    replayed, _ = dpop_credential(wallet, access_token, dpop_key, nonce, proof=proof)
    assert body_error(replayed, 401) == "invalid_dpop_proof"
    assert replayed.headers["WWW-Authenticate"].startswith('DPoP error="invalid_dpop_proof"')

    as_bearer = wallet.credential(access_token)
    assert body_error(as_bearer, 401) == "invalid_token"
    assert as_bearer.headers["WWW-Authenticate"].startswith('DPoP error="invalid_token"')

    other_key = ec.generate_private_key(ec.SECP256R1())
    stolen, _ = dpop_credential(wallet, access_token, other_key, nonce)
    assert body_error(stolen, 401) == "invalid_token"
    unnonced, _ = dpop_credential(wallet, access_token, dpop_key, nonce,
                                  proof=dpop_proof(dpop_key, "POST", wallet.issuer + "/credential", access_token=access_token))
    assert body_error(unnonced, 401) == "use_dpop_nonce" and unnonced.headers["DPoP-Nonce"]
    # A proof sent with a refused request is spent too: it cannot carry another body later.
    proof = dpop_proof(dpop_key, "POST", wallet.issuer + "/credential", nonce=nonce, access_token=access_token)
    refused = wallet.client.post("/credential", json={"proofs": {}},
                                 headers={"Authorization": f"DPoP {access_token}", "DPoP": proof})
    assert body_error(refused, 400) == "invalid_credential_request"
    reused, _ = dpop_credential(wallet, access_token, dpop_key, nonce, proof=proof)
    assert body_error(reused, 401) == "invalid_dpop_proof"
    assert db.session.query(IssuedCredential).count() == 1


def test_batch_of_three_gives_unlinkable_credentials(client, wallet, offer):
    keys = [WalletKey(ec.generate_private_key(ec.SECP256R1())) for _ in range(3)]
    nonce = wallet.nonce()
    proofs = [key.proof(audience=wallet.issuer, nonce=nonce) for key in keys]
    access_token = wallet.access_token(offer)
    response = wallet.credential(access_token, {"credential_configuration_id": "administrative_result", "proofs": {"jwt": proofs}})
    assert response.status_code == 200, response.get_json()
    credentials = [c["credential"] for c in response.get_json()["credentials"]]
    assert len(credentials) == 3
    payloads = [verify_sd_jwt_vc(client, credential)[1] for credential in credentials]
    assert [p["cnf"]["jwk"]["x"] for p in payloads] == [k.public_jwk["x"] for k in keys]
    disclosures = [set(c.split("~")[1:-1]) for c in credentials]
    assert not (disclosures[0] & disclosures[1]) and not (disclosures[1] & disclosures[2])
    assert len({tuple(p["_sd"]) for p in payloads}) == 3
    assert len({p["status"]["status_list"]["idx"] for p in payloads}) == 3
    assert len({p["document"]["uri"] for p in payloads}) == 3
    assert [status_of(client, p) for p in payloads] == [0, 0, 0]
    # One notification covers the batch.
    notified = wallet.client.post("/notification", json={"notification_id": response.get_json()["notification_id"],
                                                         "event": "credential_accepted"},
                                  headers={"Authorization": f"Bearer {access_token}"})
    assert notified.status_code == 204
    db.session.expire_all()
    assert [r.notification_event for r in db.session.scalars(select(IssuedCredential))] == ["credential_accepted"] * 3


def test_batch_limits_and_shared_nonce(wallet, offer):
    access_token = wallet.access_token(offer)
    nonce = wallet.nonce()
    too_many = [WalletKey(ec.generate_private_key(ec.SECP256R1())).proof(audience=wallet.issuer, nonce=nonce) for _ in range(11)]
    body = {"credential_configuration_id": "administrative_result", "proofs": {"jwt": too_many}}
    assert body_error(wallet.credential(access_token, body), 400) == "invalid_proof"
    same_key = [wallet.key.proof(audience=wallet.issuer, nonce=nonce)] * 2
    body = {"credential_configuration_id": "administrative_result", "proofs": {"jwt": same_key}}
    assert body_error(wallet.credential(access_token, body), 400) == "invalid_proof"
    mixed = [wallet.key.proof(audience=wallet.issuer, nonce=wallet.nonce()),
             WalletKey(ec.generate_private_key(ec.SECP256R1())).proof(audience=wallet.issuer, nonce=wallet.nonce())]
    body = {"credential_configuration_id": "administrative_result", "proofs": {"jwt": mixed}}
    assert body_error(wallet.credential(access_token, body), 400) == "invalid_nonce"


@pytest.fixture
def haip_app(make_app, wallet_provider):
    app = make_app(CREDENTIAL_ISSUER_MODE="haip", WALLET_ATTESTATION_TRUST_ROOTS=str(wallet_provider.roots_file))
    with app.app_context():
        demo_data.load_people(db.session, services(app).settings.public_base_url)
        yield app
        db.session.remove()


def test_haip_mode_requires_wallet_attestation_dpop_and_key_attestation(haip_app, result_documents, wallet_provider):
    result = make_signed_results(haip_app, result_documents)[CITIZEN1]
    offer = offer_of(haip_app, haip_app.test_client(), result)
    wallet = Wallet(haip_app.test_client(), issuer_of(haip_app), WalletKey(ec.generate_private_key(ec.SECP256R1())))
    metadata = wallet.client.get("/.well-known/oauth-authorization-server").get_json()
    assert metadata["token_endpoint_auth_methods_supported"] == ["attest_jwt_client_auth"]
    issuer_metadata = wallet.client.get("/.well-known/openid-credential-issuer").get_json()
    proof_types = issuer_metadata["credential_configurations_supported"]["administrative_result"]["proof_types_supported"]
    assert proof_types["jwt"]["key_attestations_required"] == {}

    dpop_key = ec.generate_private_key(ec.SECP256R1())
    missing = wallet.token(offer)
    assert body_error(missing, 401) == "invalid_client"
    assert "wallet attestation" in missing.get_json()["error_description"]

    instance_key = ec.generate_private_key(ec.SECP256R1())
    attested = {"OAuth-Client-Attestation": wallet_provider.wallet_attestation("wallet-app", instance_key),
                "OAuth-Client-Attestation-PoP": attestation_pop(instance_key, "wallet-app", wallet.issuer)}
    no_dpop = wallet.client.post("/token", data={"grant_type": PRE_AUTH, "pre-authorized_code": offer.pre_authorized_code,
                                                 "tx_code": offer.tx_code}, headers=attested)
    assert body_error(no_dpop, 400) == "invalid_dpop_proof"
    attested["OAuth-Client-Attestation-PoP"] = attestation_pop(instance_key, "wallet-app", wallet.issuer)
    response, nonce = dpop_token(wallet, offer, dpop_key, attested)
    assert response.status_code == 200, response.get_json()
    replayed_pop = wallet.client.post("/token", data={"grant_type": PRE_AUTH, "pre-authorized_code": "x", "tx_code": "1"},
                                      headers={**attested, "DPoP": dpop_proof(dpop_key, "POST", wallet.issuer + "/token", nonce=nonce)})
    assert body_error(replayed_pop, 401) == "invalid_client"
    assert "already used" in replayed_pop.get_json()["error_description"]
    access_token = response.get_json()["access_token"]

    unattested, _ = dpop_credential(wallet, access_token, dpop_key, nonce)
    assert body_error(unattested, 400) == "invalid_proof"
    assert "key attestation" in unattested.get_json()["error_description"]
    c_nonce = wallet.nonce()
    attestation = wallet_provider.key_attestation([wallet.key.public_jwk], nonce=c_nonce)
    proof = wallet.key.proof(audience=wallet.issuer, nonce=c_nonce, header={"key_attestation": attestation})
    issued, _ = dpop_credential(wallet, access_token, dpop_key, nonce, proofs=[proof])
    assert issued.status_code == 200, issued.get_json()

    untrusted = WalletKey(ec.generate_private_key(ec.SECP256R1()))
    forged = jwt.encode({"iat": 1, "attested_keys": [wallet.key.public_jwk]}, untrusted.private_key, algorithm="ES256",
                        headers={"typ": "key-attestation+jwt", "x5c": list(wallet_provider.x5c)})
    c_nonce = wallet.nonce()
    proof = wallet.key.proof(audience=wallet.issuer, nonce=c_nonce, header={"key_attestation": forged})
    refused, _ = dpop_credential(wallet, access_token, dpop_key, nonce, proofs=[proof])
    assert body_error(refused, 400) == "invalid_proof"


def test_attestation_proof_type_issues_one_credential_per_attested_key(make_app, wallet_provider, result_documents, make_offer):
    app = make_app(WALLET_ATTESTATION_TRUST_ROOTS=str(wallet_provider.roots_file))
    with app.app_context():
        demo_data.load_people(db.session, services(app).settings.public_base_url)
        result = make_signed_results(app, result_documents)[CITIZEN1]
        browser = app.test_client()
        offer = offer_of(app, browser, result)
        wallet = Wallet(app.test_client(), issuer_of(app), WalletKey(ec.generate_private_key(ec.SECP256R1())))
        keys = [WalletKey(ec.generate_private_key(ec.SECP256R1())).public_jwk for _ in range(2)]
        access_token = wallet.access_token(offer)
        body = {"credential_configuration_id": "administrative_result",
                "proofs": {"attestation": [wallet_provider.key_attestation(keys)]}}
        assert body_error(wallet.credential(access_token, body), 400) == "invalid_nonce"
        body["proofs"]["attestation"] = [wallet_provider.key_attestation(keys, nonce=wallet.nonce())]
        response = wallet.credential(access_token, body)
        assert response.status_code == 200, response.get_json()
        bound = [verify_sd_jwt_vc(browser, c["credential"])[1]["cnf"]["jwk"]["x"] for c in response.get_json()["credentials"]]
        assert bound == [key["x"] for key in keys]
        db.session.remove()


def test_credential_carries_x5c_up_to_the_development_ca(make_app, trusted_pki, tmp_path, result_documents):
    instance = tmp_path / "x5c-instance"
    shutil.copytree(trusted_pki.directory, instance / "pki")
    app = make_app(instance_path=instance)
    with app.app_context():
        key = services(app).issuer_key.load()
        chain = [x509.load_der_x509_certificate(base64.b64decode(c)) for c in key.x5c]
        ca = x509.load_pem_x509_certificate(trusted_pki.ca_cert_path.read_bytes())
        assert len(chain) == 2 and chain[1] == ca, "the leaf and the agency-level CA, without the root"
        assert chain[0].issuer == ca.subject and chain[0].subject != chain[0].issuer
        chain[0].verify_directly_issued_by(ca)
        client = app.test_client()
        jwks = client.get("/.well-known/jwt-vc-issuer").get_json()["jwks"]["keys"]
        assert jwks[0]["kid"] == key.kid and jwks[0]["x5c"] == list(key.x5c)
        demo_data.load_people(db.session, services(app).settings.public_base_url)
        result = make_signed_results(app, result_documents)[CITIZEN1]
        offer = offer_of(app, client, result)
        wallet = Wallet(app.test_client(), issuer_of(app), WalletKey(ec.generate_private_key(ec.SECP256R1())))
        credential = wallet.credential(wallet.access_token(offer)).get_json()["credentials"][0]["credential"]
        header = jwt.get_unverified_header(credential.split("~")[0])
        assert header["x5c"] == list(key.x5c) and header["kid"] == key.kid
        verify_sd_jwt_vc(client, credential)  # and the JWT VC issuer metadata still verifies it
        db.session.remove()


def test_nonce_answer_status_list_gzip_and_annulled_offer(app, client, wallet, offer, signed_results):
    nonce = wallet.client.post("/nonce")
    assert set(nonce.get_json()) == {"c_nonce"} and nonce.headers["DPoP-Nonce"]
    response = wallet.credential(wallet.access_token(offer))
    payload = verify_sd_jwt_vc(client, response.get_json()["credentials"][0]["credential"])[1]
    path = "/" + payload["status"]["status_list"]["uri"].split("/", 3)[3]
    compressed = client.get(path, headers={"Accept-Encoding": "gzip"})
    assert compressed.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in compressed.headers["Vary"]
    token = gzip.decompress(compressed.data).decode()
    claims = jwt.decode(token, options={"verify_signature": False})
    assert read_status(claims["status_list"], payload["status"]["status_list"]["idx"]) == 0
    assert "Content-Encoding" not in client.get(path).headers

    metadata = client.get("/.well-known/oauth-authorization-server").get_json()
    assert "ES256" in metadata["dpop_signing_alg_values_supported"]
    issuer_metadata = client.get("/.well-known/openid-credential-issuer").get_json()
    assert issuer_metadata["batch_credential_issuance"]["batch_size"] >= 3

    result = signed_results[CITIZEN1]
    later_offer_path = "/" + offer.offer_url.split("/", 3)[3]
    fresh = offer_of(app, app.test_client(), result)
    result.move_to(ResultStatus.ANNULLED)
    db.session.commit()
    gone = wallet.client.get("/" + fresh.offer_url.split("/", 3)[3])
    assert gone.status_code == 410 and gone.get_json()["error"] == "offer_gone"
    assert wallet.client.get(later_offer_path).status_code == 404  # redeemed already
