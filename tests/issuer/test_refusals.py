"""Everything a wallet, a citizen or an attacker can get wrong, each refused with the error code
its spec names (OpenID4VCI 1.0 §6.3, §8.3.1, §11.3; RFC 6749 §5.2; RFC 6750 §3) and no credential
issued."""
from __future__ import annotations

import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from sqlalchemy import func, select

from tests.issuer.conftest import CITIZEN1, CITIZEN2, expire, log_in, official_principal
from wallet_service.issuer.models import CredentialOffer, IssuedCredential, ProofNonce
from wallet_service.models import ResultStatus, db

PRE_AUTH = "urn:ietf:params:oauth:grant-type:pre-authorized_code"


def error_of(response, status: int = 400) -> str:
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True))
    body = response.get_json()
    assert set(body) == {"error", "error_description"}, body
    assert body["error_description"].isascii()
    assert response.headers["Cache-Control"] == "no-store"
    return body["error"]


def assert_no_token_challenge(response) -> None:
    """RFC 6750 §3.1: a request without any token gets the challenge without error information."""
    assert response.status_code == 401
    assert "error" not in response.headers["WWW-Authenticate"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "DPoP" in response.headers["WWW-Authenticate"]
    assert not response.get_data()


def issued_count() -> int:
    return db.session.scalar(select(func.count()).select_from(IssuedCredential))


@pytest.fixture
def offer(client, signed_results, make_offer):
    return make_offer(client, signed_results[CITIZEN1])


@pytest.fixture
def access_token(wallet, offer) -> str:
    return wallet.access_token(offer)


# --- the offer API (citizen, session + CSRF) ------------------------------------------------------


def test_offer_needs_a_logged_in_citizen(app, client, signed_results):
    result = signed_results[CITIZEN1]
    assert client.post(f"/api/v1/wallet/results/{result.id}/credential-offer").status_code == 401
    headers = log_in(app, client, official_principal("official1"))
    response = client.post(f"/api/v1/wallet/results/{result.id}/credential-offer", headers=headers)
    assert response.status_code == 403 and response.get_json()["error"] == "forbidden"


def test_another_citizens_result_is_not_offered(app, client, signed_results, citizen_login):
    headers = citizen_login(client, CITIZEN2)
    response = client.post(f"/api/v1/wallet/results/{signed_results[CITIZEN1].id}/credential-offer", headers=headers)
    assert response.status_code == 404 and response.get_json()["error"] == "not_found"
    assert db.session.scalar(select(func.count()).select_from(CredentialOffer)) == 0


def test_offer_without_csrf_token_is_refused(client, signed_results, citizen_login):
    citizen_login(client, CITIZEN1)
    response = client.post(f"/api/v1/wallet/results/{signed_results[CITIZEN1].id}/credential-offer")
    assert response.status_code == 400 and response.get_json()["error"] == "csrf_failed"


@pytest.mark.parametrize("status", ["pending_signature", "annulled"])
def test_only_signed_results_are_offered(client, signed_results, citizen_login, status):
    result = signed_results[CITIZEN1]
    result.status = status
    db.session.commit()
    headers = citizen_login(client, CITIZEN1)
    response = client.post(f"/api/v1/wallet/results/{result.id}/credential-offer", headers=headers)
    assert response.status_code == 409 and response.get_json()["error"] == "result_not_signed"


# --- token endpoint --------------------------------------------------------------------------------


@pytest.mark.postgres  # SQL behaviour
def test_wrong_tx_code_is_invalid_grant_and_five_burn_the_offer(wallet, offer):
    wrong = "000000" if offer.tx_code != "000000" else "111111"
    for _ in range(5):
        assert error_of(wallet.token(offer, tx_code=wrong)) == "invalid_grant"
    # The right code no longer helps: the offer is burnt.
    assert error_of(wallet.token(offer)) == "invalid_grant"
    assert wallet.client.get(offer.offer_url.removeprefix(wallet.issuer)).status_code == 404


def test_missing_tx_code_is_invalid_request(wallet, offer):
    assert error_of(wallet.token(offer, tx_code=None)) == "invalid_request"


@pytest.mark.postgres  # SQL behaviour
def test_reused_pre_authorized_code_is_invalid_grant(wallet, offer):
    wallet.access_token(offer)
    assert error_of(wallet.token(offer)) == "invalid_grant"


def test_expired_pre_authorized_code_is_invalid_grant(wallet, offer):
    expire(CredentialOffer)
    assert error_of(wallet.token(offer)) == "invalid_grant"


def test_unknown_pre_authorized_code_and_grant_type(wallet, offer):
    response = wallet.client.post("/token", data={"grant_type": PRE_AUTH, "pre-authorized_code": "nope", "tx_code": offer.tx_code})
    assert error_of(response) == "invalid_grant"
    response = wallet.client.post("/token", data={"grant_type": "authorization_code", "code": "x"})
    assert error_of(response) == "invalid_grant"
    response = wallet.client.post("/token", data={"grant_type": "client_credentials"})
    assert error_of(response) == "unsupported_grant_type"
    assert error_of(wallet.client.post("/token", data={"grant_type": PRE_AUTH})) == "invalid_request"
    assert error_of(wallet.client.post("/token", json={"grant_type": PRE_AUTH})) == "invalid_request"


def test_token_for_an_annulled_result_is_refused(wallet, offer, signed_results):
    signed_results[CITIZEN1].move_to(ResultStatus.ANNULLED)
    db.session.commit()
    assert error_of(wallet.token(offer)) == "invalid_grant"


# --- credential endpoint: access token and request -----------------------------------------------


def test_credential_without_or_with_a_bad_access_token(wallet, access_token):
    assert_no_token_challenge(wallet.credential(None))
    response = wallet.client.post("/credential", json={}, headers={"Authorization": "Basic abc"})
    assert error_of(response, 401) == "invalid_request"
    assert error_of(wallet.credential("forged-token"), 401) == "invalid_token"
    from wallet_service.issuer.models import CredentialAccessToken

    expire(CredentialAccessToken)
    assert error_of(wallet.credential(access_token), 401) == "invalid_token"
    assert issued_count() == 0


def test_missing_proof_is_invalid_proof(wallet, access_token):
    body = {"credential_configuration_id": "administrative_result"}
    assert error_of(wallet.credential(access_token, body=body)) == "invalid_proof"


@pytest.mark.parametrize(
    "body, code",
    [
        ({"credential_configuration_id": "driving_licence", "proofs": {"jwt": ["x"]}}, "unknown_credential_configuration"),
        ({"credential_identifier": "abc", "proofs": {"jwt": ["x"]}}, "unknown_credential_identifier"),
        ({"credential_identifier": "a", "credential_configuration_id": "administrative_result"}, "invalid_credential_request"),
        ({"proofs": {"jwt": ["x"]}}, "invalid_credential_request"),
        ({"credential_configuration_id": "administrative_result", "proofs": {"di_vp": [{}]}}, "invalid_proof"),
        ({"credential_configuration_id": "administrative_result", "proofs": {"jwt": []}}, "invalid_proof"),
        ({"credential_configuration_id": "administrative_result", "proofs": {"jwt": ["a", "b"]}}, "invalid_proof"),
        ({"credential_configuration_id": "administrative_result", "proofs": {"jwt": ["a"]},
          "credential_response_encryption": {"jwk": {}, "enc": "A128GCM"}}, "invalid_encryption_parameters"),
        (["not", "an", "object"], "invalid_credential_request"),
    ],
)
def test_malformed_credential_requests(wallet, access_token, body, code):
    assert error_of(wallet.credential(access_token, body=body)) == code


def test_non_json_credential_request(wallet, access_token):
    response = wallet.client.post("/credential", data="proofs=1", headers={"Authorization": f"Bearer {access_token}"})
    assert error_of(response) == "invalid_credential_request"


def test_credential_for_an_annulled_result_is_denied(wallet, access_token, signed_results):
    signed_results[CITIZEN1].move_to(ResultStatus.ANNULLED)
    db.session.commit()
    assert error_of(wallet.credential(access_token)) == "credential_request_denied"


# --- credential endpoint: the key proof ----------------------------------------------------------


def unsigned_token(header: dict, payload: dict) -> str:
    import base64
    import json

    enc = lambda d: base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()  # noqa: E731
    return f"{enc(header)}.{enc(payload)}."


def test_alg_none_proof_is_invalid_proof(wallet, access_token):
    proof = unsigned_token(
        {"typ": "openid4vci-proof+jwt", "alg": "none", "jwk": wallet.key.public_jwk},
        {"aud": wallet.issuer, "iat": int(time.time()), "nonce": wallet.nonce()},
    )
    assert error_of(wallet.credential(access_token, proof=proof)) == "invalid_proof"


def test_symmetric_alg_proof_is_invalid_proof(wallet, access_token):
    proof = jwt.encode(
        {"aud": wallet.issuer, "iat": int(time.time()), "nonce": wallet.nonce()},
        "a-shared-secret-of-32-bytes-long!!",
        algorithm="HS256",
        headers={"typ": "openid4vci-proof+jwt", "jwk": {"kty": "oct", "k": "c2VjcmV0"}},
    )
    assert error_of(wallet.credential(access_token, proof=proof)) == "invalid_proof"


def test_wrong_aud_is_invalid_proof(wallet, access_token):
    assert error_of(wallet.credential(access_token, audience="https://another-issuer.example")) == "invalid_proof"


def test_wrong_typ_is_invalid_proof(wallet, access_token):
    assert error_of(wallet.credential(access_token, typ="JWT")) == "invalid_proof"


def test_signature_by_another_key_than_the_jwk_is_invalid_proof(wallet, access_token):
    other = ec.generate_private_key(ec.SECP256R1())
    assert error_of(wallet.credential(access_token, signing_key=other)) == "invalid_proof"


def test_private_key_in_the_jwk_header_is_invalid_proof(wallet, access_token):
    private_jwk = jwt.algorithms.ECAlgorithm.to_jwk(wallet.key.private_key, as_dict=True)
    assert error_of(wallet.credential(access_token, header={"jwk": private_jwk})) == "invalid_proof"


def test_kid_instead_of_jwk_is_invalid_proof(wallet, access_token):
    proof = jwt.encode(
        {"aud": wallet.issuer, "iat": int(time.time()), "nonce": wallet.nonce()},
        wallet.key.private_key, algorithm="ES256", headers={"typ": "openid4vci-proof+jwt", "kid": "did:example:123#1"},
    )
    assert error_of(wallet.credential(access_token, proof=proof)) == "invalid_proof"


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
def test_weak_rsa_key_is_invalid_proof(wallet, access_token):
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    proof = jwt.encode(
        {"aud": wallet.issuer, "iat": int(time.time()), "nonce": wallet.nonce()}, weak, algorithm="RS256",
        headers={"typ": "openid4vci-proof+jwt", "jwk": jwt.algorithms.RSAAlgorithm.to_jwk(weak.public_key(), as_dict=True)},
    )
    assert error_of(wallet.credential(access_token, proof=proof)) == "invalid_proof"


@pytest.mark.parametrize("age", [600, -600])
def test_iat_outside_the_window_is_invalid_proof(wallet, access_token, age):
    assert error_of(wallet.credential(access_token, iat=time.time() - age)) == "invalid_proof"


def test_proof_without_nonce_is_invalid_proof(wallet, access_token):
    assert error_of(wallet.credential(access_token, nonce=None)) == "invalid_proof"


def test_unknown_nonce_is_invalid_nonce(wallet, access_token):
    assert error_of(wallet.credential(access_token, nonce="made-up")) == "invalid_nonce"


@pytest.mark.postgres  # SQL behaviour
def test_replayed_nonce_is_invalid_nonce(wallet, access_token):
    nonce = wallet.nonce()
    assert wallet.credential(access_token, nonce=nonce).status_code == 200
    assert error_of(wallet.credential(access_token, nonce=nonce)) == "invalid_nonce"
    assert issued_count() == 1


@pytest.mark.postgres  # SQL behaviour
def test_replayed_proof_is_refused(wallet, access_token):
    proof = wallet.key.proof(audience=wallet.issuer, nonce=wallet.nonce())
    assert wallet.credential(access_token, proof=proof).status_code == 200
    assert error_of(wallet.credential(access_token, proof=proof)) == "invalid_nonce"


def test_expired_nonce_is_invalid_nonce(wallet, access_token):
    nonce = wallet.nonce()
    expire(ProofNonce)
    assert error_of(wallet.credential(access_token, nonce=nonce)) == "invalid_nonce"
    assert issued_count() == 0


def test_other_asymmetric_algorithms_are_accepted(wallet, access_token):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    proof = jwt.encode(
        {"aud": wallet.issuer, "iat": int(time.time()), "nonce": wallet.nonce()}, key, algorithm="PS256",
        headers={"typ": "openid4vci-proof+jwt", "jwk": jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)},
    )
    assert wallet.credential(access_token, proof=proof).status_code == 200


