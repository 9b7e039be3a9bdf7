"""`/metrics` as Prometheus reads it: it parses, and its counters move when a case system posts a
result, an official signs it and it is delivered; figures from other processes (Celery workers)
appear through the multiprocess folder; a token closes it."""
from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import _serve, login_as, official_principal
from wallet_service.services import services

WARD = "000.00.15.H40"
BIRTH = "1.001193.000.00.00.H40"
ROOT = Path(__file__).resolve().parents[2]


def samples(client, **headers) -> dict[tuple[str, frozenset], float]:
    answer = client.get("/metrics", headers=headers)
    assert answer.status_code == 200, answer.data[:500]
    assert answer.mimetype == "text/plain"
    found = {}
    for family in text_string_to_metric_families(answer.get_data(as_text=True)):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def value(found, name: str, **labels) -> float:
    return found.get((name, frozenset(labels.items())), 0.0)


@pytest.fixture
def signing_app(make_app, live_server, tmp_path):
    yield from _serve(make_app, live_server, tmp_path, SIGNATURE_LEVEL="B-B")


def test_counters_move_after_intake_signing_and_delivery(signing_app, demo_pdfs):
    from tests.conftest import register_case_system_in
    from wallet_service.dev import demo as demo_data
    from wallet_service.models import db

    demo_data.load_people(db.session, services(signing_app).settings.public_base_url)
    case_system = register_case_system_in(signing_app, "mot-cua", (WARD,))
    client = signing_app.test_client()
    before = samples(client)
    metadata = {"dossier_code": f"{WARD}-251201-0007", "procedure_code": BIRTH, "procedure_name": "Thủ tục đăng ký khai sinh",
                "citizen_id": "022186001234", "citizen_name": "Lê Thị Hoa", "title": "Trích lục khai sinh",
                "agency_code": WARD, "received_at": "2025-12-01T08:00:00+07:00", "due_at": "2025-12-03T17:00:00+07:00"}
    posted = client.post("/api/v1/results", headers=case_system.headers(),
                         data={"metadata": json.dumps(metadata), "document": (_pdf(demo_pdfs), "r.pdf")})
    assert posted.status_code == 201, posted.json
    assert dt.datetime.fromisoformat(posted.json["due_at"]) == dt.datetime(2025, 12, 3, 10, tzinfo=dt.timezone.utc)
    after_intake = samples(client)
    assert value(after_intake, "wallet_results_received_total", agency=WARD, procedure=BIRTH) == \
        value(before, "wallet_results_received_total", agency=WARD, procedure=BIRTH) + 1
    assert value(after_intake, "wallet_results_pending", agency=WARD, procedure=BIRTH) == 1
    assert value(after_intake, "wallet_results_pending_oldest_age_seconds", agency=WARD, procedure=BIRTH) >= 0
    assert value(after_intake, "wallet_http_requests_total", route="/api/v1/results", method="POST", status="201") == 1

    official = signing_app.test_client()
    csrf = login_as(signing_app, official, official_principal("official1"))
    batch = official.post("/api/v1/signing-batches", json={"result_ids": [posted.json["id"]]}, headers={"X-CSRFToken": csrf})
    assert batch.status_code == 202, batch.json
    services(signing_app).jobs.wait(timeout=300)

    after = samples(client)
    for event in ("signed", "delivered"):  # no delivery target: the wallet here is the delivery
        assert value(after, f"wallet_results_{event}_total", agency=WARD, procedure=BIRTH) == 1, event
    assert value(after, "wallet_signing_batch_duration_seconds_count") == 1
    assert value(after, "wallet_signing_batch_documents_per_second_count") == 1
    assert value(after, "wallet_results_pending", agency=WARD, procedure=BIRTH) == 0
    assert value(after, "wallet_http_request_duration_seconds_count", route="/api/v1/results/<result_id>",
                 method="GET") == 0  # by route template: ids never become series
    assert ("wallet_archive_renewals_due", frozenset({("month", "overdue")})) in after


def _pdf(demo_pdfs):
    import io
    return io.BytesIO(next(iter(demo_pdfs.values())))


# What a Celery worker process does when it signs and delivers: the app's instruments, counted
# (the whole app is not built here: that costs seconds and changes nothing about where counts go).
_WORKER = """
from wallet_service.metrics.instruments import build_metrics
metrics = build_metrics()
metrics.result("signed", "000.00.15.H40", "1.001193.000.00.00.H40")
metrics.delivery_attempts.labels(target="cong-dan").inc()
"""


def test_a_count_made_in_another_process_appears(make_app, tmp_path):
    folder = tmp_path / "prometheus"
    folder.mkdir()
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(folder), "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-c", _WORKER], env=env, check=True, timeout=120, cwd=ROOT)
    app = make_app(PROMETHEUS_MULTIPROC_DIR=str(folder))
    found = samples(app.test_client())
    assert value(found, "wallet_results_signed_total", agency=WARD, procedure=BIRTH) == 1
    assert value(found, "wallet_delivery_attempts_total", target="cong-dan") == 1


def test_a_token_closes_the_metrics(make_app):
    app = make_app(METRICS_TOKEN="s3cret-metrics-token")
    client = app.test_client()
    refused = client.get("/metrics")
    assert refused.status_code == 401 and refused.json["error"] == "metrics_token_required"
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    samples(client, Authorization="Bearer s3cret-metrics-token")


def test_production_without_a_token_keeps_the_metrics_closed(tmp_path):
    from tests.conftest import production_environment
    from wallet_service import create_app

    app = create_app({**production_environment(tmp_path), "TESTING": True})
    closed = app.test_client().get("/metrics")
    assert closed.status_code == 403 and closed.json["error"] == "metrics_closed"
    assert "METRICS_TOKEN" in closed.json["message"]
