"""Tools for volume on the officials' queue in Chromium: search by name, sort by a column, sign
from the preview, sign every result matching the filters (41, over three pages) as one batch, and
return a dossier to the case system instead of signing it."""
from __future__ import annotations

import json

import jwt
import pytest

from tests.browser.conftest import log_in, screenshot
from tests.conftest import _serve
from tests.delivery.receiver import CountingStore
from tests.official.factories import BIRTH, WARD, add_result
from wallet_service.delivery import deliver_due

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


class TestReturningADossier:
    @pytest.fixture
    def store(self):
        server = CountingStore()
        yield server
        server.close()

    @pytest.fixture
    def app(self, make_app, live_server, tmp_path, store):
        targets = tmp_path / "targets.json"
        targets.write_text(json.dumps({"targets": [
            {"name": "mot-cua", "type": "case_system", "url": store.url, "agencies": [WARD]}]}))
        yield from _serve(make_app, live_server, tmp_path, DELIVERY_TARGETS_FILE=str(targets))

    @pytest.fixture
    def base_url(self, app) -> str:
        return app.config["LIVE_URL"]

    def test_the_returned_dossier_reaches_the_case_system(self, page, base_url, app, demo_results, store, request):
        result = next(r for code, r in sorted(demo_results.items()) if code.startswith(WARD))
        log_in(page, base_url, "official", "official1")
        page.goto(f"{base_url}/official/results/{result.id}")
        assert page.locator("[data-testid=annul]").count() == 0  # not issued: returned, not annulled
        page.fill("#return-reason", "Thiếu tờ khai có chữ ký của người yêu cầu")
        page.click("[data-testid=return]")
        page.locator("dd[data-testid=returned]").wait_for()
        screenshot(page, request, "returned")
        deliver_due(app)
        [received] = store.state.accepted.values()
        claims = jwt.decode(received.body.decode(), options={"verify_signature": False})  # verified in tests/delivery
        assert claims["event"] == "result.returned"
        assert claims["result"]["return_reason"] == "Thiếu tờ khai có chữ ký của người yêu cầu"
