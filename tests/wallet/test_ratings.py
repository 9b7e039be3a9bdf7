"""A citizen rates a delivered result: once, changeable for 7 days, only their own; by the API and
by the form of the result page."""
from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine

from tests.conftest import login_as
from wallet_service.models import Rating, Result, ResultStatus, db

from .conftest import CITIZEN1, CITIZEN2, citizen_principal


@pytest.fixture
def delivered(app, wallet_results) -> str:
    result = db.session.get(Result, wallet_results["issued"])
    result.move_to(ResultStatus.DELIVERED)
    db.session.commit()
    return result.id


def citizen(app, personal_id: str):
    client = app.test_client()
    token = login_as(app, client, citizen_principal(personal_id))
    return client, {"X-CSRFToken": token}


def test_rating_is_the_citizens_own_and_changeable_for_seven_days(app, delivered, wallet_results):
    url = f"/api/v1/wallet/results/{delivered}/rating"
    other, other_csrf = citizen(app, CITIZEN2)
    assert other.post(url, json={"stars": 5}, headers=other_csrf).status_code == 404
    assert app.test_client().post(url, json={"stars": 5}).status_code == 401

    def rate_at(when: dt.datetime, body: dict):
        with time_machine.travel(when, tick=False):  # a new login each time: sessions expire when idle
            owner, csrf = citizen(app, CITIZEN1)
            return owner.post(url, json=body, headers={**csrf, "Accept-Language": "vi"})

    first = rate_at(dt.datetime(2026, 3, 1, 9, tzinfo=dt.timezone.utc), {"stars": 4, "comment": "Nhanh gọn"})
    assert first.status_code == 201, first.json
    assert (first.json["stars"], first.json["comment"]) == (4, "Nhanh gọn")
    assert first.json["changeable_until"].startswith("2026-03-08T09:00")
    changed = rate_at(dt.datetime(2026, 3, 7, 9, tzinfo=dt.timezone.utc), {"stars": 2})
    assert changed.status_code == 200 and (changed.json["stars"], changed.json["comment"]) == (2, None)
    late = rate_at(dt.datetime(2026, 3, 8, 9, 1, tzinfo=dt.timezone.utc), {"stars": 5})
    assert late.status_code == 409 and late.json["error"] == "rating_final"
    assert "7 ngày" in late.json["message"]
    db.session.expire_all()
    assert [(r.stars, r.comment) for r in db.session.query(Rating)] == [(2, None)]

    owner, csrf = citizen(app, CITIZEN1)
    assert owner.post(url, json={"stars": 5}).status_code == 400  # no CSRF token
    pending = owner.post(f"/api/v1/wallet/results/{wallet_results['processing']}/rating", json={"stars": 5}, headers=csrf)
    assert pending.status_code == 409 and pending.json["error"] == "not_delivered"


def test_bad_stars_and_comments_are_refused(app, delivered):
    owner, csrf = citizen(app, CITIZEN1)
    url = f"/api/v1/wallet/results/{delivered}/rating"
    for bad, field in (({"stars": 0}, "stars"), ({"stars": 6}, "stars"), ({"stars": True}, "stars"),
                       ({"stars": 3, "comment": "x" * 1001}, "comment"), ({"stars": 3, "comment": "a\x00b"}, "comment")):
        refused = owner.post(url, json=bad, headers={**csrf, "Accept-Language": "vi"})
        assert refused.status_code == 422 and field in refused.json["details"], (bad, refused.json)
    assert "1 đến 5 sao" in owner.post(url, json={"stars": 9}, headers={**csrf, "Accept-Language": "vi"}).json["message"]
    assert db.session.query(Rating).count() == 0


def test_the_result_page_form_rates_with_its_csrf_token(app, delivered):
    owner, _ = citizen(app, CITIZEN1)
    page = owner.get(f"/wallet/results/{delivered}")
    html = page.get_data(as_text=True)
    assert 'data-testid="rating"' in html
    token = re.search(r'<form method="post" action="/wallet/results/[^"]+/rating">\s*<input type="hidden" '
                      r'name="csrf_token" value="([^"]+)"', html).group(1)
    assert owner.post(f"/wallet/results/{delivered}/rating", data={"stars": "5"}).status_code == 400
    sent = owner.post(f"/wallet/results/{delivered}/rating", data={"stars": "5", "comment": "Rất tốt", "csrf_token": token})
    assert sent.status_code == 302 and sent.headers["Location"].endswith("?rated=1#rating")
    shown = owner.get(sent.headers["Location"]).get_data(as_text=True)
    assert 'data-testid="rating-saved"' in shown and "Rất tốt" in shown
    bad = owner.post(f"/wallet/results/{delivered}/rating", data={"stars": "9", "csrf_token": token})
    assert bad.status_code == 422 and 'data-testid="rating-error"' in bad.get_data(as_text=True)
    other, _ = citizen(app, CITIZEN2)
    other_page = other.get("/wallet/")
    other_token = re.search(r'name="csrf_token" value="([^"]+)"', other_page.get_data(as_text=True)).group(1)
    assert other.post(f"/wallet/results/{delivered}/rating", data={"stars": "1", "csrf_token": other_token}).status_code == 404
