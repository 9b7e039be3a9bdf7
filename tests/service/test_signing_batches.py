"""An official signs results through the API: progress, the recorded signatures, and the PDF as
an independent validator (poppler's pdfsig) reads it."""
from __future__ import annotations

import subprocess

import pytest
from sqlalchemy import func, select

from tests.conftest import login_as, official_principal
from wallet_service.models import Result, ResultSignature, db
from wallet_service.services import services

pytestmark = pytest.mark.postgres  # SQL behaviour: runs on PostgreSQL too


def ward_results(demo_results, n):
    return [r.id for code, r in sorted(demo_results.items()) if code.startswith("000.00.15.H40")][:n]


def pdfsig(path) -> str:
    return subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, timeout=60).stdout


@pytest.fixture
def official1(live_app, demo):
    client = live_app.test_client()
    token = login_as(live_app, client, official_principal("official1"))
    return client, {"X-CSRFToken": token}


def test_official_signs_a_batch_and_both_signatures_verify(live_app, demo_results, official1, tmp_path):
    client, csrf = official1
    ids = ward_results(demo_results, 2)
    created = client.post("/api/v1/signing-batches", json={"result_ids": ids}, headers=csrf)
    assert created.status_code == 202, created.json
    assert created.json["total"] == 2
    services(live_app).jobs.wait(timeout=300)

    progress = client.get(f"/api/v1/signing-batches/{created.json['id']}").json
    assert (progress["status"], progress["done"], progress["failed"]) == ("finished", 2, 0), progress
    result = client.get(f"/api/v1/results/{ids[0]}").json
    assert result["status"] in ("signed", "delivered")  # the outbox may have delivered it already
    assert [(s["position"], s["role"], s["signer_name"]) for s in result["signatures"]] == [
        (1, "official", "Nguyễn Văn An"),
        (2, "agency", "Trung tâm Phục vụ hành chính công phường Hạ Long"),
    ]
    signed = client.get(f"/api/v1/results/{ids[0]}/document")
    assert signed.status_code == 200
    assert signed.headers["ETag"].strip('"') == result["hashes"]["signed_sha256"]
    path = tmp_path / "signed.pdf"
    path.write_bytes(signed.data)
    report = pdfsig(path)
    assert report.count("Signature Validation: Signature is Valid.") == 2, report
    assert "Nguyễn Văn An" in report
    # The agency seal is B-LTA by default: a document timestamp follows the two signatures.
    assert report.count("Signature #") == 3, report


def test_a_result_is_never_in_two_batches(live_app, demo_results, official1):
    client, csrf = official1
    ids = ward_results(demo_results, 2)
    first = client.post("/api/v1/signing-batches", json={"result_ids": ids[:1]}, headers=csrf)
    assert first.status_code == 202
    second = client.post("/api/v1/signing-batches", json={"result_ids": ids}, headers=csrf)
    assert (second.status_code, second.json["error"]) == (409, "not_signable")
    assert second.json["details"]["results"] == {ids[0]: "signing"}
    # the refused batch claimed nothing: the other result is still pending
    assert db.session.get(Result, ids[1]).status == "pending_signature"
    services(live_app).jobs.wait(timeout=300)


def test_a_batch_holds_each_selected_result_once_in_the_order_selected(live_app, demo_results, official1):
    client, csrf = official1
    ids = ward_results(demo_results, 3)[::-1]
    created = client.post("/api/v1/signing-batches", json={"result_ids": [ids[0], *ids, ids[1]]}, headers=csrf)
    assert created.status_code == 202, created.json
    assert (created.json["total"], [i["result_id"] for i in created.json["items"]]) == (3, ids)
    services(live_app).jobs.wait(timeout=300)
    progress = client.get(f"/api/v1/signing-batches/{created.json['id']}").json
    assert [(i["result_id"], i["status"]) for i in progress["items"]] == [(i, "done") for i in ids], progress


def test_batch_refusals(live_app, demo_results):
    client = live_app.test_client()
    ids = ward_results(demo_results, 1)
    department = [r.id for code, r in demo_results.items() if code.startswith("000.00.04.H40")][:1]

    csrf = {"X-CSRFToken": login_as(live_app, client, official_principal("official1"))}
    assert client.post("/api/v1/signing-batches", json={"result_ids": ids}).json["error"] == "csrf_failed"
    other_agency = client.post("/api/v1/signing-batches", json={"result_ids": department}, headers=csrf)
    assert (other_agency.status_code, other_agency.json["error"]) == (422, "unknown_results")
    empty = client.post("/api/v1/signing-batches", json={"result_ids": []}, headers=csrf)
    assert (empty.status_code, empty.json["error"]) == (400, "empty_batch")
    malformed = client.post("/api/v1/signing-batches", json={"ids": ids}, headers=csrf)
    assert malformed.status_code == 422

    not_signer = official_principal("official1")
    not_signer = type(not_signer)(not_signer.kind, not_signer.record_id, not_signer.display_name,
                                  not_signer.agency_codes, frozenset({"annul"}))
    csrf = {"X-CSRFToken": login_as(live_app, client, not_signer)}
    refused = client.post("/api/v1/signing-batches", json={"result_ids": ids}, headers=csrf)
    assert (refused.status_code, refused.json["error"]) == (403, "not_a_signer")
    assert db.session.scalar(select(func.count()).select_from(ResultSignature)) == 0
    assert db.session.get(Result, ids[0]).status == "pending_signature"
