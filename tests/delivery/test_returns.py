"""Returning a dossier (trả lại hồ sơ): an official who may sign sends a pending result back to the
case system with a reason, through the API; the case system's webhook receives a signed
`result.returned` message, stores and wallets are told nothing, and the citizen sees why."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from tests.conftest import login_as, official_principal
from wallet_service.access import CITIZEN, Principal
from wallet_service.delivery import deliver_due
from wallet_service.models import AuditEvent, Delivery, db

from .conftest import AGENCY1, AGENCY2
from .test_outbox import _first_of, _verified

pytestmark = pytest.mark.postgres

REASON = "Thiếu bản sao giấy tờ tùy thân của người yêu cầu"


@pytest.fixture
def targets_file(tmp_path, store, monkeypatch) -> str:
    """The ward's one-stop-shop system (a case system) and a store that receives every result."""
    targets = [{"name": "mot-cua-ha-long", "type": "case_system", "url": store.url + "?case", "agencies": [AGENCY1]},
               {"name": "portal", "type": "webhook", "url": store.url}]
    path = tmp_path / "targets.json"
    path.write_text(json.dumps({"targets": targets}))
    return str(path)


def official(app, username="official1"):
    client = app.test_client()
    return client, {"X-CSRFToken": login_as(app, client, official_principal(username))}


def test_a_returned_dossier_reaches_its_case_system_only(app, demo, demo_results, store):
    result = _first_of(demo_results, AGENCY1)
    client, csrf = official(app)
    answer = client.post(f"/api/v1/results/{result.id}/return", json={"reason": f"  {REASON}  "}, headers=csrf)
    assert answer.status_code == 200, answer.json
    assert (answer.json["status"], answer.json["return_reason"]) == ("returned", REASON)
    assert [(d.target, d.event) for d in db.session.scalars(select(Delivery))] == [("mot-cua-ha-long", "returned")]
    assert deliver_due(app) == 1
    [received] = store.state.accepted.values()
    claims = _verified(app, received.body.decode())
    assert claims["event"] == "result.returned" and claims["aud"].endswith("?case")
    assert claims["result"]["dossier_code"] == result.dossier_code
    assert claims["result"]["return_reason"] == REASON and claims["result"]["returned_at"]
    assert "document" not in claims  # nothing was issued
    audit = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "result.returned")).one()
    assert audit.details == {"reason": REASON} and audit.result_id == result.id

    again = client.post(f"/api/v1/results/{result.id}/return", json={"reason": REASON}, headers=csrf)
    assert (again.status_code, again.json["error"]) == (409, "already_returned")
    assert result.dossier_code not in client.get("/official/").get_data(as_text=True)  # out of the queue
    timeline = client.get(f"/official/results/{result.id}").get_data(as_text=True)
    assert "Đã trả lại hồ sơ" in timeline and REASON in timeline and 'data-testid="return"' not in timeline

    citizen = app.test_client()
    login_as(app, citizen, Principal(CITIZEN, result.citizen.id, result.citizen_name,
                                     personal_id=result.citizen.personal_id))
    page = citizen.get(f"/wallet/results/{result.id}").get_data(as_text=True)
    assert "Cơ quan đã trả lại hồ sơ của bạn" in page and REASON in page


def test_return_refusals(app, demo, demo_results):
    ward = _first_of(demo_results, AGENCY1)
    department = _first_of(demo_results, AGENCY2)
    client, csrf = official(app)
    short = client.post(f"/api/v1/results/{ward.id}/return", json={"reason": "x"}, headers=csrf)
    assert (short.status_code, short.json["error"]) == (422, "invalid_reason")
    assert "lý do trả lại hồ sơ" in short.json["message"]
    other = client.post(f"/api/v1/results/{department.id}/return", json={"reason": REASON}, headers=csrf)
    assert other.status_code == 404  # another agency's: as if it did not exist
    no_csrf = client.post(f"/api/v1/results/{ward.id}/return", json={"reason": REASON})
    assert no_csrf.json["error"] == "csrf_failed"
    citizen = app.test_client()
    citizen_csrf = login_as(app, citizen, Principal(CITIZEN, ward.citizen.id, ward.citizen_name,
                                                     personal_id=ward.citizen.personal_id))
    refused = citizen.post(f"/api/v1/results/{ward.id}/return", json={"reason": REASON},
                           headers={"X-CSRFToken": citizen_csrf})
    assert refused.status_code in (401, 403)
    db.session.expire_all()
    assert db.session.get(type(ward), ward.id).status == "pending_signature"


def test_a_signed_result_is_annulled_not_returned(app, demo, demo_results, sign):
    result = sign(_first_of(demo_results, AGENCY1))
    client, csrf = official(app)
    answer = client.post(f"/api/v1/results/{result.id}/return", json={"reason": REASON}, headers=csrf)
    assert (answer.status_code, answer.json["error"]) == (409, "not_returnable")
    page = client.get(f"/official/results/{result.id}").get_data(as_text=True)
    assert 'data-testid="annul"' in page and 'data-testid="return"' not in page
