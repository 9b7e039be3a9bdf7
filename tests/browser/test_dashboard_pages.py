"""The leaders' dashboard in Chromium: its charts drawn in Vietnamese and in English, at desktop
width and on a 390 px phone, from the month of tests/stats (counted by hand there)."""
from __future__ import annotations

from urllib.parse import quote

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import log_in, screenshot
from tests.stats.conftest import month  # noqa: F401  (the fixture)

NOVEMBER = "/official/dashboard?from=2025-11-01&to=2025-11-30"


@pytest.fixture
def phone_390(browser) -> Page:
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="vi-VN",
                                  timezone_id="Asia/Ho_Chi_Minh")
    context.set_default_timeout(20_000)
    yield context.new_page()
    context.close()


def _charts_drawn(page: Page) -> None:
    expect(page.locator("[data-testid=chart-daily] rect")).to_have_count(30 * 3)
    expect(page.locator("[data-testid=chart-on-time-procedure] text.value")).to_have_count(2)
    expect(page.locator("[data-testid=tile-on-time] strong")).to_have_text("33.3 %")
    expect(page.locator("[data-testid=chart-satisfaction] text.value")).to_have_text(["1", "1", "0", "1", "0"])
    expect(page.locator("[data-testid=chart-copies] rect")).to_have_count(30)
    expect(page.locator("[data-testid=tile-copies] strong")).to_have_text("1")
    for chart in ("daily", "on-time-agency", "pending", "satisfaction", "copies"):
        box = page.locator(f"[data-testid=chart-{chart}]").bounding_box()
        assert box and box["width"] > 200 and box["height"] > 20, chart


def test_dashboard_in_both_languages_and_on_a_phone(page, phone_390, base_url, month, request):  # noqa: F811
    log_in(page, base_url, "official", "official1", quote(NOVEMBER, safe="/"))
    expect(page.locator("h1")).to_have_text("Chỉ số phục vụ")
    expect(page.locator("[data-testid=tile-satisfaction]")).to_contain_text("Mức độ hài lòng")
    _charts_drawn(page)
    expect(page.locator("[data-testid=comments] li")).to_have_count(2)
    screenshot(page, request, "desktop-vi")

    page.goto(base_url + NOVEMBER + "&lang=en")
    expect(page.locator("h1")).to_have_text("Service indices")
    expect(page.locator("[data-testid=tile-on-time] span")).to_have_text("On time")
    _charts_drawn(page)
    screenshot(page, request, "desktop-en")

    log_in(phone_390, base_url, "official", "official1", quote(NOVEMBER, safe="/"))
    expect(phone_390.locator("h1")).to_have_text("Chỉ số phục vụ")
    _charts_drawn(phone_390)
    assert phone_390.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "the page scrolls sideways"
    screenshot(phone_390, request, "phone-390-vi")
