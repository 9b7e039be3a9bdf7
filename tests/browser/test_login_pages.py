"""The smallest journey in a real browser: the home page, then logging in as each kind of person."""
from __future__ import annotations

from tests.browser.conftest import log_in, screenshot


def test_home_page_in_vietnamese_and_english(page, base_url, request):
    page.goto(base_url + "/")
    assert page.locator("h1").inner_text() == "Ví kết quả thủ tục hành chính"
    screenshot(page, request, "home-vi")
    page.click("text=English")
    assert page.locator("h1").inner_text() == "Administrative results wallet"


def test_citizen_and_official_log_in_through_the_embedded_provider(page, base_url, demo, request):
    log_in(page, base_url, "citizen", "citizen1")
    assert page.url.startswith(base_url + "/wallet/")
    assert "Lê Thị Hoa" in page.content()
    screenshot(page, request, "citizen-landing")
    page.context.clear_cookies()
    log_in(page, base_url, "official", "official1")
    assert page.url.startswith(base_url + "/official/")
    assert "Nguyễn Văn An" in page.content()
