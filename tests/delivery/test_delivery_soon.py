"""A signed batch's deliveries leave at once: the commit that records its results queues a delivery
round, on the embedded default as on Celery, instead of waiting for the next poll (which stays the
safety net)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.conftest import login_as, official_principal
from wallet_service.models import Delivery, Result, db
from wallet_service.services import services

from .conftest import AGENCY1, write_targets
from .test_live_delivery import _until


@pytest.fixture
def hourly_poll(store, tmp_path, monkeypatch):
    monkeypatch.setenv("DELIVERY_TARGETS_FILE", write_targets(tmp_path / "targets.json", store))
    monkeypatch.setenv("DELIVERY_POLL_SECONDS", "3600")


@pytest.fixture
def app(hourly_poll, live_app):
    services(live_app).delivery_poller.stop()  # before the first request: it never runs a round
    yield live_app


def test_a_signed_batch_queues_its_deliveries_without_waiting_for_the_poll(app, demo_results, store):
    ids = [r.id for code, r in sorted(demo_results.items()) if r.agency.code == AGENCY1][:2]
    client = app.test_client()
    csrf = {"X-CSRFToken": login_as(app, client, official_principal("official1"))}
    assert client.post("/api/v1/signing-batches", json={"result_ids": ids}, headers=csrf).status_code == 202
    services(app).jobs.wait(timeout=300)

    assert _until(lambda: len(store.state.accepted) == 2, timeout=30), store.state.requests
    assert _until(lambda: (db.session.expire_all(), {r.status for r in db.session.scalars(
        select(Result).where(Result.id.in_(ids)))})[1] == {"delivered"})
    assert len(store.state.requests) == 2  # each sent once
    assert {d.status for d in db.session.scalars(select(Delivery))} == {"sent"}
