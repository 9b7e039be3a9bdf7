"""The authorization code flow of the issuer: a pushed authorization request (RFC 9126) with PKCE
S256, the citizen logging in through the service's OIDC login (the embedded provider, over HTTP,
once; the documented session seam elsewhere), the code back at the wallet's redirect_uri, and the
token exchange with the code_verifier; a wrong verifier, another citizen, a replayed code refused."""
from __future__ import annotations

import base64
import hashlib
import json
import secrets
from urllib.parse import parse_qs, urlparse

import requests
from cryptography.hazmat.primitives.asymmetric import ec
from jwcrypto.jwk import JWK

from tests.auth.browser import forms, submit
from tests.auth.conftest import make_service, service_server  # noqa: F401  (fixtures of the served app)
from tests.issuer.conftest import CITIZEN1, CITIZEN2, WalletKey, dpop_proof, make_signed_results
from tests.issuer.test_issuance_flow import verify_sd_jwt_vc
from wallet_service.models import db
from wallet_service.services import services

REDIRECT_URI = "https://wallet.example/callback"


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def push(http, challenge: str, **params) -> str:
    data = {"response_type": "code", "client_id": "wallet-app", "redirect_uri": REDIRECT_URI, "state": "wallet-state",
            "code_challenge": challenge, "code_challenge_method": "S256", **params}
    response = http.post("/par", data=data)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["expires_in"] > 0
    return response.get_json()["request_uri"]


