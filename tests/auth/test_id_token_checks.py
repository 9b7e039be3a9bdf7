"""Token-level refusals, forged for real by a provider of the tests' own (fake_provider.py):
each bad ID token is refused with a 4xx naming the reason, and good ones are accepted."""
from __future__ import annotations

import time

import pytest
from joserfc.jwk import RSAKey

from wallet_service.models import Official, db

from .fake_provider import CITIZEN_CLAIMS, CLIENT_ID, CLIENT_SECRET, new_key
from wallet_service.services import services


def external_config(issuer: str, citizen_claims: str = "standard") -> dict:
    config = {}
    for role, claims in (("CITIZEN", citizen_claims), ("OFFICIAL", "standard")):
        config.update({f"OIDC_{role}_ISSUER": issuer, f"OIDC_{role}_CLIENT_ID": CLIENT_ID,
                       f"OIDC_{role}_CLIENT_SECRET": CLIENT_SECRET, f"OIDC_{role}_CLAIMS": claims})
    return config


@pytest.fixture
def service(make_service, provider):
    return make_service(**external_config(provider))


def base(app) -> str:
    return services(app).settings.public_base_url


def login(browser, app, role="citizen"):
    return browser.get(base(app) + "/auth/login", params={"role": role}, timeout=20)


def refused(browser, app, role="citizen") -> tuple[int, dict]:
    browser.headers["Accept"] = "application/json"
    answer = login(browser, app, role)
    assert browser.get(base(app) + "/api/v1/me").status_code == 401  # nobody logged in
    return answer.status_code, answer.json()


def test_genuine_token_logs_the_citizen_in(service, browser, scenario):
    page = login(browser, service)
    assert page.url == base(service) + "/wallet/"
    assert browser.get(base(service) + "/api/v1/me").json()["personal_id"] == "022186001234"
    assert browser.get(base(service) + "/dev-oidc/.well-known/openid-configuration").status_code == 404  # not mounted


def test_bad_signature(service, browser, scenario):
    published = scenario.published[0]
    impostor = RSAKey.import_key({**new_key().as_dict(private=True), "kid": published.kid})
    scenario.signing_key = impostor
    status, body = refused(browser, service)
    assert (status, body["error"]) == (401, "id_token_signature")
    assert "signature" in body["message"]


@pytest.mark.parametrize("aud", ["another-client", [CLIENT_ID, "another-client"]])
def test_wrong_audience(service, browser, scenario, aud):
    scenario.overrides = {"aud": aud}
    status, body = refused(browser, service)
    assert (status, body["error"]) == (401, "id_token_audience")


def test_wrong_authorised_party(service, browser, scenario):
    scenario.overrides = {"azp": "another-client"}
    assert refused(browser, service)[1]["error"] == "id_token_audience"


def test_expired_token(service, browser, scenario):
    now = int(time.time())
    scenario.overrides = {"iat": now - 3600, "exp": now - 3000}
    status, body = refused(browser, service)
    assert (status, body["error"]) == (401, "id_token_expired")


def test_token_issued_long_ago_is_refused_even_if_not_expired(service, browser, scenario):
    now = int(time.time())
    scenario.overrides = {"iat": now - 3600, "exp": now + 3600}
    assert refused(browser, service)[1]["error"] == "id_token_issued_at"


@pytest.mark.parametrize("nonce", ["not-the-nonce-we-sent", None])
def test_wrong_or_missing_nonce(service, browser, scenario, nonce):
    scenario.overrides = {"nonce": nonce}
    status, body = refused(browser, service)
    assert (status, body["error"]) == (401, "id_token_nonce")


def test_wrong_issuer(service, browser, scenario):
    scenario.overrides = {"iss": "https://evil.example"}
    assert refused(browser, service)[1]["error"] == "id_token_issuer"


def test_alg_none_is_refused(service, browser, scenario):
    scenario.alg = "none"
    status, body = refused(browser, service)
    assert (status, body["error"]) == (401, "id_token_algorithm")
    assert "unsigned" in body["message"]


def test_symmetric_algorithm_not_announced_is_refused(service, browser, scenario):
    scenario.alg = "HS256"  # a valid HMAC with our client secret, but the provider announced RS256 only
    status, body = refused(browser, service)
    assert (status, body["error"]) == (401, "id_token_algorithm")
    assert "did not announce" in body["message"]


def test_symmetric_algorithm_announced_is_accepted(service, browser, scenario):
    scenario.alg = "HS256"
    scenario.announced_algs = ("RS256", "HS256")
    assert login(browser, service).url == base(service) + "/wallet/"


