"""The officials' pages through the test client: who may see them, the queue's filters and pages,
the history, the confirmation page, previews, and the per-object 404s."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from tests.conftest import login_as, official_principal
from tests.official.factories import BIRTH, DEPT, RESIDENCE, WARD, add_result
from wallet_service.access import CITIZEN, Principal
from wallet_service.dev import demo as demo_data
from wallet_service.models import Citizen, Result, ResultStatus, SigningBatch, SigningBatchItem, db
from wallet_service.services import services

UTC = dt.timezone.utc


def listed(page: str) -> list[str]:
    """Dossier codes of the rows of a list page, in order."""
    return re.findall(r'<tr data-result-id="[^"]+" data-dossier="([^"]+)"', page)


@pytest.fixture
def official1(app, client, demo):
    login_as(app, client, official_principal("official1"))
    return client


def test_anonymous_people_are_sent_to_the_officials_login(client):
    answer = client.get("/official/history?dossier_code=0001")
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("/auth/login?role=official&next=")
    assert "next=/official/history?dossier_code%3D0001" in answer.headers["Location"]


def test_citizens_are_refused_the_officials_pages(app, client, demo):
    citizen = db.session.scalar(select(Citizen).where(Citizen.personal_id == "022186001234"))
    login_as(app, client, Principal(CITIZEN, citizen.id, citizen.full_name, personal_id=citizen.personal_id))
    answer = client.get("/official/")
    assert answer.status_code == 403
    assert 'data-code="officials_only"' in answer.get_data(as_text=True)


def test_queue_shows_the_agencys_waiting_and_failed_results_in_vietnamese(app, official1, demo_results):
    ward = sorted(code for code in demo_results if code.startswith(WARD))
    failed, signed = demo_results[ward[0]], demo_results[ward[1]]
    failed.status = ResultStatus.FAILED.value
    signed.status = ResultStatus.SIGNED.value
    signed.signed_at = dt.datetime.now(UTC)
    official = official_principal("official1")
    batch = SigningBatch(official_id=official.record_id, status="finished",
                         items=[SigningBatchItem(result_id=failed.id, status="failed", error="invalid_pdf: broken xref")])
    db.session.add(batch)
    db.session.commit()

    page = official1.get("/official/").get_data(as_text=True)
    assert "<h1>Hồ sơ chờ ký</h1>" in page
    assert listed(page) == [c for c in ward if c != signed.dossier_code]
    assert not any(code.startswith(DEPT) for code in listed(page))
    assert "invalid_pdf: broken xref" in page  # why it failed, next to the failed result
    assert "Ký không thành công" in page
    history = official1.get("/official/history").get_data(as_text=True)
    assert listed(history) == [signed.dossier_code]
    assert f'href="/v/{signed.id}"' in history


def test_english_on_request(official1, demo_results):
    page = official1.get("/official/?lang=en").get_data(as_text=True)
    assert "<h1>Signing queue</h1>" in page
    assert "Waiting for signature" in page


@pytest.mark.postgres  # SQL behaviour
def test_filters_by_procedure_citizen_and_dossier_code(app, official1, demo):
    add_result(app, 1, procedure=BIRTH, citizen_id="022186001234")
    add_result(app, 2, procedure=RESIDENCE, citizen_id="022186001234")
    add_result(app, 3, procedure=RESIDENCE, citizen_id="022090004567")
    add_result(app, 4, procedure=RESIDENCE, citizen_id="022090004567", agency_code=DEPT)

    def codes(**args):
        return listed(official1.get("/official/", query_string=args).get_data(as_text=True))

    assert codes() == [f"{WARD}-251121-0001", f"{WARD}-251121-0002", f"{WARD}-251121-0003"]
    assert codes(procedure=RESIDENCE[0]) == [f"{WARD}-251121-0002", f"{WARD}-251121-0003"]
    assert codes(citizen_id="022090004567") == [f"{WARD}-251121-0003"]
    assert codes(citizen_id="022 090 004 567") == [f"{WARD}-251121-0003"]  # as printed on the card
    assert codes(dossier_code="h40-251121-0002") == [f"{WARD}-251121-0002"]  # part of it, any case
    assert codes(procedure=BIRTH[0], citizen_id="022090004567") == []
    assert codes(dossier_code="%") == []  # no wildcard injection: % is not allowed at all
    page = official1.get("/official/", query_string={"procedure": RESIDENCE[0]}).get_data(as_text=True)
    assert f'<option value="{RESIDENCE[0]}" selected>' in page


@pytest.mark.postgres  # SQL behaviour
def test_date_range_is_in_vietnam_time(app, official1, demo):
    # 17:30 UTC on 17 November is 00:30 on 18 November in Vietnam (UTC+7).
    add_result(app, 1, received_at=dt.datetime(2025, 11, 17, 16, 59, tzinfo=UTC))  # 23:59 on the 17th
    add_result(app, 2, received_at=dt.datetime(2025, 11, 17, 17, 30, tzinfo=UTC))  # 00:30 on the 18th
    add_result(app, 3, received_at=dt.datetime(2025, 11, 19, 16, 0, tzinfo=UTC))   # 23:00 on the 19th

    def codes(**args):
        return [c[-4:] for c in listed(official1.get("/official/", query_string=args).get_data(as_text=True))]

    assert codes(**{"from": "2025-11-18"}) == ["0002", "0003"]
    assert codes(to="2025-11-17") == ["0001"]
    assert codes(**{"from": "2025-11-18", "to": "2025-11-18"}) == ["0002"]
    assert codes(**{"from": "2025-11-19", "to": "2025-11-19"}) == ["0003"]


def test_bad_filters_are_named_in_the_page_not_a_crash(official1, demo_results):
    answer = official1.get("/official/", query_string={
        "from": "18/11/2025", "citizen_id": "12345", "dossier_code": "x'; drop", "page": "0"})
    page = answer.get_data(as_text=True)
    assert answer.status_code == 400
    assert 'data-testid="filter-errors"' in page
    assert "Nhập ngày theo dạng YYYY-MM-DD" in page
    assert "Số định danh cá nhân gồm đúng 12 chữ số." in page
    assert "Mã hồ sơ chỉ gồm chữ cái" in page
    assert 'value="18/11/2025"' in page  # what was typed stays, to be corrected
    assert listed(page) == []
    reversed_range = official1.get("/official/", query_string={"from": "2025-11-20", "to": "2025-11-18"})
    assert reversed_range.status_code == 400
    assert "Ngày kết thúc trước ngày bắt đầu." in reversed_range.get_data(as_text=True)


def test_non_ascii_digits_in_filters_are_named_not_matched_nor_a_crash(official1, demo_results):
    answer = official1.get("/official/", query_string={"citizen_id": "022１８６００１２３４", "page": "²"})
    page = answer.get_data(as_text=True)
    assert answer.status_code == 400
    assert "Số định danh cá nhân gồm đúng 12 chữ số." in page
    assert official1.get("/official/", query_string={"per_page": "٣"}).status_code == 400


@pytest.mark.postgres  # SQL behaviour
def test_pagination_keeps_the_filters_and_covers_every_result(app, official1, demo):
    for n in range(1, 26):
        add_result(app, n, procedure=RESIDENCE if n % 5 else BIRTH,
                   received_at=dt.datetime(2025, 11, 1, tzinfo=UTC) + dt.timedelta(hours=n))
    args = {"procedure": RESIDENCE[0], "per_page": "7"}  # 20 residence results: 7 + 7 + 6
    first = official1.get("/official/", query_string=args).get_data(as_text=True)
    assert "Đang chờ ký: 20" in first and "trang 1/3" in first
    seen = listed(first)
    assert len(seen) == 7
    next_link = re.search(r'<a rel="next" href="([^"]+)"', first).group(1).replace("&amp;", "&")
    assert "procedure=1.004222.000.00.00.H40" in next_link and "per_page=7" in next_link and "page=2" in next_link
    second = official1.get(next_link).get_data(as_text=True)
    third = official1.get("/official/", query_string={**args, "page": "3"}).get_data(as_text=True)
    seen += listed(second) + listed(third)
    assert len(listed(third)) == 6 and 'rel="next"' not in third
    assert seen == [f"{WARD}-251121-{n:04d}" for n in range(1, 26) if n % 5]  # oldest first, none twice
    beyond = official1.get("/official/", query_string={**args, "page": "9"})
    assert beyond.status_code == 200 and listed(beyond.get_data(as_text=True)) == []


def test_another_agencys_results_and_batches_are_not_found(app, client, demo_results):
    ward_result = next(r for code, r in demo_results.items() if code.startswith(WARD))
    official1 = official_principal("official1")
    batch = SigningBatch(official_id=official1.record_id, status="finished",
                         items=[SigningBatchItem(result_id=ward_result.id, status="failed", error="x")])
    db.session.add(batch)
    db.session.commit()
    login_as(app, client, official_principal("official2"))
    for path in (f"/official/results/{ward_result.id}", f"/official/results/{ward_result.id}/page-1.png",
                 f"/official/sign?result_id={ward_result.id}", f"/official/batches/{batch.id}",
                 "/official/results/no-such-id"):
        answer = client.get(path)
        assert answer.status_code == 404, path
        assert ward_result.dossier_code not in answer.get_data(as_text=True)
    assert ward_result.dossier_code not in client.get("/official/").get_data(as_text=True)


def test_confirmation_lists_the_selection_without_a_pin_field(official1, demo_results):
    ward = [r for code, r in sorted(demo_results.items()) if code.startswith(WARD)]
    ward[2].status = ResultStatus.SIGNED.value
    db.session.commit()
    answer = official1.get("/official/sign", query_string=[("result_id", r.id) for r in ward[:3]])
    page = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert "Bạn sắp ký số 2 văn bản." in page
    assert page.count('<input type="hidden" name="result_id"') == 2
    assert 'data-testid="skipped"' in page and ward[2].dossier_code in page
    assert 'type="password"' not in page and "PIN" not in page  # development keys need none
    assert official1.get("/official/sign").status_code == 400


@pytest.mark.parametrize("level, promised", [("B-B", False), ("B-LTA", True)])
def test_confirmation_promises_a_timestamp_only_when_the_level_adds_one(make_app, level, promised):
    app = make_app(SIGNATURE_LEVEL=level)
    with app.app_context():
        demo_data.load_people(db.session, services(app).settings.public_base_url)
        client = app.test_client()
        login_as(app, client, official_principal("official1"))
        result = add_result(app, 1)
        page = client.get(f"/official/sign?result_id={result.id}").get_data(as_text=True)
        promise = re.search(r'data-testid="what-signing-does">([^<]*)<', page).group(1)
        assert ("dấu thời gian" in promise) is promised, promise
        assert "Văn bản đã ký được trả ngay cho công dân." in promise
        db.session.remove()


def test_signers_only(app, client, demo_results):
    official = official_principal("official1")
    login_as(app, client, Principal(official.kind, official.record_id, official.display_name,
                                    agency_codes=official.agency_codes, roles=frozenset({"annul"})))
    page = client.get("/official/").get_data(as_text=True)
    assert 'data-testid="sign-selected"' not in page and 'data-testid="sign-one"' not in page
    some = next(r for code, r in demo_results.items() if code.startswith(WARD))
    assert client.get(f"/official/sign?result_id={some.id}").status_code == 403


def test_preview_is_the_first_page_as_png_and_cacheable(official1, demo_results):
    some = next(r for code, r in demo_results.items() if code.startswith(WARD))
    answer = official1.get(f"/official/results/{some.id}/page-1.png")
    assert answer.status_code == 200 and answer.mimetype == "image/png"
    assert answer.data.startswith(b"\x89PNG\r\n\x1a\n")
    width = int.from_bytes(answer.data[16:20], "big")
    assert width == 900
    again = official1.get(f"/official/results/{some.id}/page-1.png", headers={"If-None-Match": answer.headers["ETag"]})
    assert again.status_code == 304


def test_csrf_less_session_posts_are_refused(app, official1, demo_results):
    some = next(r for code, r in demo_results.items() if code.startswith(WARD))
    answer = official1.post("/api/v1/signing-batches", json={"result_ids": [some.id]})
    assert answer.status_code == 400 and answer.json["error"] == "csrf_failed"
    answer = official1.post(f"/api/v1/results/{some.id}/revoke", json={"reason": "Cấp nhầm hồ sơ"})
    assert answer.status_code == 400 and answer.json["error"] == "csrf_failed"
    db.session.expire_all()
    assert db.session.get(Result, some.id).status == ResultStatus.PENDING_SIGNATURE.value


def test_search_by_citizen_name_or_title_and_sort_by_column(app, official1, demo):
    add_result(app, 1, procedure=BIRTH, citizen_id="022186001234")      # Lê Thị Hoa
    add_result(app, 2, procedure=RESIDENCE, citizen_id="022090004567")  # Phạm Văn Minh
    add_result(app, 3, procedure=RESIDENCE, citizen_id="022186001234")

    def codes(**args):
        return listed(official1.get("/official/", query_string=args).get_data(as_text=True))

    assert codes(q="hoa") == [f"{WARD}-251121-0001", f"{WARD}-251121-0003"]  # the citizen's name, any case
    assert codes(q=" PHẠM   văn ") == [f"{WARD}-251121-0002"]                  # spaces folded
    assert codes(q="pham van minh") == [f"{WARD}-251121-0002"]                # without diacritics
    assert codes(q="LE THI") == [f"{WARD}-251121-0001", f"{WARD}-251121-0003"]
    assert codes(q=BIRTH[2].split()[0]) == [f"{WARD}-251121-0001"]                # the document's title
    assert codes(q="100%") == []                                                 # % is a character, not a wildcard
    assert codes(sort="-dossier") == [f"{WARD}-251121-0003", f"{WARD}-251121-0002", f"{WARD}-251121-0001"]
    assert codes(sort="citizen") == [f"{WARD}-251121-0001", f"{WARD}-251121-0003", f"{WARD}-251121-0002"]
    assert codes(sort="nonsense") == codes()  # a stale link falls back to the queue's own order
    page = official1.get("/official/", query_string={"sort": "citizen"}).get_data(as_text=True)
    assert 'aria-sort="ascending"' in page and "sort=-citizen" in page  # the next click reverses it
    too_long = official1.get("/official/", query_string={"q": "x" * 101})
    assert too_long.status_code == 400 and "tối đa 100 ký tự" in too_long.get_data(as_text=True)


def test_every_result_matching_the_filters_can_be_signed_at_once(app, official1, demo, monkeypatch):
    for n in range(1, 26):
        add_result(app, n, procedure=RESIDENCE if n % 5 else BIRTH)
    page = official1.get("/official/", query_string={"procedure": RESIDENCE[0]}).get_data(as_text=True)
    assert len(listed(page)) == 20 and "Ký tất cả 20 kết quả" not in page  # one page holds them all
    page = official1.get("/official/", query_string={"procedure": RESIDENCE[0], "per_page": 5}).get_data(as_text=True)
    link = re.search(r'data-testid="select-matching">\s*<a href="([^"]+)">([^<]+)</a>', page)
    assert link and link.group(2) == "Ký tất cả 20 kết quả phù hợp với bộ lọc"
    confirm = official1.get(link.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert "Bạn sắp ký số 20 văn bản." in confirm
    assert confirm.count('<input type="hidden" name="result_id"') == 20
    monkeypatch.setattr("wallet_service.official.views.MAX_BATCH", 10)
    too_many = official1.get("/official/sign", query_string={"all": "1", "procedure": RESIDENCE[0]})
    assert too_many.status_code == 400 and "thu hẹp bộ lọc" in too_many.get_data(as_text=True)
