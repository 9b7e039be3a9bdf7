"""The same tasks on Celery: a worker process signs a batch posted through the API, beat's delivery
round sends it to the store; on Redis with beat as its own process, on RabbitMQ with beat embedded
in the one worker (`-B`)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.conftest import login_as, official_principal
from wallet_service.models import Delivery, ResultSignature, SigningBatch, db
from wallet_service.platform import jobs, runners

from .conftest import RABBITMQ_URL, REDIS_URL, statuses, submit_results, wait_until
from wallet_service.services import services

pytestmark = pytest.mark.postgres  # SQL behaviour: runs on PostgreSQL too


@pytest.mark.parametrize(("broker_url", "embedded_beat"), [(REDIS_URL, False), (RABBITMQ_URL, True)],
                         ids=["redis", "rabbitmq"])
def test_a_worker_signs_and_beat_delivers(app, demo, fleet, store, broker_url, embedded_beat):
    assert isinstance(jobs.runner(app), runners.CeleryJobRunner)
    assert services(app).delivery_poller is None  # the web process sends nothing itself
    ids = submit_results(app, 4)
    client = app.test_client()
    csrf = {"X-CSRFToken": login_as(app, client, official_principal("official1"))}
    if embedded_beat:
        fleet.worker("w1", "--beat")
    else:
        fleet.beat()
        fleet.worker("w1")
    created = client.post("/api/v1/signing-batches", json={"result_ids": ids}, headers=csrf)
    assert created.status_code == 202, created.get_json()

    assert wait_until(lambda: statuses(ids) == {"delivered": 4}, timeout=240), (
        statuses(ids), fleet.log("w1")[-4000:])
    progress = client.get(f"/api/v1/signing-batches/{created.get_json()['id']}").get_json()
    assert (progress["status"], progress["done"], progress["failed"]) == ("finished", 4, 0)
    positions = sorted((s.result_id, s.position) for s in db.session.scalars(select(ResultSignature)))
    assert positions == sorted((i, p) for i in ids for p in (1, 2))
    deliveries = db.session.scalars(select(Delivery)).all()
    assert sorted(store.state.accepted) == sorted(d.idempotency_key for d in deliveries)
    assert len(store.state.requests) == len(deliveries) == 4
    assert db.session.scalar(select(SigningBatch.attempt)) == 1
    log = fleet.log("w1")
    assert "wallet.sign_batch" in log and "wallet.every.delivery" in log