def test_rotated_key_is_fetched_again(service, browser, scenario):
    assert login(browser, service).url.endswith("/wallet/")
    assert scenario.jwks_fetches == 1
    rotated = new_key()
    scenario.signing_key, scenario.published = rotated, [rotated]
    browser.cookies.clear()
    assert login(browser, service).url.endswith("/wallet/")
    assert scenario.jwks_fetches == 2
    browser.cookies.clear()
    assert login(browser, service).url.endswith("/wallet/")
    assert scenario.jwks_fetches == 2  # cached again


def test_key_the_provider_does_not_publish_is_refused_after_refetch(service, browser, scenario):
    scenario.signing_key = new_key()
    status, body = refused(browser, service)
    assert (status, body["error"]) == (401, "id_token_signature")
    assert scenario.jwks_fetches == 2  # looked again before refusing


def test_refusal_page_for_people_names_the_reason(service, browser, scenario):
    scenario.overrides = {"nonce": "replayed"}
    page = login(browser, service)
    assert page.status_code == 401 and "text/html" in page.headers["Content-Type"]
    assert page.url == base(service) + "/auth/refused"  # the provider's code left the address bar
    assert "Chưa hoàn tất được việc đăng nhập" in page.text and "id_token_nonce" in page.text


def test_vneid_claim_profile(make_service, provider, browser, scenario):
    app = make_service(**external_config(provider, citizen_claims="vneid"))
    scenario.claims = {"sub": "vneid-9", "SoDinhDanh": "022090004567", "HoVaTen": "Phạm Văn Minh",
                       "NgayThangNamSinh": "19900902", "MucDoDinhDanh": "2"}
    assert login(browser, app).url.endswith("/wallet/")
    assert browser.get(base(app) + "/api/v1/me").json() == {
        "role": "citizen", "name": "Phạm Văn Minh", "personal_id": "022090004567"}


@pytest.mark.parametrize("level", ["urn:vn:loa:1", None])
def test_citizen_below_level_two_is_refused(service, browser, scenario, level):
    scenario.claims = {**CITIZEN_CLAIMS, "acr": level}
    if level is None:
        del scenario.claims["acr"]
    status, body = refused(browser, service)
    assert (status, body["error"]) == (403, "account_level_too_low")


def test_malformed_personal_id_is_refused(service, browser, scenario):
    scenario.claims = {**CITIZEN_CLAIMS, "personal_id": "999186001234"}
    status, body = refused(browser, service)
    assert (status, body["error"]) == (403, "personal_id_invalid")


@pytest.mark.parametrize("agency", ["000.00.99.H40", None])
def test_official_without_mapping_is_refused(service, browser, scenario, agency):
    scenario.claims = {"sub": "stranger", "name": "Người Lạ", "roles": ["signer"]}
    if agency:
        scenario.claims["agency_code"] = agency
    status, body = refused(browser, service, "official")
    assert (status, body["error"]) == (403, "official_not_mapped")
    assert "not mapped" in body["message"]


def test_official_is_mapped_from_agency_and_roles_claims(service, browser, scenario, provider):
    scenario.claims = {"sub": "s-42", "name": "Hoàng Thị Mai", "agency_code": "000.00.04.H40",
                       "groups": "signer, viewer"}
    assert login(browser, service, "official").url == base(service) + "/official/"
    me = browser.get(base(service) + "/api/v1/me").json()
    assert me["roles"] == ["signer"] and me["agency"]["code"] == "000.00.04.H40"
    with service.app_context():
        row = db.session.scalar(db.select(Official).where(Official.subject == "s-42"))
        assert (row.issuer, row.full_name, row.roles) == (provider, "Hoàng Thị Mai", ["signer"])
        db.session.remove()


def test_demo_official_matched_by_issuer_and_subject(service, browser, scenario):
    scenario.claims = {"sub": "official1", "name": "Nguyễn Văn An"}  # no agency/roles claims: the record's stand
    login(browser, service, "official")
    me = browser.get(base(service) + "/api/v1/me").json()
    assert me["roles"] == ["annul", "leader", "signer"] and me["agency"]["code"] == "000.00.15.H40"


def test_unreachable_provider_is_a_clear_502(make_service, browser):
    app = make_service(**external_config("http://127.0.0.1:9"))
    browser.headers["Accept"] = "application/json"
    answer = login(browser, app)
    assert answer.status_code == 502 and answer.json()["error"] == "provider_unavailable"