def code_of(response) -> str:
    assert response.status_code == 303, response.get_data(as_text=True)
    location = urlparse(response.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT_URI
    query = parse_qs(location.query)
    assert query["state"] == ["wallet-state"]
    return query["code"][0]


def page_result_id(html: str) -> str:
    return html.split('name="result_id" value="', 1)[1].split('"', 1)[0]


def redeem(http, code: str, verifier: str, **extra):
    data = {"grant_type": "authorization_code", "code": code, "code_verifier": verifier, "redirect_uri": REDIRECT_URI,
            "client_id": "wallet-app", **extra}
    return http.post("/token", data=data)


def issuer_state(wallet_client, offer) -> str:
    offered = wallet_client.get("/" + offer.offer_url.split("/", 3)[3]).get_json()
    return offered["grants"]["authorization_code"]["issuer_state"]


def test_offer_issuer_state_par_pkce_and_wrong_verifier(app, client, signed_results, make_offer, citizen_login, wallet):
    result = signed_results[CITIZEN1]
    metadata = wallet.client.get("/.well-known/oauth-authorization-server").get_json()
    assert metadata["pushed_authorization_request_endpoint"].endswith("/par")
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    verifier, challenge = pkce()
    request_uri = push(wallet.client, challenge, issuer_state=issuer_state(wallet.client, make_offer(client, result)))

    browser = app.test_client()
    authorize = f"/authorize?client_id=wallet-app&request_uri={request_uri}"
    to_login = browser.get(authorize)
    assert to_login.status_code == 302
    login = urlparse(to_login.headers["Location"])
    assert login.path == "/auth/login" and parse_qs(login.query)["role"] == ["citizen"]
    assert parse_qs(login.query)["next"][0].startswith("/authorize?")

    other = app.test_client()
    citizen_login(other, CITIZEN2)
    assert other.get(authorize, headers={"Accept": "application/json"}).status_code == 403

    headers = citizen_login(browser, CITIZEN1)
    page = browser.get(authorize)
    assert page.status_code == 200 and result.dossier_code in page.get_data(as_text=True)
    assert browser.post(authorize).status_code == 400, "the confirmation needs the session's CSRF token"
    code = code_of(browser.post(authorize, headers=headers))
    assert browser.get(authorize, headers={"Accept": "application/json"}).status_code == 404, "a request_uri is used once"
    wrong = redeem(wallet.client, code, pkce()[0])
    assert wrong.status_code == 400 and wrong.get_json()["error"] == "invalid_grant"
    assert "PKCE" in wrong.get_json()["error_description"]
    again = redeem(wallet.client, code, verifier)
    assert again.status_code == 400 and again.get_json()["error"] == "invalid_grant", "a code is tried once"

    # The whole flow once more, this time with the right verifier: a credential comes out.
    verifier, challenge = pkce()
    request_uri = push(wallet.client, challenge, issuer_state=issuer_state(wallet.client, make_offer(client, result)))
    code = code_of(browser.post(f"/authorize?client_id=wallet-app&request_uri={request_uri}", headers=headers))
    assert redeem(wallet.client, code, verifier, client_id="another-wallet").get_json()["error"] == "invalid_grant"
    verifier, challenge = pkce()
    request_uri = push(wallet.client, challenge, issuer_state=issuer_state(wallet.client, make_offer(client, result)))
    code = code_of(browser.post(f"/authorize?client_id=wallet-app&request_uri={request_uri}", headers=headers))
    token = redeem(wallet.client, code, verifier)
    assert token.status_code == 200, token.get_json()
    issued = wallet.credential(token.get_json()["access_token"])
    assert issued.status_code == 200, issued.get_json()
    payload = verify_sd_jwt_vc(client, issued.get_json()["credentials"][0]["credential"])[1]
    assert payload["result_id"] == result.id


def test_wallet_initiated_request_lets_the_citizen_choose_the_result(app, signed_results, citizen_login, wallet):
    verifier, challenge = pkce()
    details = [{"type": "openid_credential", "credential_configuration_id": "administrative_result"}]
    wrong = wallet.client.post("/par", data={"response_type": "code", "client_id": "wallet-app", "redirect_uri": REDIRECT_URI,
                                             "code_challenge": challenge, "code_challenge_method": "plain",
                                             "authorization_details": json.dumps(details)})
    assert wrong.status_code == 400 and "PKCE" in wrong.get_json()["error_description"]
    too_long = wallet.client.post("/par", data={"response_type": "code", "client_id": "wallet-app", "redirect_uri": REDIRECT_URI,
                                                "code_challenge": challenge, "code_challenge_method": "S256",
                                                "state": "s" * 513, "authorization_details": json.dumps(details)})
    assert too_long.status_code == 400 and too_long.get_json()["error"] == "invalid_request"
    request_uri = push(wallet.client, challenge, authorization_details=json.dumps(details))
    browser = app.test_client()
    headers = citizen_login(browser, CITIZEN1)
    page = browser.get(f"/authorize?client_id=wallet-app&request_uri={request_uri}")
    assert page.status_code == 200
    result = signed_results[CITIZEN1]
    assert result.dossier_code in page.get_data(as_text=True)
    assert signed_results[CITIZEN2].dossier_code not in page.get_data(as_text=True)
    form = {"client_id": "wallet-app", "request_uri": request_uri, "result_id": result.id}
    assert browser.post("/authorize", data=form).status_code == 400, "the choice needs the session's CSRF token"
    code = code_of(browser.post("/authorize", data=form, headers=headers))
    token = redeem(wallet.client, code, verifier)
    assert token.status_code == 200, token.get_json()
    assert wallet.credential(token.get_json()["access_token"]).status_code == 200


def test_citizen_logs_in_through_the_oidc_login_for_a_dpop_bound_code(make_service, result_documents):  # noqa: F811
    app = make_service()
    base_url = services(app).settings.public_base_url
    with app.app_context():
        result = make_signed_results(app, result_documents)[CITIZEN1]
        dossier = result.dossier_code
        db.session.remove()
    dpop_key = ec.generate_private_key(ec.SECP256R1())
    jkt = JWK(**WalletKey(dpop_key).public_jwk).thumbprint()
    verifier, challenge = pkce()
    details = [{"type": "openid_credential", "credential_configuration_id": "administrative_result"}]
    with requests.Session() as wallet_http, requests.Session() as browser:
        pushed = wallet_http.post(base_url + "/par", data={
            "response_type": "code", "client_id": "wallet-app", "redirect_uri": base_url + "/wallet-callback",
            "code_challenge": challenge, "code_challenge_method": "S256", "authorization_details": json.dumps(details),
            "dpop_jkt": jkt}, timeout=20)
        assert pushed.status_code == 201, pushed.text
        page = browser.get(base_url + "/authorize", params={"client_id": "wallet-app", "request_uri": pushed.json()["request_uri"]},
                           timeout=20)
        assert "/dev-oidc/" in page.url, "the citizen is sent to the service's identity provider"
        page = submit(browser, page, {"username": "citizen1", "login": "citizen1", "password": "demo"})
        for _ in range(3):
            if page.url.startswith(base_url + "/authorize"):
                break
            page = submit(browser, page)
        assert dossier in page.text
        choice = next(form for form in forms(page.text) if form.action == "/authorize")  # not the header's logout
        back = browser.post(base_url + "/authorize", data={**choice.fields, "result_id": page_result_id(page.text)}, timeout=20)
        assert back.url.startswith(base_url + "/wallet-callback?")  # the wallet's redirect_uri (not served here)
        code = parse_qs(urlparse(back.url).query)["code"][0]
        data = {"grant_type": "authorization_code", "code": code, "code_verifier": verifier,
                "redirect_uri": base_url + "/wallet-callback", "client_id": "wallet-app"}
        first = wallet_http.post(base_url + "/token", data=data, timeout=20,
                                 headers={"DPoP": dpop_proof(dpop_key, "POST", base_url + "/token")})
        assert first.json()["error"] == "use_dpop_nonce"
        proof = dpop_proof(dpop_key, "POST", base_url + "/token", nonce=first.headers["DPoP-Nonce"])
        token = wallet_http.post(base_url + "/token", data=data, headers={"DPoP": proof}, timeout=20)
        assert token.status_code == 200, token.text
        assert token.json()["token_type"] == "DPoP"
