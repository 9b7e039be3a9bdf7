"""A citizen with many results: search, year and agency filters and pages, in
GET /api/v1/wallet/results (RFC 8288 Link headers, X-Total-Count) and on /wallet/; the print view."""
from __future__ import annotations

import datetime as dt
import re

import pytest
import requests.utils
import sqlalchemy as sa

from wallet_service.models import Result, ResultStatus, db

from ..conftest import login_as
from ..official.factories import BIRTH, DEPT
from .conftest import citizen_principal
from .factories import CITIZEN1, CITIZEN2, add_many_results

pytestmark = pytest.mark.postgres  # SQL behaviour: runs on PostgreSQL too

API = "/api/v1/wallet/results"
UTC = dt.UTC


@pytest.fixture
def many_results(app, demo_results) -> dict[str, list[str]]:
    """See `add_many_results`."""
    return add_many_results(demo_results, 20)


def _own(personal_id: str) -> list[Result]:
    rows = db.session.scalars(sa.select(Result).order_by(Result.created_at.desc(), Result.id))
    return [r for r in rows if r.citizen.personal_id == personal_id]


def _links(response) -> dict[str, str]:
    return {link["rel"]: link["url"] for link in requests.utils.parse_header_links(response.headers["Link"])}


def test_pages_follow_their_link_headers_through_every_result(app, client, many_results):
    login_as(app, client, citizen_principal(CITIZEN1))
    own = [r.id for r in _own(CITIZEN1)]
    first = client.get(f"{API}?per_page=10")
    assert first.status_code == 200 and first.headers["X-Total-Count"] == str(len(own))
    links = _links(first)
    assert set(links) == {"first", "next", "last"}  # no prev on the first page
    assert links["last"].startswith("http://") and f"page={-(-len(own) // 10)}" in links["last"]

    seen, response, pages = [], first, 0
    while True:
        pages += 1
        seen += [item["id"] for item in response.get_json()]
        if "next" not in _links(response):
            break
        response = client.get(_links(response)["next"])
        assert _links(response)["prev"] and response.headers["X-Total-Count"] == str(len(own))
    assert seen == own  # newest first, each once, nobody else's
    assert pages == -(-len(own) // 10)
    assert client.get(links["last"]).get_json()[-1]["id"] == own[-1]

    past_the_end = client.get(f"{API}?per_page=10&page=50")
    assert past_the_end.status_code == 200 and past_the_end.get_json() == []
    assert past_the_end.headers["X-Total-Count"] == str(len(own))


def test_search_year_and_agency_narrow_the_listing(app, client, many_results):
    login_as(app, client, citizen_principal(CITIZEN1))

    def ids(query: str) -> list[str]:
        response = client.get(f"{API}?per_page=100&{query}")
        assert response.status_code == 200, response.get_json()
        body = [item["id"] for item in response.get_json()]
        assert response.headers["X-Total-Count"] == str(len(body))
        return body

    assert set(ids("year=2024")) == set(many_results["2024"])
    assert set(ids("agency=" + DEPT)) >= set(many_results["dept"])
    assert all(item["agency_code"] == DEPT for item in client.get(f"{API}?agency={DEPT}").get_json())
    assert set(ids(f"year=2025&agency={DEPT}")) == set(many_results["2025"]) & set(many_results["dept"])
    # By title, case-insensitive; by procedure name and code; by agency name; by part of a dossier code.
    births = {r.id for r in _own(CITIZEN1) if r.procedure_code == BIRTH[0]}
    assert births > set(many_results["birth"])  # the demo's own birth extract too
    assert set(ids("q=trích lục khai sinh")) == births
    assert set(ids("q=đăng ký khai sinh")) == births
    assert set(ids("q=TRICH LUC khai sinh")) == births  # without diacritics, any case
    assert set(ids("q=dang ky khai sinh")) == births
    assert set(ids("q=" + BIRTH[0])) == births
    assert set(ids("q=sở xây dựng")) == {r.id for r in _own(CITIZEN1) if r.agency.code == DEPT}
    assert ids("q=250315-0014") == [many_results["2025"][1]]
    assert ids("q=100%25") == [] and ids("q=_") == []  # LIKE wildcards are searched for, not obeyed
    narrowed = client.get(f"{API}?year=2024&per_page=5&q=cư trú")
    links = _links(narrowed)
    assert "year=2024" in links["next"] and "q=c" in links["next"] and "per_page=5" in links["next"]


@pytest.mark.parametrize("query, field", [
    ("page=0", "page"), ("page=abc", "page"), ("page=-1", "page"), ("per_page=0", "per_page"),
    ("per_page=101", "per_page"), ("per_page=１０", "per_page"), ("year=1999", "year"), ("year=20x4", "year"),
    ("q=" + "a" * 101, "q"), ("agency=<script>", "agency"), ("per_page=", "per_page"), ("year=+", "year"),
])
def test_bad_page_or_filter_values_are_refused_in_vietnamese(app, client, demo_results, query, field):
    login_as(app, client, citizen_principal(CITIZEN1))
    response = client.get(f"{API}?{query}")
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"] == "invalid_query" and set(body["details"]) == {field}
    assert body["message"] == "Một số giá trị tìm kiếm hoặc phân trang không hợp lệ."
    assert re.search(r"[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]", body["details"][field])


def test_a_search_never_reaches_another_citizens_results(app, client, many_results):
    login_as(app, client, citizen_principal(CITIZEN2))
    own = {r.id for r in _own(CITIZEN2)}
    for query in ("q=trích lục", "year=2024", "agency=000.00.15.H40", "per_page=1&page=2", ""):
        response = client.get(f"{API}?{query}")
        assert {item["id"] for item in response.get_json()} <= own, query
    everything = client.get(f"{API}?per_page=100")
    assert int(everything.headers["X-Total-Count"]) == len(own)
    assert not own & {i for ids in many_results.values() for i in ids}


def _selects(app):
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    sa.event.listen(db.engines[None], "before_cursor_execute", record)
    return statements, lambda: sa.event.remove(db.engines[None], "before_cursor_execute", record)


def test_a_page_costs_one_query_and_a_count_only_when_it_is_full(app, client, many_results):
    login_as(app, client, citizen_principal(CITIZEN1))
    client.get(API)  # the login's session lookups are cached from here on
    for query, expected in (("per_page=100", 1), ("per_page=10", 2), ("year=2025&per_page=100", 1), ("q=sở&per_page=2", 2)):
        statements, stop = _selects(app)
        try:
            assert client.get(f"{API}?{query}").status_code == 200
        finally:
            stop()
        listing = [s for s in statements if "FROM results" in s]
        assert len(listing) == expected, (query, listing)
        assert all("count(" in s.lower() for s in listing[1:])


def test_wallet_page_searches_and_pages(app, client, many_results):
    login_as(app, client, citizen_principal(CITIZEN1))
    page = client.get("/wallet/?q=cư+trú&year=2024&per_page=4&page=2").get_data(as_text=True)
    found = [i for i in many_results["2024"] if i not in many_results["birth"]]
    assert f"Số kết quả: {len(found)}" in page and f"2 / {-(-len(found) // 4)}" in page
    listed = re.findall(r'data-result-id="([0-9a-f-]+)"', page)
    assert len(listed) == 4 and set(listed) <= set(found)
    assert 'name="per_page" value="4"' in page
    assert 'rel="prev"' in page and 'rel="next"' in page
    assert '<option value="2024" selected>2024</option>' in page and '<option value="2025" >2025</option>' in page
    assert 'value="cư trú"' in page
    dates = re.findall(r"<dd>(\d\d/\d\d/\d{4} \d\d:\d\d)</dd>", page)
    assert dates and all(d.split()[0].endswith("/2024") for d in dates)

    nothing = client.get("/wallet/?q=không-có-gì").get_data(as_text=True)
    assert "Không có kết quả nào phù hợp" in nothing and "Số kết quả: 0" in nothing
    bad = client.get("/wallet/?page=abc&year=1").get_data(as_text=True)
    assert "Nhập một số nguyên từ 1 đến" in bad and "Nhập năm từ 2000 đến" in bad


def test_print_view_of_a_signed_result(app, client, wallet_results):
    login_as(app, client, citizen_principal(CITIZEN1))
    assert 'data-testid="print-link"' in client.get(f"/wallet/results/{wallet_results['issued']}").get_data(as_text=True)
    sheet = client.get(f"/wallet/results/{wallet_results['issued']}/print")
    assert sheet.status_code == 200
    text = sheet.get_data(as_text=True)
    assert 'data-testid="verification-qr"><svg' in text and f"/v/{wallet_results['issued']}" in text
    assert "Giấy phép sửa chữa, cải tạo công trình" in text and "Đã cấp" in text
    assert re.search(r'data-testid="signed-at">\d\d/\d\d/\d{4} \d\d:\d\d<', text)
    annulled = client.get(f"/wallet/results/{wallet_results['annulled']}/print").get_data(as_text=True)
    assert "không còn giá trị pháp lý" in annulled and "Cấp nhầm thông tin" in annulled
    processing = client.get(f"/wallet/results/{wallet_results['processing']}/print").get_data(as_text=True)
    assert "<svg" not in processing and "chưa thể kiểm tra" in processing

    login_as(app, client, citizen_principal(CITIZEN2))
    assert client.get(f"/wallet/results/{wallet_results['issued']}/print").status_code == 404
    client.post("/auth/logout")
    stranger = app.test_client().get(f"/wallet/results/{wallet_results['issued']}/print")
    assert stranger.status_code == 302 and "/auth/login" in stranger.headers["Location"]


def test_year_is_when_the_citizen_saw_it_signed_in_vietnam_time(app, client, demo_results):
    """Signed at 23:30 UTC on 31 December is 1 January in Vietnam: the next year's result."""
    result = next(r for r in demo_results.values() if r.citizen.personal_id == CITIZEN1)
    result.created_at = dt.datetime(2024, 12, 20, tzinfo=UTC)
    result.move_to(ResultStatus.SIGNING)
    result.signed_sha256, result.signed_at = result.original_sha256, dt.datetime(2024, 12, 31, 23, 30, tzinfo=UTC)
    result.move_to(ResultStatus.SIGNED)
    db.session.commit()
    login_as(app, client, citizen_principal(CITIZEN1))
    assert [i["id"] for i in client.get(f"{API}?year=2025").get_json()] == [result.id]
    assert client.get(f"{API}?year=2024").get_json() == []
