"""`GET /api/v1/stats` and the dashboard's CSV against the month of `conftest.ROWS`, counted by hand;
who may ask, and bad filters."""
from __future__ import annotations

import csv
import io

import pytest

from tests.conftest import login_as, official_principal
from tests.wallet.conftest import citizen_principal
from wallet_service.access import OFFICIAL, Principal

from .conftest import BIRTH, BUSINESS, DEPT, WARD

pytestmark = pytest.mark.postgres  # the subject is the SQL: day buckets, medians, grouping
NOVEMBER = {"from": "2025-11-01", "to": "2025-11-30"}


def logged_in(app, principal) -> object:
    client = app.test_client()
    login_as(app, client, principal)
    return client


def province_official() -> Principal:
    """official2 (the department) with the province-wide role."""
    plain = official_principal("official2")
    return Principal(OFFICIAL, plain.record_id, plain.display_name, plain.agency_codes, frozenset({"province"}))


def nonzero(daily: list[dict]) -> dict[str, tuple[int, int, int]]:
    return {d["date"]: (d["received"], d["signed"], d["delivered"]) for d in daily
            if d["received"] or d["signed"] or d["delivered"]}


def test_a_leader_sees_their_agency_counted_by_hand(app, month):
    stats = logged_in(app, official_principal("official1")).get("/api/v1/stats", query_string=NOVEMBER)
    assert stats.status_code == 200, stats.json
    body = stats.json
    assert body["filters"] == {"agencies": [WARD], "procedure": None, "from": "2025-11-01", "to": "2025-11-30"}
    assert len(body["daily"]) == 30
    assert nonzero(body["daily"]) == {
        "2025-11-02": (0, 0, 1), "2025-11-03": (1, 0, 0), "2025-11-04": (1, 1, 1), "2025-11-05": (1, 0, 0),
        "2025-11-06": (2, 0, 0), "2025-11-07": (0, 1, 1), "2025-11-08": (1, 0, 0), "2025-11-10": (0, 1, 1),
    }
    assert body["on_time"]["by_agency"] == [
        {"agency": WARD, "name": "Trung tâm Phục vụ hành chính công phường Hạ Long", "on_time": 1, "late": 2,
         "open": 1, "rate": 0.3333}]
    assert body["on_time"]["by_procedure"] == [
        {"procedure": BIRTH[0], "name": BIRTH[1], "on_time": 1, "late": 1, "open": 0, "rate": 0.5},
        {"procedure": BUSINESS[0], "name": BUSINESS[1], "on_time": 0, "late": 1, "open": 1, "rate": 0.0},
    ]
    assert [(p["official"], p["procedure"], p["count"], p["oldest_received_at"][:16]) for p in body["pending"]] == [
        ("Nguyễn Văn An", BUSINESS[0], 1, "2025-11-05T01:00"), (None, BUSINESS[0], 1, "2025-11-06T01:00")]
    # Intake to delivery: 1 day, 1 day 2 h, 6 days 6 h, 13 days -> the mean of the middle two.
    assert body["delivery_time"]["delivered"] == 4
    assert body["delivery_time"]["median_seconds"] == pytest.approx((93600 + 540000) / 2, abs=0.01)
    assert body["satisfaction"]["count"] == 3
    assert body["satisfaction"]["average"] == 3.67
    assert body["satisfaction"]["distribution"] == {"1": 0, "2": 1, "3": 0, "4": 1, "5": 1}
    assert [(c["stars"], c["comment"]) for c in body["satisfaction"]["recent_comments"]] == [(2, "Chậm"), (5, "Nhanh, chu đáo")]
    # r6 was certified in October, r8 by the department: only r5 (7 November) is the ward's in the range.
    assert body["copies_certified"]["total"] == 1 and len(body["copies_certified"]["daily"]) == 30
    assert [d for d in body["copies_certified"]["daily"] if d["certified"]] == [{"date": "2025-11-07", "certified": 1}]


def test_filters_narrow_the_figures(app, month):
    client = logged_in(app, official_principal("official1"))
    body = client.get("/api/v1/stats", query_string={**NOVEMBER, "procedure": BUSINESS[0]}).json
    assert nonzero(body["daily"]) == {"2025-11-05": (1, 0, 0), "2025-11-06": (1, 0, 0), "2025-11-08": (1, 0, 0)}
    assert body["satisfaction"]["count"] == 0 and body["copies_certified"]["total"] == 0
    days = client.get("/api/v1/stats", query_string={"from": "2025-11-04", "to": "2025-11-04"}).json
    assert nonzero(days["daily"]) == {"2025-11-04": (1, 1, 1)}
    assert days["copies_certified"] == {"total": 0, "daily": [{"date": "2025-11-04", "certified": 0}]}


