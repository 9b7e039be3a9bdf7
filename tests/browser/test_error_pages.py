"""Errors as a person meets them in Chromium: a refused login and a missing page are pages of the
site, in Vietnamese and English, saying what to do next, with no code in the address bar."""
from __future__ import annotations

from tests.browser.conftest import log_in, screenshot


def test_level1_citizen_refusal_page(page, base_url, demo, request):
    log_in(page, base_url, "citizen", "citizen4")
    assert page.url == base_url + "/auth/refused" and "code=" not in page.url
    main = page.locator("main").inner_text()
    assert "Tài khoản định danh điện tử của bạn chưa đạt mức độ 2" in main
    assert "Nâng cấp tài khoản lên mức độ 2" in main
    assert "account_level_too_low" not in main and "claim" not in main  # folded under technical details
    screenshot(page, request, "refused-level1-vi")
    page.click("text=Chi tiết kỹ thuật")
    assert "account_level_too_low" in page.locator("main").inner_text()
    page.click("text=English")
    assert page.url == base_url + "/auth/refused?lang=en"
    assert "Your electronic identification account is not level 2" in page.locator("h1").inner_text()
    screenshot(page, request, "refused-level1-en")
    page.get_by_role("link", name="Log in again").click()
    page.wait_for_load_state("networkidle")
    assert "/dev-oidc/authorize" in page.url  # a new login starts


def test_missing_page(page, base_url, request):
    answer = page.goto(base_url + "/no-such-page")
    assert answer.status == 404
    assert page.locator("h1").inner_text() == "Không tìm thấy trang"
    assert "not_found" not in page.locator("main").inner_text()
    screenshot(page, request, "404-vi")
    page.goto(base_url + "/no-such-page?lang=en")
    assert page.locator("h1").inner_text() == "Page not found"
    screenshot(page, request, "404-en")
