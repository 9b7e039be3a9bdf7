"""Every HTTP error a browser can meet is one of the site's pages, in Vietnamese first and English on
request, saying what to do next, with the machine code only under "technical details"; API callers
(`/api/...` or asking for JSON) keep their JSON errors."""
from __future__ import annotations

import pytest

from tests.page_text import main_text
from wallet_service.platform.errors import Forbidden

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
JSON = {"Accept": "application/json"}
BIG = {"csrf_token": "x" * (1536 * 1024)}  # over the 1 MB documents (+ form allowance) of `error_app`

# status -> (code, {language: (heading, a next step)})
PAGES = {
    400: ("invalid_role", {"vi": ("Không thể xử lý yêu cầu", "Quay lại trang trước và thử lại"),
                           "en": ("The request cannot be handled", "Go back and try again")}),
    403: ("forbidden", {"vi": ("Bạn không có quyền mở trang này", "liên hệ người quản trị của cơ quan"),
                        "en": ("You cannot open this page", "contact your agency's administrator")}),
    404: ("not_found", {"vi": ("Không tìm thấy trang", "Kiểm tra lại địa chỉ bạn đã gõ"),
                        "en": ("Page not found", "Check the address you typed")}),
    405: ("method_not_allowed", {"vi": ("Không thể thực hiện thao tác này tại đây", "Mở lại trang từ đường liên kết"),
                                 "en": ("This action is not possible here", "Open the page again from its link")}),
    413: ("document_too_large", {"vi": ("Tệp quá lớn", "Chọn tệp nhỏ hơn"),
                                 "en": ("The file is too large", "Choose a smaller file")}),
    429: ("too_many_requests", {"vi": ("Quá nhiều lượt thử", "Chờ vài phút rồi thử lại"),
                                "en": ("Too many attempts", "Wait a few minutes, then try again")}),
    500: ("internal_error", {"vi": ("Hệ thống đang gặp sự cố", "Thử lại sau vài phút"),
                             "en": ("Something went wrong on our side", "Try again in a few minutes")}),
}

# The same errors met by a browser under /api/: still the API's JSON.
API_PATHS = {403: ("GET", "/api/test/forbidden"), 404: ("GET", "/api/v1/no-such-thing"), 405: ("POST", "/api/v1/me")}


def _request(client, status: int, query: str = "", headers=BROWSER):
    """Meet the error `status` as anyone could: a mistyped address, a reloaded form, a flood of logins..."""
    if status == 429:
        client.get("/auth/login?role=nobody", headers=headers)  # counted against the login limit
    send = {
        400: lambda: client.get(f"/auth/login?role=nobody&{query}", headers=headers),
        403: lambda: client.get(f"/test/forbidden?{query}", headers=headers),
        404: lambda: client.get(f"/no-such-page?{query}", headers=headers),
        405: lambda: client.delete(f"/?{query}", headers=headers),
        413: lambda: client.post(f"/auth/logout?{query}", data=BIG, headers=headers),
        429: lambda: client.get(f"/auth/login?role=citizen&{query}", headers=headers),
        500: lambda: client.get(f"/test/boom?{query}", headers=headers),
    }[status]
    return send()


@pytest.fixture
def error_app(make_app):
    """The app, plus routes that fail the way any page or API call might."""
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


def assert_page(answer, status: int, heading: str, next_step: str, code: str) -> None:
    html = answer.get_data(as_text=True)
    assert answer.status_code == status and answer.mimetype == "text/html"
    assert '<header class="site">' in html and "app.css" in html  # the site's own page, not a bare one
    text = main_text(html)
    assert heading in text and next_step in text, text
    assert code not in text and "_" not in text  # no machine codes nor claim names in what a person reads
    assert f'data-testid="error-code">{code}<' in html  # kept for support, folded away


@pytest.mark.parametrize("lang", ["vi", "en"])
@pytest.mark.parametrize("status", sorted(PAGES))
def test_error_page(error_app, status, lang):
    code, texts = PAGES[status]
    answer = _request(error_app.test_client(), status, f"lang={lang}")
    assert_page(answer, status, *texts[lang], code)
    html = answer.get_data(as_text=True)
    if status == 405:
        assert "GET" in answer.headers["Allow"]
    if status == 413:
        assert " 1 MB" in main_text(html)  # the limit, in megabytes
    if status == 429:
        assert int(answer.headers["Retry-After"]) > 0
    if status == 500:
        assert "a bug" not in html and "RuntimeError" not in html


@pytest.mark.parametrize("status", sorted(set(PAGES) - {500}))
def test_api_callers_keep_json(error_app, status):
    """The same errors asked for in JSON, or met under /api/ by a browser, are the API's JSON."""
    code = PAGES[status][0]
    asked = _request(error_app.test_client(), status, headers=JSON)
    assert (asked.status_code, asked.json["error"]) == (status, code)
    if status in API_PATHS:
        method, path = API_PATHS[status]
        api = error_app.test_client().open(path, method=method, headers=BROWSER)
        assert (api.status_code, api.json["error"]) == (status, code)


def test_api_errors_for_clients_asking_nothing_in_particular_stay_json(error_app):
    client = error_app.test_client()
    answer = client.get("/test/forbidden")
    assert answer.json == {"error": "forbidden", "message": "Only the agency's officials may see this.",
                           "request_id": answer.headers["X-Request-ID"]}
    crash = client.get("/api/test/boom", headers=BROWSER)
    assert crash.status_code == 500 and 'data-testid="error-page"' not in crash.get_data(as_text=True)


@pytest.mark.parametrize("lang, heading, next_step", [
    ("vi", "Biểu mẫu đã hết hạn", "tải lại trang rồi gửi lại biểu mẫu"),
    ("en", "The form has expired", "reload the page, and send the form again"),
])
def test_expired_form_page(client, lang, heading, next_step):
    answer = client.post(f"/auth/logout?lang={lang}", data={"csrf_token": "stale"}, headers=BROWSER)
    assert_page(answer, 400, heading, next_step, "csrf_failed")
    api = client.post("/auth/logout", data={"csrf_token": "stale"})
    assert (api.status_code, api.json["error"]) == (400, "csrf_failed")
