"""GET /api/v1/wallet/results and the /wallet/ pages: a citizen sees their own results, and only
theirs, each with what it allows; on SQLite and PostgreSQL."""
from __future__ import annotations

import re

import pytest

from wallet_service.models import Result, db
from wallet_service.wallet.api import WalletResultSchema

from ..conftest import login_as, official_principal
from .conftest import CITIZEN1, CITIZEN2, citizen_principal

pytestmark = pytest.mark.postgres  # SQL behaviour: runs on PostgreSQL too


def test_citizen_lists_only_their_own_results(app, client, wallet_results, demo_results):
    login_as(app, client, citizen_principal(CITIZEN1))
    response = client.get("/api/v1/wallet/results")
    assert response.status_code == 200
    body = response.get_json()
    own = {r.id for r in demo_results.values() if r.citizen.personal_id == CITIZEN1}
    assert {item["id"] for item in body} == own
    by_id = {item["id"]: item for item in body}

    issued = by_id[wallet_results["issued"]]
    assert (issued["stage"], issued["status"], issued["annulled"], issued["downloadable"], issued["offerable"]) == (
        "issued", "signed", False, True, True)
    assert issued["title"] == "Giấy phép sửa chữa, cải tạo công trình"
    assert issued["agency_name"] == "Sở Xây dựng tỉnh Quảng Ninh"
    assert issued["signed_at"] and issued["links"]["document"] == f"/api/v1/results/{issued['id']}/document"
    assert issued["links"]["verification"].endswith(f"/v/{issued['id']}")
    assert issued["links"]["credential_offer"] == f"/api/v1/wallet/results/{issued['id']}/credential-offer"

    annulled = by_id[wallet_results["annulled"]]
    assert (annulled["stage"], annulled["annulled"], annulled["offerable"]) == ("annulled", True, False)
    assert annulled["annulment_reason"] == "Cấp nhầm thông tin" and annulled["annulled_at"]

    processing = by_id[wallet_results["processing"]]
    assert (processing["stage"], processing["status"], processing["downloadable"]) == ("processing", "pending_signature", False)
    assert "document" not in processing["links"] and "credential_offer" not in processing["links"]

    # Each link the list gives works for this citizen: the signed PDF, the credential offer.
    pdf = client.get(issued["links"]["document"])
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_a_citizen_cannot_download_their_unsigned_draft(app, client, wallet_results, case_system):
    login_as(app, client, citizen_principal(CITIZEN1))
    draft = client.get(f"/api/v1/results/{wallet_results['processing']}/document")
    assert (draft.status_code, draft.json["error"]) == (403, "document_not_signed")
    assert not draft.data.startswith(b"%PDF")
    assert client.get(f"/api/v1/results/{wallet_results['annulled']}/document").status_code == 200
    # The agency's case system still reads the original it sent.
    original = client.get(f"/api/v1/results/{wallet_results['processing']}/document", headers=case_system.headers())
    assert original.status_code == 200 and original.data.startswith(b"%PDF")


def test_the_listing_answers_what_its_schema_documents(app, client, wallet_results):
    """The listing is written out by hand for speed; the OpenAPI schema must describe it exactly."""
    login_as(app, client, citizen_principal(CITIZEN1))
    listed = client.get("/api/v1/wallet/results").get_json()
    assert {item["stage"] for item in listed} == {"issued", "annulled", "processing"}
    with app.test_request_context():
        documented = WalletResultSchema().dump([db.session.get(Result, item["id"]) for item in listed], many=True)
    assert listed == documented


def test_another_citizen_sees_none_of_them(app, client, wallet_results):
    login_as(app, client, citizen_principal(CITIZEN2))
    ids = {item["id"] for item in client.get("/api/v1/wallet/results").get_json()}
    assert ids and not ids & set(wallet_results.values())
    assert all(db.session.get(Result, i).citizen.personal_id == CITIZEN2 for i in ids)
    for result_id in wallet_results.values():
        assert client.get(f"/wallet/results/{result_id}").status_code == 404
        assert client.get(f"/api/v1/results/{result_id}/document").status_code == 404


def test_only_citizens_have_a_wallet(app, client, wallet_results, case_system):
    anonymous = client.get("/api/v1/wallet/results")
    assert anonymous.status_code == 401 and anonymous.get_json()["error"] == "unauthorized"
    machine = client.get("/api/v1/wallet/results", headers=case_system.headers())
    assert machine.status_code == 403 and machine.get_json()["error"] == "forbidden"
    login_as(app, client, official_principal("official1"))
    assert client.get("/api/v1/wallet/results").status_code == 403


def test_wallet_page_lists_results_with_their_stage(app, client, wallet_results):
    assert client.get("/wallet/").status_code == 302  # strangers go to the login
    assert "/auth/login?role=citizen" in client.get("/wallet/").headers["Location"]
    login_as(app, client, citizen_principal(CITIZEN1))
    page = client.get("/wallet/").get_data(as_text=True)
    assert "Kết quả của tôi" in page and CITIZEN1 in page
    stages = dict(re.findall(r'data-result-id="([0-9a-f-]+)" data-stage="(\w+)"', page))
    assert stages[wallet_results["issued"]] == "issued"
    assert stages[wallet_results["annulled"]] == "annulled"
    assert stages[wallet_results["processing"]] == "processing"
    assert "Đang xử lý" in page and "Đã thu hồi" in page and "Đã cấp" in page
    english = client.get("/wallet/?lang=en").get_data(as_text=True)
    assert "My results" in english and "Processing" in english


def test_result_page_offers_what_the_stage_allows(app, client, wallet_results):
    login_as(app, client, citizen_principal(CITIZEN1))
    issued = client.get(f"/wallet/results/{wallet_results['issued']}").get_data(as_text=True)
    assert f'href="/api/v1/results/{wallet_results["issued"]}/document"' in issued
    assert 'data-testid="verification-qr"><svg' in issued
    assert f"/v/{wallet_results['issued']}" in issued
    assert 'data-testid="offer-button"' in issued and "nonce=" in issued

    processing = client.get(f"/wallet/results/{wallet_results['processing']}").get_data(as_text=True)
    assert "/document" not in processing and "<svg" not in processing and "offer-button" not in processing

    annulled = client.get(f"/wallet/results/{wallet_results['annulled']}").get_data(as_text=True)
    assert "Cấp nhầm thông tin" in annulled and "không còn giá trị pháp lý" in annulled
    assert "offer-button" not in annulled
    assert client.get("/wallet/results/not-a-result").status_code == 404