def test_the_province_view_counts_every_agency_of_the_province(app, month):
    client = logged_in(app, province_official())
    body = client.get("/api/v1/stats", query_string=NOVEMBER).json
    assert sorted(body["filters"]["agencies"]) == [DEPT, WARD]
    assert [(r["agency"], r["on_time"], r["late"], r["open"]) for r in body["on_time"]["by_agency"]] == [
        (DEPT, 1, 0, 0), (WARD, 1, 2, 1)]
    only_dept = client.get("/api/v1/stats", query_string={**NOVEMBER, "agency": DEPT}).json
    assert only_dept["satisfaction"]["distribution"]["1"] == 1 and only_dept["satisfaction"]["count"] == 1
    comments = client.get("/official/dashboard.csv", query_string={**NOVEMBER, "chart": "comments"})
    assert comments.status_code == 200 and comments.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(comments.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == ["Ngày", "Số sao", "Cơ quan", "Thủ tục", "Nhận xét"]
    assert ["12/11/2025", "1", "Sở Xây dựng tỉnh Quảng Ninh", BIRTH[1], "'=HYPERLINK(\"http://x\")"] in rows
    assert body["copies_certified"]["total"] == 2
    copies = client.get("/official/dashboard.csv", query_string={**NOVEMBER, "chart": "copies"})
    rows = list(csv.reader(io.StringIO(copies.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == ["Ngày", "Giấy tờ đã số hóa được chứng thực"] and len(rows) == 31
    assert [row for row in rows[1:] if row[1] != "0"] == [["03/11/2025", "1"], ["07/11/2025", "1"]]


def test_the_csv_of_each_chart_has_the_json_figures(app, month):
    client = logged_in(app, official_principal("official1"))
    daily = client.get("/official/dashboard.csv", query_string={**NOVEMBER, "chart": "daily", "lang": "en"})
    rows = list(csv.reader(io.StringIO(daily.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == ["Date", "Received", "Signed", "Delivered"] and len(rows) == 31
    assert ["04/11/2025", "1", "1", "1"] in rows
    assert client.get("/official/dashboard.csv", query_string={"chart": "nope"}).status_code == 400
    page = client.get("/official/dashboard", query_string=NOVEMBER)
    assert page.status_code == 200
    assert 'data-testid="chart-daily"' in page.get_data(as_text=True)
    assert '<title>07/11/2025: 1</title>' in page.get_data(as_text=True).split('data-testid="chart-copies"')[1]
    wrong = client.get("/official/dashboard", query_string={"from": "2025-13-01", "lang": "vi"})
    assert wrong.status_code == 400  # the default view, with what was wrong
    text = wrong.get_data(as_text=True)
    assert 'data-testid="filter-errors"' in text and "năm-tháng-ngày" in text and 'data-testid="chart-daily"' in text


def test_who_may_ask(app, month, case_system):
    assert app.test_client().get("/api/v1/stats").status_code == 401
    assert logged_in(app, citizen_principal("022186001234")).get("/api/v1/stats").status_code == 403
    signer_only = logged_in(app, official_principal("official2")).get("/api/v1/stats")
    assert signer_only.status_code == 403 and signer_only.json["error"] == "stats_forbidden"
    assert "leader" in signer_only.json["message"]
    assert app.test_client().get("/api/v1/stats", headers=case_system.headers()).status_code == 403
    leader = logged_in(app, official_principal("official1"))
    outside = leader.get("/api/v1/stats", query_string={"agency": DEPT})
    assert outside.status_code == 403 and outside.json["error"] == "agency_not_visible"
    bad = leader.get("/api/v1/stats", query_string={"from": "01/11/2025", "to": "2024-01-01"},
                     headers={"Accept-Language": "vi"})
    assert bad.status_code == 400 and set(bad.json["details"]) == {"from"}
    assert bad.json["details"]["from"] == "Nhập ngày theo dạng YYYY-MM-DD (năm-tháng-ngày)."
    empty = leader.get("/api/v1/stats", query_string={"to": ""})
    assert empty.status_code == 400 and set(empty.json["details"]) == {"to"}
    backwards = leader.get("/api/v1/stats", query_string={"from": "2025-11-30", "to": "2025-11-01"})
    assert backwards.status_code == 400 and set(backwards.json["details"]) == {"to"}
    too_long = leader.get("/api/v1/stats", query_string={"from": "2020-01-01", "to": "2025-11-01"})
    assert too_long.status_code == 400 and set(too_long.json["details"]) == {"from"}
    for far in ({"from": "0001-01-01", "to": "0001-01-02"}, {"from": "9999-12-30", "to": "9999-12-31"}):
        outside_calendar = leader.get("/api/v1/stats", query_string=far, headers={"Accept-Language": "vi"})
        assert outside_calendar.status_code == 400 and set(outside_calendar.json["details"]) == {"from", "to"}
        assert outside_calendar.json["details"]["from"] == "Chọn một ngày từ 01/01/2000 đến 31/12/2999."
