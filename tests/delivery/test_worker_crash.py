"""A worker process SIGKILLed in the middle of sending: the store already has the message, the
outbox does not know it. After the lease, another worker sends it again with the same idempotency
key; the store sees every delivery exactly once and nothing is lost."""
from __future__ import annotations

import datetime as dt
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import select

from wallet_service.delivery import deliver_due
from wallet_service.models import Delivery, Result, db, utcnow

from .conftest import AGENCY1

pytestmark = pytest.mark.postgres  # SQL behaviour: runs on PostgreSQL too

ROOT = Path(__file__).resolve().parents[2]
LEASE = 60  # seconds; longer than a worker process takes to start on a busy machine


def _worker(database_url: str, app, targets_file: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.delivery.worker_process", database_url, app.instance_path, targets_file, str(LEASE)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def test_worker_killed_mid_send_loses_nothing_and_duplicates_nothing(app, demo_results, sign, store, database_url,
                                                                     targets_file):
    ids = [sign(r).id for r in [r for r in demo_results.values() if r.agency.code == AGENCY1][:3]]
    db.session.remove()  # the test holds no transaction while the workers run
    store.state.hold = threading.Event()  # the store records the first message, then keeps the sender waiting
    first = _worker(database_url, app, targets_file)
    try:
        assert store.wait_for_requests(1, timeout=60), first.communicate(timeout=5)
        first.send_signal(signal.SIGKILL)
        assert first.wait(timeout=30) == -signal.SIGKILL
    finally:
        if first.poll() is None:
            first.kill()
    held, store.state.hold = store.state.hold, None
    held.set()
    deliveries = db.session.scalars(select(Delivery).where(Delivery.result_id.in_(ids))).all()
    assert {d.status for d in deliveries} == {"pending"}  # claimed by the dead worker, not recorded
    assert len(store.state.accepted) == 1

    # A restarted worker (a new process) within the lease leaves the dead worker's claims alone...
    second = _worker(database_url, app, targets_file)
    assert second.wait(timeout=120) == 0, second.stderr.read()
    assert second.stdout.read().strip() == "sent 0"
    # ...and after it sends everything, the one the store already had with the same key again.
    deliver_due(app, now=utcnow() + dt.timedelta(seconds=LEASE + 1))  # the lease has run out
    db.session.expire_all()
    deliveries = db.session.scalars(select(Delivery).where(Delivery.result_id.in_(ids))).all()
    assert {d.status for d in deliveries} == {"sent"}
    assert sorted(store.state.accepted) == sorted(d.idempotency_key for d in deliveries)  # each exactly once
    keys_sent = [r.idempotency_key for r in store.state.requests]
    assert len(keys_sent) == len(deliveries) + 1 and len(set(keys_sent)) == len(deliveries)  # one retried, kept once
    assert {r.status for r in db.session.scalars(select(Result).where(Result.id.in_(ids)))} == {"delivered"}
