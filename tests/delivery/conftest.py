"""Fixtures for the delivery outbox: a counting store on a loopback port, an app whose targets
point at it, and `sign(result)`, which leaves a result the way the signing engine does (signed
PDF stored, status `signed`, the `results_signed` receivers run in the same transaction)."""
from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from wallet_service.models import Result, ResultStatus, db, utcnow

from .receiver import CountingStore
from wallet_service.services import services

AGENCY1, AGENCY2 = "000.00.15.H40", "000.00.04.H40"
BACKOFF = 10.0
LEASE = 2.0


@pytest.fixture
def store():
    server = CountingStore()
    yield server
    server.close()


def write_targets(path, store: CountingStore, **portal) -> str:
    """Two targets: `portal` (every result) and `construction-archive` (agency 2 only)."""
    targets = [
        {"name": "portal", "type": "webhook", "url": store.url, "max_attempts": 4, "timeout_seconds": 5,
         "authorization_env": "WALLET_TEST_PORTAL_TOKEN", **portal},
        {"name": "construction-archive", "url": store.url + "?archive", "agencies": [AGENCY2], "include_document": False},
    ]
    path.write_text(json.dumps({"targets": targets}))
    return str(path)


@pytest.fixture
def targets_file(tmp_path, store, monkeypatch) -> str:
    monkeypatch.setenv("WALLET_TEST_PORTAL_TOKEN", "Bearer portal-secret")
    return write_targets(tmp_path / "targets.json", store)


@pytest.fixture
def app(make_app, targets_file):
    app = make_app(DELIVERY_TARGETS_FILE=targets_file, DELIVERY_BACKOFF_SECONDS=BACKOFF, DELIVERY_LEASE_SECONDS=LEASE)
    with app.app_context():
        yield app
        db.session.remove()


@pytest.fixture
def sign(app) -> Callable[[Result], Result]:
    documents = services(app).documents

    def sign(result: Result) -> Result:
        pdf = documents.get(result.original_sha256)
        result.signed_sha256 = documents.put(pdf + b"\n% signed for the test " + result.id.encode() + b"\n")
        result.signed_at = utcnow()
        result.move_to(ResultStatus.SIGNING)
        result.move_to(ResultStatus.SIGNED)
        services(app).events.signed(db.session, result)
        db.session.commit()
        return result

    return sign
