"""Rate limits on login and intake: the request over the limit gets 429 and a Retry-After."""
from __future__ import annotations

from tests.conftest import register_case_system_in
from wallet_service.dev import demo as demo_data
from wallet_service.models import db


def test_login_is_limited_per_address(make_app):
    app = make_app(RATE_LIMIT_LOGIN="2 per minute")
    client = app.test_client()
    # the provider's callback, reached with no login in progress: refused, but counted
    assert [client.get("/auth/callback?state=x&code=y").status_code for _ in range(2)] == [400, 400]
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
