"""Every HTTP error a browser can meet is one of the site's pages, in Vietnamese first and English on
request, saying what to do next, with the machine code only under "technical details"; API callers
(`/api/...` or asking for JSON) keep their JSON errors."""
from __future__ import annotations

import pytest

from tests.page_text import main_text
from wallet_service.platform.errors import Forbidden

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
JSON = {"Accept": "application/json"}


def assert_page(answer, status: int, heading: str, next_step: str, code: str) -> None:
    html = answer.get_data(as_text=True)
    assert answer.status_code == status and answer.mimetype == "text/html"
    assert '<header class="site">' in html and "app.css" in html  # the site's own page, not a bare one
    text = main_text(html)
    assert heading in text and next_step in text, text
    assert code not in text and "_" not in text  # no machine codes nor claim names in what a person reads
    assert f'data-testid="error-code">{code}<' in html  # kept for support, folded away


@pytest.fixture
def error_app(make_app):
    """The app, plus two routes that fail the way any page or API call might."""
    app = make_app(RATE_LIMIT_LOGIN="1 per minute", MAX_DOCUMENT_BYTES=1024 * 1024)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # serve the 500 as production does, not re-raise it

    def forbidden():
        raise Forbidden("Only the agency's officials may see this.")

    def boom():
        raise RuntimeError("a bug")

    for prefix in ("", "/api"):
        app.add_url_rule(f"{prefix}/test/forbidden", f"forbidden{prefix}", forbidden)
        app.add_url_rule(f"{prefix}/test/boom", f"boom{prefix}", boom)
    return app


@pytest.mark.parametrize("lang, heading, next_step", [
    ("vi", "Không tìm thấy trang", "Kiểm tra lại địa chỉ bạn đã gõ"),
    ("en", "Page not found", "Check the address you typed"),
])
def test_404_page(client, lang, heading, next_step):
    assert_page(client.get(f"/no-such-page?lang={lang}", headers=BROWSER), 404, heading, next_step, "not_found")
    api = client.get("/api/v1/no-such-thing", headers=BROWSER)
    assert (api.status_code, api.json["error"]) == (404, "not_found")
    asked = client.get("/no-such-page", headers=JSON)
    assert (asked.status_code, asked.json["error"]) == (404, "not_found")


@pytest.mark.parametrize("lang, heading, next_step", [
    ("vi", "Bạn không có quyền mở trang này", "liên hệ người quản trị của cơ quan"),
    ("en", "You cannot open this page", "contact your agency's administrator"),
])
def test_403_page(error_app, lang, heading, next_step):
    client = error_app.test_client()
    assert_page(client.get(f"/test/forbidden?lang={lang}", headers=BROWSER), 403, heading, next_step, "forbidden")
    api = client.get("/api/test/forbidden", headers=BROWSER)
    assert (api.status_code, api.json) == (403, {"error": "forbidden", "message": "Only the agency's officials may see this."})
    machine = client.get("/test/forbidden")  # a client that asks for nothing in particular: JSON as before
    assert machine.json["error"] == "forbidden"


@pytest.mark.parametrize("lang, heading, next_step", [
    ("vi", "Không thể thực hiện thao tác này tại đây", "Mở lại trang từ đường liên kết"),
    ("en", "This action is not possible here", "Open the page again from its link"),
])
def test_405_page(client, lang, heading, next_step):
    answer = client.delete(f"/?lang={lang}", headers=BROWSER)
    assert_page(answer, 405, heading, next_step, "method_not_allowed")
    assert "GET" in answer.headers["Allow"]
    api = client.post("/api/v1/me", headers=BROWSER)
    assert (api.status_code, api.json["error"]) == (405, "method_not_allowed")


@pytest.mark.parametrize("lang, heading, next_step", [
    ("vi", "Tệp quá lớn", "Chọn tệp nhỏ hơn"),
    ("en", "The file is too large", "Choose a smaller file"),
])
def test_413_page(error_app, lang, heading, next_step):
    client = error_app.test_client()
    big = {"csrf_token": "x" * (1536 * 1024)}
    answer = client.post(f"/auth/logout?lang={lang}", data=big, headers=BROWSER)
    assert_page(answer, 413, heading, next_step, "document_too_large")
    assert " 1 MB" in main_text(answer.get_data(as_text=True))  # the limit, in megabytes
    api = client.post("/auth/logout", data=big, headers=JSON)
    assert (api.status_code, api.json["error"]) == (413, "document_too_large")


@pytest.mark.parametrize("lang, heading, next_step", [
    ("vi", "Quá nhiều lượt thử", "Chờ vài phút rồi thử lại"),
    ("en", "Too many attempts", "Wait a few minutes, then try again"),
])
def test_429_page(error_app, lang, heading, next_step):
    client = error_app.test_client()
    client.get("/auth/login?role=nobody", headers=BROWSER)  # counted against the login limit
    answer = client.get(f"/auth/login?role=citizen&lang={lang}", headers=BROWSER)
    assert_page(answer, 429, heading, next_step, "too_many_requests")
    assert int(answer.headers["Retry-After"]) > 0
    api = client.get("/auth/login?role=citizen", headers=JSON)
    assert (api.status_code, api.json["error"]) == (429, "too_many_requests")


@pytest.mark.parametrize("lang, heading, next_step", [
    ("vi", "Hệ thống đang gặp sự cố", "Thử lại sau vài phút"),
    ("en", "Something went wrong on our side", "Try again in a few minutes"),
])
def test_500_page(error_app, lang, heading, next_step):
    client = error_app.test_client()
    answer = client.get(f"/test/boom?lang={lang}", headers=BROWSER)
    assert_page(answer, 500, heading, next_step, "internal_error")
    assert "a bug" not in answer.get_data(as_text=True) and "RuntimeError" not in answer.get_data(as_text=True)
    api = client.get("/api/test/boom", headers=BROWSER)
    assert api.status_code == 500 and 'data-testid="error-page"' not in api.get_data(as_text=True)


def test_a_bad_request_from_a_page_is_a_page(client):
    answer = client.get("/auth/login?role=nobody", headers=BROWSER)
    assert_page(answer, 400, "Không thể xử lý yêu cầu", "Quay lại trang trước và thử lại", "invalid_role")
    api = client.get("/auth/login?role=nobody", headers=JSON)
    assert (api.status_code, api.json["error"]) == (400, "invalid_role")


@pytest.mark.parametrize("lang, heading, next_step", [
    ("vi", "Biểu mẫu đã hết hạn", "tải lại trang rồi gửi lại biểu mẫu"),
    ("en", "The form has expired", "reload the page, and send the form again"),
])
def test_expired_form_page(client, lang, heading, next_step):
    answer = client.post(f"/auth/logout?lang={lang}", data={"csrf_token": "stale"}, headers=BROWSER)
    assert_page(answer, 400, heading, next_step, "csrf_failed")
    api = client.post("/auth/logout", data={"csrf_token": "stale"})
    assert (api.status_code, api.json["error"]) == (400, "csrf_failed")
