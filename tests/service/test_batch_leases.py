"""Batch leases: one worker at a time, a stale worker writes nothing, a trust-service outage waits."""
from __future__ import annotations

import dataclasses
import datetime as dt
import time

import pytest
from sqlalchemy import select

from signing.pipeline import BatchSigner
from signing.profiles import TrustServices
from tests.conftest import official_principal
from wallet_service.batches import creation, runner
from wallet_service.models import Official, Result, SigningBatch, SigningBatchItem, db
from wallet_service.services import services

from .conftest import resume_once_the_lease_ends

pytestmark = pytest.mark.postgres  # SQL behaviour: runs on PostgreSQL too


def ward_ids(demo_results, n):
    return [r.id for code, r in sorted(demo_results.items()) if code.startswith("000.00.15.H40")][:n]


def test_only_one_worker_holds_a_batch_and_a_stale_one_writes_nothing(live_app, demo_results):
    batch = creation.create_batch(db.session, official_principal("official1"), ward_ids(demo_results, 1))
    first = runner.claim_batch(db.session, batch.id, dt.timedelta(seconds=1))
    assert first == 1
    assert runner.claim_batch(db.session, batch.id, dt.timedelta(seconds=1)) is None
    time.sleep(1.2)
    second = runner.claim_batch(db.session, batch.id, dt.timedelta(seconds=60))
    assert second == 2

    def keeper(attempt):  # not started: it only tells whether the lease was lost (never, here)
        return runner.LeaseKeeper(live_app, batch.id, attempt, dt.timedelta(seconds=60))

    stale = runner._Fence(batch.id, first, keeper(first))
    item_id = db.session.scalar(select(SigningBatchItem.id).where(SigningBatchItem.batch_id == batch.id))
    with pytest.raises(runner.LostLease):
        stale.take(db.session, item_id, "done")
    db.session.rollback()
    assert db.session.get(SigningBatchItem, item_id).status == "queued"
    current = runner._Fence(batch.id, second, keeper(second))
    assert current.take(db.session, item_id, "done") is True
    assert current.take(db.session, item_id, "done") is False  # recorded once only
    db.session.rollback()


def test_a_timestamp_outage_waits_then_the_batch_finishes(live_app, demo_results):
    ids = ward_ids(demo_results, 2)
    settings = services(live_app).settings  # settings are frozen: the app gets a copy with a short lease
    services(live_app).settings = dataclasses.replace(
        settings, batches=dataclasses.replace(settings.batches, lease_seconds=1.5))
    holder = services(live_app).batch_signer
    working = holder.get()
    # A TSA address where nothing listens: the timestamp request fails at once.
    holder.replace(BatchSigner(trust_services=TrustServices(tsa_url="http://127.0.0.1:9/tsa", http_timeout=2),
                               font=working.font, workers=1))
    batch = creation.create_batch(db.session, official_principal("official1"), ids)
    runner.run_batch(live_app, batch.id)
    db.session.expire_all()
    assert db.session.get(SigningBatch, batch.id).status == "running"
    items = db.session.scalars(select(SigningBatchItem).where(SigningBatchItem.batch_id == batch.id)).all()
    assert {i.status for i in items} == {"queued"}
    assert all(i.error.startswith("waiting: ") for i in items)
    assert {db.session.get(Result, i).status for i in ids} == {"signing"}

    holder.replace(working)
    resume_once_the_lease_ends(live_app, batch.id, 1.6)
    for rid in ids:
        result = db.session.get(Result, rid)
        assert result.status in ("signed", "delivered")
        assert [s.position for s in result.signatures] == [1, 2]


def test_a_missing_key_fails_the_batch_with_its_reason(live_app, demo_results):
    ids = ward_ids(demo_results, 1)
    official = db.session.scalar(select(Official).where(Official.username == "official1"))
    official.key_reference = "no-such-key"
    db.session.commit()
    batch = creation.create_batch(db.session, official_principal("official1"), ids)
    runner.run_batch(live_app, batch.id)
    db.session.expire_all()
    assert db.session.get(SigningBatch, batch.id).status == "finished"
    item = db.session.scalar(select(SigningBatchItem).where(SigningBatchItem.batch_id == batch.id))
    assert (item.status, item.error.split(":")[0]) == ("failed", "key_unavailable")
    assert db.session.get(Result, ids[0]).status == "failed"  # back in the queue, signable again
