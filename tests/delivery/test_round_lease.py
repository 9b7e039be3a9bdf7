"""A delivery round to a slow store stops sending before its lease runs out: what it has not sent
is handed back unattempted, so a second worker, claiming once the first round's lease has passed,
finds nothing of it to send again. Each delivery reaches the store once, at its first attempt."""
from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import select

from wallet_service import create_app
from wallet_service.delivery import deliver_due
from wallet_service.models import Delivery, DeliveryStatus, db

LEASE = 1.0

pytestmark = pytest.mark.postgres  # two workers at once: runs on PostgreSQL too


@pytest.fixture
def app(make_app, targets_file):
    app = make_app(DELIVERY_TARGETS_FILE=targets_file, DELIVERY_LEASE_SECONDS=LEASE)
    with app.app_context():
        yield app
        db.session.remove()


def test_a_round_to_a_slow_store_hands_back_what_it_could_not_send_in_its_lease(
        app, demo_results, sign, store, database_url, targets_file):
    for result in demo_results.values():
        sign(result)
    total = db.session.query(Delivery).count()
    store.state.delay = LEASE / 5  # all of them take several leases; a round sends about two and a half
    assert total * store.state.delay > 2 * LEASE
    # a second worker of the same deployment: same database and document store (the messages carry the PDFs)
    late = create_app({"database_url": database_url, "instance_path": app.instance_path, "TESTING": True,
                       "DELIVERY_TARGETS_FILE": targets_file, "DELIVERY_LEASE_SECONDS": LEASE})

    def late_worker() -> None:  # starts when the first round's lease has run out
        time.sleep(LEASE + 0.3)
        with late.app_context():
            deliver_due(late)
            db.session.remove()
            db.engine.dispose()

    thread = threading.Thread(target=late_worker)
    thread.start()
    made = deliver_due(app)
    thread.join(120)
    keys = [r.idempotency_key for r in store.state.requests]
    assert len(keys) == len(set(keys)) == total  # nothing sent twice
    db.session.expire_all()
    deliveries = db.session.scalars(select(Delivery)).all()
    assert {(d.status, d.attempts) for d in deliveries} == {(DeliveryStatus.SENT, 1)}
    assert made <= total  # attempts made, not claims handed back
