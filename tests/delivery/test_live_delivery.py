"""End to end on the embedded default: an official signs through the API (the real signing
engine), the signing transaction writes the outbox rows, the app's own poller sends them without
anyone calling the worker, and the store checks each message with the key the service publishes
over HTTP. Then an annulment reaches the store the same way."""
from __future__ import annotations

import time

import jwt
import pytest
import requests
from sqlalchemy import select

from tests.conftest import login_as, official_principal
from wallet_service.models import Delivery, Result, db

from .conftest import AGENCY1, write_targets
from wallet_service.services import services


@pytest.fixture
def delivery_environment(store, tmp_path, monkeypatch):
    """Configured through the environment, as an operator would."""
    monkeypatch.setenv("DELIVERY_TARGETS_FILE", write_targets(tmp_path / "targets.json", store))
    monkeypatch.setenv("DELIVERY_POLL_SECONDS", "0.2")


@pytest.fixture
def app(delivery_environment, live_app):
    yield live_app
    services(live_app).delivery_poller.stop()


def _until(condition, timeout: float = 60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_signed_results_reach_the_store_through_the_poller(app, demo_results, store):
    base = app.config["LIVE_URL"]
    ids = [r.id for code, r in sorted(demo_results.items()) if r.agency.code == AGENCY1][:2]
    client = app.test_client()
    csrf = {"X-CSRFToken": login_as(app, client, official_principal("official1"))}
    assert client.post("/api/v1/signing-batches", json={"result_ids": ids}, headers=csrf).status_code == 202
    services(app).jobs.wait(timeout=300)
    requests.get(base + "/healthz", timeout=10)  # the app's first request starts its poller

    assert _until(lambda: len(store.state.accepted) == 2), store.state.requests
    jwks = jwt.PyJWKSet.from_dict(requests.get(base + "/.well-known/jwks.json", timeout=10).json())
    seen = {}
    for key, received in store.state.accepted.items():
        token = received.body.decode()
        claims = jwt.decode(token, jwks[jwt.get_unverified_header(token)["kid"]].key, algorithms=["ES256"], audience=store.url)
        assert claims["jti"] == key and claims["event"] == "result.signed"
        seen[claims["result"]["id"]] = claims["document"]["sha256"]
    db.session.expire_all()
    results = {r.id: r for r in db.session.scalars(select(Result).where(Result.id.in_(ids)))}
    assert seen == {i: results[i].signed_sha256 for i in ids}
    assert _until(lambda: (db.session.expire_all(), {r.status for r in db.session.scalars(select(Result).where(Result.id.in_(ids)))})[1] == {"delivered"})

    revoked = client.post(f"/api/v1/results/{ids[0]}/revoke", json={"reason": "Cấp nhầm đối tượng"}, headers=csrf)
    assert revoked.status_code == 200, revoked.get_json()
    assert _until(lambda: len(store.state.accepted) == 3)
    last = list(store.state.accepted.values())[-1].body.decode()
    claims = jwt.decode(last, jwks[jwt.get_unverified_header(last)["kid"]].key, algorithms=["ES256"], audience=store.url)
    assert (claims["event"], claims["result"]["id"]) == ("result.annulled", ids[0])
    body = client.get(f"/api/v1/results/{ids[0]}").get_json()
    assert body["status"] == "annulled"
    assert len(store.state.requests) == 3  # nothing sent twice
    # recorded once the store has answered: wait for the worker's commit
    assert _until(lambda: (db.session.expire_all(), {d.status for d in db.session.scalars(select(Delivery))})[1] == {"sent"})