# --- notification endpoint -------------------------------------------------------------------------


def test_notification_refusals(wallet, access_token, signed_results, make_offer, client):
    notification_id = wallet.credential(access_token).get_json()["notification_id"]
    auth = {"Authorization": f"Bearer {access_token}"}
    post = lambda body, headers=auth: wallet.client.post("/notification", json=body, headers=headers)  # noqa: E731
    assert error_of(post({"notification_id": "unknown", "event": "credential_accepted"})) == "invalid_notification_id"
    assert error_of(post({"notification_id": notification_id, "event": "credential_lost"})) == "invalid_notification_request"
    assert error_of(post({"event": "credential_accepted"})) == "invalid_notification_request"
    assert_no_token_challenge(post({"notification_id": notification_id, "event": "credential_accepted"}, headers={}))
    # Another wallet's token cannot speak for this credential.
    other_token = wallet.access_token(make_offer(client, signed_results[CITIZEN2]))
    other = {"Authorization": f"Bearer {other_token}"}
    assert error_of(post({"notification_id": notification_id, "event": "credential_deleted"}, headers=other)) == "invalid_notification_id"
    assert post({"notification_id": notification_id, "event": "credential_accepted"}).status_code == 204
    assert post({"notification_id": notification_id, "event": "credential_accepted"}).status_code == 204  # idempotent


