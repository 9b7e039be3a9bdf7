"""Officials with the annul role annul their agency's results through the API, with a reason;
nobody else can, and an annulled result stays annulled."""
from __future__ import annotations

import pytest

from sqlalchemy import select

from tests.conftest import login_as, official_principal
from wallet_service.access import CITIZEN, Principal
from wallet_service.models import AuditEvent, Result, db

pytestmark = pytest.mark.postgres  # SQL behaviour: runs on PostgreSQL too


def first_ward_result(demo_results) -> Result:
    return next(r for code, r in sorted(demo_results.items()) if code.startswith("000.00.15.H40"))


def test_official_with_annul_role_annuls_with_a_reason(app, client, demo_results):
    result = first_ward_result(demo_results)
    csrf = {"X-CSRFToken": login_as(app, client, official_principal("official1"))}
    response = client.post(f"/api/v1/results/{result.id}/revoke", json={"reason": "Cấp nhầm đối tượng"}, headers=csrf)
    assert response.status_code == 200, response.json
    assert response.json["status"] == "annulled"
    assert response.json["annulment_reason"] == "Cấp nhầm đối tượng"
    assert response.json["annulled_at"]
    again = client.post(f"/api/v1/results/{result.id}/revoke", json={"reason": "Lần thứ hai"}, headers=csrf)
    assert (again.status_code, again.json["error"]) == (409, "already_annulled")
    events = db.session.scalars(select(AuditEvent.action).where(AuditEvent.result_id == result.id)).all()
    assert events.count("result.annulled") == 1


def test_annulment_refusals(app, client, demo_results):
    result = first_ward_result(demo_results)
    department = next(r for code, r in demo_results.items() if code.startswith("000.00.04.H40"))

    csrf = {"X-CSRFToken": login_as(app, client, official_principal("official1"))}
    assert client.post(f"/api/v1/results/{result.id}/revoke", json={"reason": "Cấp nhầm"}).json["error"] == "csrf_failed"
    short = client.post(f"/api/v1/results/{result.id}/revoke", json={"reason": "x"}, headers=csrf)
    assert (short.status_code, short.json["error"]) == (422, "invalid_reason")
    other_agency = client.post(f"/api/v1/results/{department.id}/revoke", json={"reason": "Cấp nhầm đối tượng"}, headers=csrf)
    assert other_agency.status_code == 404

    csrf = {"X-CSRFToken": login_as(app, client, official_principal("official2"))}  # signer only
    no_role = client.post(f"/api/v1/results/{department.id}/revoke", json={"reason": "Cấp nhầm đối tượng"}, headers=csrf)
    assert (no_role.status_code, no_role.json["error"]) == (403, "not_allowed_to_annul")

    citizen = Principal(CITIZEN, result.citizen.id, result.citizen.full_name, personal_id=result.citizen.personal_id)
    csrf = {"X-CSRFToken": login_as(app, client, citizen)}
    assert client.post(f"/api/v1/results/{result.id}/revoke", json={"reason": "Cấp nhầm đối tượng"}, headers=csrf).status_code == 403

    db.session.expire_all()
    assert {r.status for r in db.session.scalars(select(Result))} == {"pending_signature"}
