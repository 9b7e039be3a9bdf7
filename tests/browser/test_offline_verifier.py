"""The offline verifier page in Chromium: opened once with network, then with the browser context
offline (the service worker serves the page, its scripts and the trust list), it reads the offline
code from a 150 dpi picture of a signed result's last page (vendored jsQR), checks its COSE signature
with WebCrypto and shows the verdict; altered and foreign codes are refused, an annulled result shows
as annulled once the trust list is refreshed, and a list older than 7 days is flagged."""
from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from offline_qr import ResultClaims, issue_codes
from tests.browser.conftest import screenshot
from tests.offline_qr.keys import agency_key, recoded
from tests.verify_service.conftest import WARD, annul, sign, signed_pdf
from tests.verify_service.test_offline_codes import last_page_png, qr_texts
from wallet_service.dev.demo import demo_code


@pytest.fixture
def printed(app, demo_results, tmp_path):
    result = sign(app, [demo_results[demo_code(WARD, 1)]])[0]
    png = last_page_png(signed_pdf(app, result), tmp_path)
    (code,) = [t for t in qr_texts(png) if t.startswith("VN1:")]
    return result, png, code


def paste(page, code: str) -> None:
    if page.locator("details").get_attribute("open") is None:
        page.locator("details summary").click()
    page.get_by_test_id("code-text").fill(code)
    page.get_by_test_id("check-text").click()


def test_offline_page_verifies_a_printed_result_with_no_network(page, base_url, app, printed, request):
    result, png, code = printed
    page.goto(f"{base_url}/verify/offline")
    expect(page.get_by_test_id("trust-list-date")).to_contain_text("Danh sách tin cậy ngày")
    assert page.evaluate("navigator.serviceWorker.ready.then(() => true)")

    page.context.set_offline(True)
    page.reload()
    verdict = page.get_by_test_id("offline-verdict")
    expect(page.get_by_test_id("trust-list-date")).to_contain_text(dt.date.today().strftime("/%m/%Y"))
    page.set_input_files("[data-testid=photo]", str(png))
    expect(verdict).to_have_attribute("data-status", "valid", timeout=30_000)
    expect(verdict).to_contain_text("Hợp lệ")
    expect(verdict).to_contain_text(result.dossier_code)
    screenshot(page, request, "offline-valid")

    paste(page, recoded(code, lambda protected, claims: (protected, {**claims, -65537: {**claims[-65537], 1: "GIẢ-MẠO"}})))
    expect(verdict).to_have_attribute("data-status", "invalid")
    expect(verdict).to_have_attribute("data-code", "bad_signature")
    foreign = issue_codes(agency_key("Cơ quan giả", "ec"), [ResultClaims(result.id, WARD, result.dossier_code, dt.date.today())])[0]
    paste(page, foreign)
    expect(verdict).to_have_attribute("data-code", "unknown_key")
    paste(page, "HC1:" + code[4:])
    expect(verdict).to_have_attribute("data-status", "unreadable")

    annul(app, result)
    page.context.set_offline(False)
    page.get_by_test_id("refresh-trust-list").click()
    expect(page.get_by_test_id("trust-list-date")).to_contain_text("Đã cập nhật")
    page.context.set_offline(True)
    page.set_input_files("[data-testid=photo]", str(png))
    expect(verdict).to_have_attribute("data-status", "annulled", timeout=30_000)
    expect(verdict).to_contain_text("Đã thu hồi")
    screenshot(page, request, "offline-annulled")


def test_offline_page_flags_a_trust_list_older_than_a_week(page, base_url, app):
    page.goto(f"{base_url}/verify/offline?lang=en")
    expect(page.get_by_test_id("trust-list-date")).to_contain_text("Trust list as of")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.context.set_offline(True)
    page.clock.install(time=dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=8))
    page.reload()
    line = page.get_by_test_id("trust-list-date")
    expect(line).to_have_attribute("data-stale", "true")
    expect(line).to_contain_text("more than 7 days old")
