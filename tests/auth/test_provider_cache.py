"""How long the relying party keeps the provider's discovery document and keys, and how often it may
fetch them out of turn: against the tests' own provider over real HTTP, with a clock the test moves."""
from __future__ import annotations

import pytest

from adapters.oidc import ProviderConfig, RelyingParty
from adapters.oidc.http_cache import lifetime
from wallet_service.services import services

from .fake_provider import CLIENT_ID, CLIENT_SECRET, new_key
from .test_id_token_checks import external_config, login, refused


class Clock:
    """Monotonic seconds that move only when the test says so."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def relying_party(provider, clock):
    return RelyingParty(ProviderConfig(provider, CLIENT_ID, CLIENT_SECRET, "http://127.0.0.1/callback"), clock=clock)


@pytest.fixture
def service(make_service, provider, clock):
    """The service logging citizens in at the tests' provider, its relying party on `clock`."""
    app = make_service(**external_config(provider))
    relying_parties = services(app).oidc
    relying_parties["citizen"] = RelyingParty(relying_parties["citizen"].config, clock=clock)
    return app


def test_discovery_is_used_again_until_its_max_age_then_fetched_anew(relying_party, clock, scenario, provider):
    scenario.cache_headers = {"discovery": {"Cache-Control": "public, max-age=60"}}
    assert relying_party.metadata()["token_endpoint"] == provider + "/token"
    scenario.discovery_overrides = {"token_endpoint": provider + "/token2"}
    clock.advance(59)
    assert relying_party.metadata()["token_endpoint"] == provider + "/token"
    clock.advance(1)
    assert relying_party.metadata()["token_endpoint"] == provider + "/token2"
    assert scenario.discovery_fetches == 2


def _fetches_after_reading(relying_party, scenario, document: str) -> int:
    """Reads `document` through the relying party; how often the provider served it so far."""
    if document == "discovery":
        relying_party.metadata()
        return scenario.discovery_fetches
    relying_party.jwks()
    return scenario.jwks_fetches


@pytest.mark.parametrize("document", ["discovery", "jwks"])
def test_without_caching_headers_a_document_is_kept_five_minutes(relying_party, clock, scenario, document):
    assert _fetches_after_reading(relying_party, scenario, document) == 1
    clock.advance(299)
    assert _fetches_after_reading(relying_party, scenario, document) == 1
    clock.advance(1)
    assert _fetches_after_reading(relying_party, scenario, document) == 2


@pytest.mark.parametrize("document", ["discovery", "jwks"])
def test_max_age_above_an_hour_is_capped_at_an_hour(relying_party, clock, scenario, document):
    scenario.cache_headers = {"discovery": {"Cache-Control": "max-age=86400"},
                              "jwks": {"Cache-Control": "max-age=86400"}}
    assert _fetches_after_reading(relying_party, scenario, document) == 1
    clock.advance(3599)
    assert _fetches_after_reading(relying_party, scenario, document) == 1
    clock.advance(1)
    assert _fetches_after_reading(relying_party, scenario, document) == 2


def test_no_store_is_fetched_every_time(relying_party, scenario):
    scenario.cache_headers = {"discovery": {"Cache-Control": "no-store"}}
    relying_party.metadata()
    relying_party.metadata()
    assert scenario.discovery_fetches == 2


@pytest.mark.parametrize(("headers", "seconds"), [
    ({}, 300),
    ({"Cache-Control": "max-age=60"}, 60),
    ({"Cache-Control": "max-age=60", "Age": "20"}, 40),
    ({"Cache-Control": "max-age=100000"}, 3600),
    ({"Cache-Control": "no-cache, max-age=60"}, 0),
    ({"Cache-Control": "no-store"}, 0),
    ({"Cache-Control": "max-age=soon"}, 0),
    ({"Expires": "Thu, 01 Jan 2026 00:02:00 GMT", "Date": "Thu, 01 Jan 2026 00:00:00 GMT"}, 120),
    ({"Expires": "Thu, 01 Jan 2026 00:00:00 GMT", "Date": "Thu, 01 Jan 2026 00:02:00 GMT"}, 0),
    ({"Expires": "0"}, 0),
    ({"Expires": "Thu, 01 Jan 2026 09:00:00 GMT", "Date": "Thu, 01 Jan 2026 00:00:00 GMT"}, 3600),
    ({"Cache-Control": "max-age=30", "Expires": "Thu, 01 Jan 2026 00:02:00 GMT",
      "Date": "Thu, 01 Jan 2026 00:00:00 GMT"}, 30),
])
def test_lifetime_from_headers(headers, seconds):
    assert lifetime(headers) == seconds


def test_new_key_with_unknown_kid_is_fetched_once_and_accepted(service, browser, scenario):
    assert login(browser, service).url.endswith("/wallet/")
    rotated = new_key()
    scenario.signing_key, scenario.published = rotated, [rotated]
    browser.cookies.clear()
    assert login(browser, service).url.endswith("/wallet/")
    assert scenario.jwks_fetches == 2


def test_unknown_kids_refetch_the_keys_at_most_once_a_minute(service, browser, scenario, clock):
    scenario.signing_key = new_key()
    assert refused(browser, service)[1]["error"] == "id_token_signature"
    assert scenario.jwks_fetches == 2  # the cached copy, then one refetch
    scenario.signing_key = new_key()
    assert refused(browser, service)[1]["error"] == "id_token_signature"
    assert scenario.jwks_fetches == 2  # within the minute: no second refetch
    clock.advance(60)
    scenario.signing_key = new_key()
    assert refused(browser, service)[1]["error"] == "id_token_signature"
    assert scenario.jwks_fetches == 3


def test_failed_token_call_refetches_discovery_at_most_once_a_minute(service, browser, scenario, clock):
    def failed_login() -> None:
        scenario.token_failure = 500
        browser.cookies.clear()
        assert refused(browser, service)[0] >= 400
        scenario.token_failure = None

    failed_login()
    assert scenario.discovery_fetches == 1
    browser.cookies.clear()
    assert login(browser, service).url.endswith("/wallet/")
    assert scenario.discovery_fetches == 2  # read again after the failure
    failed_login()
    browser.cookies.clear()
    assert login(browser, service).url.endswith("/wallet/")
    assert scenario.discovery_fetches == 2  # within the minute: not again
    clock.advance(60)
    failed_login()
    browser.cookies.clear()
    assert login(browser, service).url.endswith("/wallet/")
    assert scenario.discovery_fetches == 3
