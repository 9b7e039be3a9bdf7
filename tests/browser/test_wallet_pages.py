"""The citizen's wallet in Chromium, at desktop width and on a 360 px phone: log in through the
embedded provider, see the results, open one, download the signed PDF, see the verification QR,
and get a credential offer QR with its transaction code."""
from __future__ import annotations

import hashlib
import re
import subprocess

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import log_in, screenshot
from tests.conftest import official_principal
from wallet_service.batches import creation, runner
from wallet_service.models import Result, db
from wallet_service.results import annulment
from wallet_service.services import services

CITIZEN1 = "022186001234"


@pytest.fixture
def citizen1_results(live_app, demo_results) -> dict[str, str]:
    """citizen1's four results: two of the ward's really signed (one then annulled), two pending."""
    ward = [r.id for code, r in sorted(demo_results.items())
            if r.citizen.personal_id == CITIZEN1 and code.startswith("000.00.15.H40")]
    batch = creation.create_batch(db.session, official_principal("official1"), ward)
    # On the app's job thread, as the API does (Playwright's event loop owns this thread).
    services(live_app).jobs.submit(runner.TASK, batch.id)
    services(live_app).jobs.wait(timeout=300)
    annulment.annul(db.session, official_principal("official1"), ward[1], "Cấp nhầm thông tin người con", services(live_app).events)
    db.session.expire_all()
    assert db.session.get(Result, ward[0]).status == "delivered"  # no external targets: the wallet here is the delivery
    return {"issued": ward[0], "annulled": ward[1]}


def _journey(page: Page, base_url: str, request, results: dict[str, str], tmp_path, size: str) -> None:
    log_in(page, base_url, "citizen", "citizen1")
    assert page.url == base_url + "/wallet/"
    items = page.locator("[data-testid=result]")
    expect(items).to_have_count(4)
    expect(page.locator("[data-testid=personal-id]")).to_have_text(CITIZEN1)
    stages = {items.nth(i).get_attribute("data-result-id"): items.nth(i).get_attribute("data-stage") for i in range(4)}
    assert stages[results["issued"]] == "issued" and stages[results["annulled"]] == "annulled"
    assert sorted(stages.values()).count("processing") == 2
    expect(page.locator(f"[data-result-id='{results['annulled']}'] [data-testid=stage]")).to_have_text("Đã thu hồi")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "the page scrolls sideways"
    screenshot(page, request, f"{size}-list")

    page.click(f"[data-result-id='{results['issued']}'] a")
    expect(page.locator("[data-testid=title]")).to_have_text("Giấy chứng nhận đăng ký hộ kinh doanh")
    expect(page.locator("[data-testid=agency]")).to_have_text("Trung tâm Phục vụ hành chính công phường Hạ Long")

    with page.expect_download() as download:
        page.click("[data-testid=download]")
    pdf = tmp_path / f"{size}.pdf"
    download.value.save_as(pdf)
    data = pdf.read_bytes()
    assert hashlib.sha256(data).hexdigest() == db.session.get(Result, results["issued"]).signed_sha256
    checked = subprocess.run(["pdfsig", str(pdf)], capture_output=True, text=True, timeout=60).stdout
    assert "Signature #2" in checked and "Nguyễn Văn An" in checked

    expect(page.locator("[data-testid=verification-qr] svg")).to_be_visible()
    expect(page.locator("[data-testid=verification-link]")).to_have_text(f"{base_url}/v/{results['issued']}")

    expect(page.locator("[data-testid=offer-panel]")).to_be_hidden()
    page.click("[data-testid=offer-button]")
    expect(page.locator("[data-testid=offer-panel]")).to_be_visible()
    expect(page.locator("[data-testid=offer-qr] svg")).to_be_visible()
    tx_code = page.locator("[data-testid=tx-code]").inner_text()
    assert re.fullmatch(r"\d{4,8}", tx_code), tx_code
    assert page.locator("[data-testid=offer-link]").get_attribute("href").startswith("openid-credential-offer://?credential_offer_uri=")
    assert page.locator("[data-testid=offer-error]").inner_text() == ""
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "the page scrolls sideways"
    screenshot(page, request, f"{size}-result-with-offer")

    page.goto(f"{base_url}/wallet/results/{results['annulled']}?lang=en")
    expect(page.locator("[data-testid=annulled]")).to_contain_text("no longer has legal effect")
    expect(page.locator("[data-testid=annulment-reason]")).to_have_text("Cấp nhầm thông tin người con")
    assert page.locator("[data-testid=offer-button]").count() == 0
    screenshot(page, request, f"{size}-annulled-en")


def test_citizen_wallet_on_desktop(page, base_url, citizen1_results, request, tmp_path):
    _journey(page, base_url, request, citizen1_results, tmp_path, "desktop")


def test_citizen_wallet_on_a_phone(phone_page, base_url, citizen1_results, request, tmp_path):
    _journey(phone_page, base_url, request, citizen1_results, tmp_path, "phone")
