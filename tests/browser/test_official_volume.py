"""Tools for volume on the officials' queue in Chromium: search by name, sort by a column, sign
from the preview, and sign every result matching the filters (41, over three pages) as one batch."""
from __future__ import annotations

from tests.browser.conftest import log_in, screenshot
from tests.official.factories import BIRTH, add_result

BATCH_TIMEOUT_MS = 300_000


def test_forty_one_matching_results_are_signed_in_one_batch(page, base_url, app, demo, request):
    for n in range(1, 42):
        add_result(app, n, procedure=BIRTH, citizen_id="022186001234" if n % 2 else "022090004567")
    log_in(page, base_url, "official", "official1")
    page.goto(f"{base_url}/official/?procedure={BIRTH[0]}")
    assert page.locator("[data-testid=result-count]").inner_text().startswith("Đang chờ ký: 41")

    page.fill("input[name=q]", "phạm văn")
    page.click("[data-testid=filters] button[type=submit]")
    assert page.locator("[data-testid=result-count]").inner_text().startswith("Đang chờ ký: 20")
    page.click("th a[data-sort=dossier]")
    page.click("th a[data-sort=dossier]")  # again: descending
    first = page.locator("tr[data-result-id]").first.get_attribute("data-dossier")
    assert first.endswith("-0040")
    page.locator("a[data-preview]").first.click()
    sign = page.locator("[data-testid=preview-sign]")
    assert sign.is_visible()
    sign.click()
    assert page.locator("[data-testid=confirm-list] li").count() == 1

    page.goto(f"{base_url}/official/?procedure={BIRTH[0]}")
    page.click("[data-testid=select-matching] a")
    assert page.locator("[data-testid=confirm-count]").inner_text() == "Bạn sắp ký số 41 văn bản."
    screenshot(page, request, "confirm-all-matching")
    page.click("[data-testid=confirm-sign]")
    page.locator("[data-testid=batch-finished]").wait_for(timeout=BATCH_TIMEOUT_MS)
    assert page.locator('[data-item-status="done"]').count() == 41
    page.goto(f"{base_url}/official/?procedure={BIRTH[0]}")
    assert page.locator("tr[data-result-id]").count() == 0
