"""Rate limits on login and intake: the request over the limit gets 429 and a Retry-After; behind a
reverse proxy, per client."""
from __future__ import annotations

import pytest

from tests.conftest import register_case_system_in
from wallet_service.dev import demo as demo_data
from wallet_service.models import db
from wallet_service.platform.config import ConfigError

JSON = {"Accept": "application/json"}  # a browser would be sent on to the refusal page instead


def test_login_is_limited_per_address(make_app):
    app = make_app(RATE_LIMIT_LOGIN="2 per minute")
    client = app.test_client()
    # the provider's callback, reached with no login in progress: refused (in JSON, as asked), but counted
    assert [client.get("/auth/callback?state=x&code=y", headers=JSON).status_code for _ in range(2)] == [400, 400]
    refused = client.get("/auth/callback?state=x&code=y")
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0


def test_intake_is_limited_and_says_so_in_json(make_app):
    app = make_app(RATE_LIMIT_INTAKE="1 per minute")
    with app.app_context():
        demo_data.load_people(db.session, "http://issuer")
        case_system = register_case_system_in(app, "cs", ("000.00.15.H40",))
    client = app.test_client()
    first = client.post("/api/v1/results", headers=case_system.headers())
    assert first.status_code == 400  # counted, refused for its content
    limited = client.post("/api/v1/results", headers=case_system.headers())
    assert (limited.status_code, limited.json["error"]) == (429, "too_many_requests")
    # reading is not limited
    assert client.get("/api/v1/agencies", headers=case_system.headers()).status_code == 200


def _statuses(client, forwarded_for: list[str], remote_addr: str = "127.0.0.1") -> list[int]:
    return [client.get("/auth/callback?state=x&code=y", headers={"X-Forwarded-For": address, **JSON},
                       environ_base={"REMOTE_ADDR": remote_addr}).status_code
            for address in forwarded_for]


def test_behind_the_trusted_proxy_each_client_has_its_own_limit(make_app):
    app = make_app(RATE_LIMIT_LOGIN="2 per minute", FORWARDED_ALLOW_IPS="10.0.0.5, 192.168.0.0/16")
    client = app.test_client()
    # Three people behind the proxy at 10.0.0.5: the third's requests are not charged to the first.
    assert _statuses(client, ["198.51.100.1"] * 3, "10.0.0.5") == [400, 400, 429]
    assert _statuses(client, ["198.51.100.2"] * 2, "10.0.0.5") == [400, 400]
    # A proxy in a trusted network; the last hop it adds is the one believed (the client may forge earlier ones).
    assert _statuses(client, ["198.51.100.1, 198.51.100.3"] * 2, "192.168.4.4") == [400, 400]


def test_forwarding_headers_from_anyone_else_are_ignored(make_app):
    app = make_app(RATE_LIMIT_LOGIN="2 per minute", FORWARDED_ALLOW_IPS="10.0.0.5")
    client = app.test_client()
    # A client talking to the service directly cannot escape its limit by posing as other addresses.
    assert _statuses(client, ["198.51.100.7", "198.51.100.8", "198.51.100.9"], "203.0.113.9") == [400, 400, 429]


def test_forwarded_allow_ips_must_be_addresses(make_app):
    with pytest.raises(ConfigError, match="FORWARDED_ALLOW_IPS.*proxy.example"):
        make_app(FORWARDED_ALLOW_IPS="127.0.0.1, proxy.example")