@pytest.mark.parametrize(
    "header, payload",
    [
        ({"typ": "openid4vci-proof+jwt", "alg": "ES256", "jwk": {"kty": "EC", "crv": "P-256", "x": "AAAA", "y": "BBBB"}}, None),
        ({"typ": "openid4vci-proof+jwt", "alg": "ES256", "jwk": {"kty": "EC", "crv": "P-256"}}, None),
        ({"typ": "openid4vci-proof+jwt", "alg": "ES256", "jwk": "not-an-object"}, None),
        ({"typ": "openid4vci-proof+jwt", "alg": "ES256", "jwk": {"kty": "RSA", "n": "AQAB", "e": "AQAB"}}, None),
        ({"typ": "openid4vci-proof+jwt", "alg": ["ES256"]}, None),
        (None, {"aud": 42, "iat": "yesterday", "nonce": 7}),
        (None, {"aud": ["a", "b"], "iat": 1e30}),
    ],
)
def test_malformed_proofs_are_invalid_proof_never_a_crash(wallet, access_token, header, payload):
    import base64
    import json

    enc = lambda d: base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()  # noqa: E731
    signed = wallet.key.proof(audience=wallet.issuer, nonce="n")
    h, p, s = signed.split(".")
    proof = ".".join([enc(header) if header else h, enc(payload) if payload else p, s])
    assert error_of(wallet.credential(access_token, proof=proof)) == "invalid_proof"


@pytest.mark.parametrize("proof", [123, "", "a.b", "....", "e30.e30.", None])
def test_proofs_that_are_not_jwts(wallet, access_token, proof):
    body = {"credential_configuration_id": "administrative_result", "proofs": {"jwt": [proof]}}
    assert error_of(wallet.credential(access_token, body=body)) == "invalid_proof"
