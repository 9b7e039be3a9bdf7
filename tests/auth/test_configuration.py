"""Configuration of the login: production refuses the embedded provider; the init step makes the
provider's key; `next` targets and claim readings behave as documented."""
from __future__ import annotations

import datetime as dt
import stat

import pytest

from adapters.oidc import STANDARD, VNEID, IdentityRefused, read_citizen, read_official
from tests.conftest import PRODUCTION_SESSIONS, keys_config_without_keys
from wallet_service import create_app
from wallet_service.auth.sessions import safe_next
from wallet_service.platform.config import ConfigError
from wallet_service.services import services

PRODUCTION = {"env": "production", "secret_key": "p" * 48, "database_url": "postgresql+psycopg://u@127.0.0.1/x",
              "keys_config": "pkcs11:token=wallet", **PRODUCTION_SESSIONS}


def test_production_refuses_the_embedded_provider(tmp_path):
    with pytest.raises(ConfigError, match="OIDC_CITIZEN_ISSUER.*OIDC_OFFICIAL_ISSUER"):
        create_app({**PRODUCTION, "instance_path": tmp_path})
    with pytest.raises(ConfigError, match="OIDC_OFFICIAL_ISSUER"):
        create_app({**PRODUCTION, "instance_path": tmp_path,
                    "OIDC_CITIZEN_ISSUER": "https://id.example.gov.vn", "OIDC_CITIZEN_CLIENT_ID": "wallet"})


def test_production_with_external_providers_has_no_dev_provider_and_secure_cookies(tmp_path):
    providers = {f"OIDC_{role}_{name}": value for role in ("CITIZEN", "OFFICIAL")
                 for name, value in (("ISSUER", "https://id.example.gov.vn"), ("CLIENT_ID", "wallet"))}
    app = create_app({**PRODUCTION, "instance_path": tmp_path, "keys_config": keys_config_without_keys(tmp_path), **providers})
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["SESSION_COOKIE_HTTPONLY"]
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert not [rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/dev-oidc")]
    assert services(app).devidp is None
    assert services(app).official_issuer == "https://id.example.gov.vn"


def test_issuer_without_client_id_is_a_configuration_error(tmp_path):
    with pytest.raises(ConfigError, match="OIDC_OFFICIAL_CLIENT_ID"):
        create_app({"instance_path": tmp_path, "OIDC_OFFICIAL_ISSUER": "https://idp.example"})
    with pytest.raises(ConfigError, match="OIDC_CITIZEN_CLAIMS"):
        create_app({"instance_path": tmp_path, "OIDC_CITIZEN_CLAIMS": "saml"})


def test_init_step_makes_the_provider_key_once_private(tmp_path):
    app = create_app({"instance_path": tmp_path / "instance", "TESTING": True})
    step = next(s for s in services(app).init_steps if s.__module__.startswith("wallet_service.dev.idp"))
    assert "created" in step(app)
    key = tmp_path / "instance" / "dev-oidc" / "signing-key.jwk.json"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    before = key.read_bytes()
    assert "ready" in step(app) and key.read_bytes() == before
    assert services(app).official_issuer == "http://127.0.0.1:5000/dev-oidc"


@pytest.mark.parametrize("target, expected", [
    ("/wallet/", "/wallet/"), ("/official/?page=2#top", "/official/?page=2#top"),
    ("//evil.example", None), ("/\\evil.example", None), ("https://evil.example/", None),
    ("evil.example", None), ("/x\r\nSet-Cookie: a=b", None), ("", None), (None, None),
])
def test_next_targets_stay_on_site(target, expected):
    assert safe_next(target) == expected


def test_vneid_and_standard_readings():
    vneid = read_citizen(VNEID, {"citizenPid": "022186001234", "fullName": "Lê Thị Hoa",
                                 "birthDate": "19860412", "accountLevel": 2})
    standard = read_citizen(STANDARD, {"personal_id": "022186001234", "name": "Lê Thị Hoa",
                                       "birthdate": "1986-04-12", "acr": "urn:vn:loa:2"})
    assert vneid == standard
    assert vneid.birth_date == dt.date(1986, 4, 12) and vneid.account_level == 2
    with pytest.raises(IdentityRefused, match="personal ID"):
        read_citizen(VNEID, {"fullName": "Lê Thị Hoa", "sub": "x"})
    with pytest.raises(IdentityRefused) as bad_date:
        read_citizen(VNEID, {"SoDinhDanh": "022186001234", "HoVaTen": "Lê Thị Hoa", "NgayThangNamSinh": "1986-04-12"})
    assert bad_date.value.code == "birth_date_invalid"


def test_a_personal_id_of_non_ascii_digits_is_refused():
    for number in ("022１８６００１２３４", "022١٨٦٠٠١٢٣٤", "022१८६००१२३४"):
        with pytest.raises(IdentityRefused) as refused:
            read_citizen(STANDARD, {"personal_id": number, "name": "Lê Thị Hoa"})
        assert refused.value.code == "personal_id_invalid"
    assert read_citizen(STANDARD, {"personal_id": "022186001234", "name": "Lê Thị Hoa",
                                   "acr": "urn:vn:loa:٢"}).account_level is None


def test_official_roles_from_nested_claims_and_unknown_roles_ignored():
    identity = read_official(STANDARD, {"sub": "u1", "name": "A", "realm_access": {"roles": ["annul", "admin"]},
                                        "agency": ["000.00.15.H40"]},
                             issuer="https://idp", agency_claim="agency", roles_claims=("realm_access.roles",))
    assert identity.roles == frozenset({"annul"}) and identity.agency_code == "000.00.15.H40"
    no_claim = read_official(STANDARD, {"sub": "u1"}, issuer="https://idp", agency_claim="agency", roles_claims=("roles",))
    assert no_claim.roles is None and no_claim.agency_code is None


def test_scopes_must_include_openid(tmp_path):
    with pytest.raises(ConfigError, match="OIDC_CITIZEN_SCOPES"):
        create_app({"instance_path": tmp_path, "OIDC_CITIZEN_SCOPES": "profile"})
    app = create_app({"instance_path": tmp_path, "OIDC_CITIZEN_ISSUER": "https://id.example", "OIDC_CITIZEN_CLIENT_ID": "w",
                      "OIDC_CITIZEN_SCOPES": "openid profile citizen_id"})
    assert services(app).oidc["citizen"].config.scope == "openid profile citizen_id"
