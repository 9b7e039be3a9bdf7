"""Confirming copies numbers them in the agency's register of the year, one number each; a copy
confirmed again keeps its number. Through `POST /api/v1/copies/{id}/confirmation` (JSON), on SQLite
and PostgreSQL (the register's uniqueness is a database constraint)."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update

from tests.conftest import login_as, official_principal
from tests.copies.conftest import BIRTH_CERTIFICATE, post_copy, register_station, render_page
from wallet_service.dev import demo as demo_data
from wallet_service.models import Official, db
from wallet_service.platform.ui import TIME_ZONE
from wallet_service.services import services

pytestmark = pytest.mark.postgres

FIELDS = {"holder_name": "NGUYỄN THỊ MAI ANH", "personal_id": "022320001234", "birth_date": "15/03/2020",
          "document_number": "123/2020", "issue_date": "20/03/2020", "issuer": "UBND phường Hạ Long"}


@pytest.fixture(scope="module")
def small_scan() -> bytes:
    return render_page(BIRTH_CERTIFICATE[:3], 0.0, dpi=150, fmt="JPEG")


def test_each_confirmed_copy_gets_the_next_number_and_keeps_it(make_app, small_scan):
    app = make_app(copy_ocr_language="none")
    with app.app_context():
        demo_data.load_people(db.session, services(app).settings.public_base_url)
        station = register_station(app)
        ids = [post_copy(app.test_client(), station, pages=[small_scan]).json["id"] for _ in range(2)]
        db.session.execute(update(Official).where(Official.username == "official2").values(roles=["certifier"]))
        db.session.commit()
        official = app.test_client()
        csrf = {"X-CSRFToken": login_as(app, official, official_principal("official1"))}

        numbers = []
        for copy_id in [*ids, ids[0]]:
            answer = official.post(f"/api/v1/copies/{copy_id}/confirmation", json=FIELDS, headers=csrf)
            assert answer.status_code == 200, answer.json
            numbers.append((answer.json["copy"]["certification"]["number"], answer.json["copy"]["certification"]["book"]))
        book = f"01/{dt.datetime.now(ZoneInfo(TIME_ZONE)).year}-SCT/BS"
        assert numbers == [(1, book), (2, book), (1, book)]
        assert answer.json["copy"]["confirmed_fields"]["birth_date"] == "2020-03-15"

        bad = official.post(f"/api/v1/copies/{ids[1]}/confirmation", json={**FIELDS, "personal_id": "12"}, headers=csrf)
        assert (bad.status_code, bad.json["error"]) == (422, "invalid_fields") and "personal_id" in bad.json["details"]
        other_agency = app.test_client()
        other_csrf = {"X-CSRFToken": login_as(app, other_agency, official_principal("official2"))}
        hidden = other_agency.post(f"/api/v1/copies/{ids[1]}/confirmation", json=FIELDS, headers=other_csrf)
        assert hidden.status_code == 404
        db.session.remove()
