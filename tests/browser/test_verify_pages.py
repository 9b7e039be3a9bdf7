"""The public verification pages in Chromium against the app served for real, with its own
verifier (trusting the root its init step put in instance/trust-roots): a PDF uploaded on
/verify, the /v/{id} QR landing page of a signed result and of an annulled one, comparing
uploads with it; at desktop size and at 360 px. Screenshots in test-artifacts/screenshots/."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.verify_service.conftest import (  # noqa: F401  (fixtures re-used as they are)
    WARD,
    annul,
    signed_pdf,
    signed_result,
    signed_states,
    with_added_page,
    with_flipped_byte,
)
from wallet_service.dev.demo import demo_code
from wallet_service.services import services


@pytest.fixture
def signed(app, signed_result, tmp_path):
    """Citizen 1's result, really signed (once per run, see `signed_result`); its PDF saved where the
    browser can upload it from."""
    result = signed_result
    path = tmp_path / "ket-qua.pdf"
    path.write_bytes(signed_pdf(app, result))
    yield result, path
    services(app).verifier.close()  # the app's own worker pool, started by the first upload


def upload(page, path) -> None:
    page.set_input_files("input[name=document]", str(path))
    page.click("form[data-testid=verify-form] button[type=submit]")
    page.wait_for_load_state("networkidle")


def test_upload_on_verify_shows_a_clear_verdict_with_details_folded(page, base_url, signed, request):
    result, path = signed
    page.goto(f"{base_url}/verify?lang=en")
    upload(page, path)

    verdict = page.get_by_test_id("verdict")
    expect(verdict).to_have_attribute("data-indication", "TOTAL-PASSED")
    expect(verdict).to_contain_text("Valid")
    expect(page.get_by_test_id("registry-message")).to_contain_text("has not been annulled")
    expect(page.get_by_test_id("registry")).to_contain_text(result.dossier_code)
    details = page.get_by_test_id("technical-details")
    expect(details.locator("text=Certificate serial number").first).to_be_hidden()  # folded
    screenshot(page, request, "verify-report-desktop")
    details.locator("summary").click()
    expect(details.locator("text=Certificate serial number").first).to_be_visible()
    expect(details).to_contain_text("Nguyễn Văn An")
    expect(details).to_contain_text("B-LTA")
    screenshot(page, request, "verify-report-details")

    page.goto(f"{base_url}/verify?lang=vi")
    upload(page, path)
    expect(page.get_by_test_id("verdict")).to_contain_text("Hợp lệ")
    expect(page.get_by_test_id("registry-message")).to_contain_text("chưa bị thu hồi")


def test_verify_page_refuses_a_file_that_is_not_a_pdf(page, base_url, tmp_path, request, app):
    bogus = tmp_path / "anh.pdf"
    bogus.write_bytes(b"GIF89a this is a picture" * 20)
    page.goto(f"{base_url}/verify?lang=en")
    upload(page, bogus)
    expect(page.get_by_test_id("verify-error")).to_contain_text("not a PDF document")
    screenshot(page, request, "verify-error")
    services(app).verifier.close()


def test_landing_page_of_a_signed_result_and_comparing_uploads(page, phone_page, base_url, signed, request, tmp_path):
    result, path = signed
    page.goto(f"{base_url}/v/{result.id}?lang=en")
    summary = page.get_by_test_id("result-summary")
    expect(summary).to_contain_text("Giấy chứng nhận đăng ký hộ kinh doanh")
    expect(summary).to_contain_text("Trung tâm Phục vụ hành chính công phường Hạ Long")
    expect(page.get_by_test_id("dossier-code")).to_have_text(result.dossier_code)
    expect(page.get_by_test_id("citizen")).to_have_text("L** T** H**")
    expect(page.get_by_test_id("status")).to_have_text(re.compile("signed|delivered"))
    expect(page.get_by_test_id("annulled")).to_have_count(0)

    upload(page, path)
    expect(page.get_by_test_id("comparison")).to_have_attribute("data-comparison", "same")
    expect(page.get_by_test_id("comparison")).to_contain_text("This is the document we issued.")
    screenshot(page, request, "landing-same-desktop")

    changed = tmp_path / "ket-qua-them-trang.pdf"
    changed.write_bytes(with_added_page(path.read_bytes()))
    upload(page, changed)
    expect(page.get_by_test_id("comparison")).to_have_attribute("data-comparison", "contains")
    expect(page.get_by_test_id("comparison")).to_contain_text("NOT")
    expect(page.get_by_test_id("verdict")).to_have_attribute("data-indication", "TOTAL-FAILED")

    altered = tmp_path / "ket-qua-sua.pdf"
    altered.write_bytes(with_flipped_byte(path.read_bytes()))
    upload(page, altered)
    expect(page.get_by_test_id("comparison")).to_have_attribute("data-comparison", "altered")
    expect(page.get_by_test_id("comparison")).to_contain_text("its content was altered")
    screenshot(page, request, "landing-altered-desktop")

    phone_page.goto(f"{base_url}/v/{result.id}")  # Vietnamese by default
    expect(phone_page.get_by_test_id("result-summary")).to_contain_text("Cơ quan cấp")
    upload(phone_page, path)
    expect(phone_page.get_by_test_id("comparison")).to_contain_text("Đây đúng là văn bản chúng tôi đã cấp.")
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 360, "no sideways scrolling at 360 px"
    screenshot(phone_page, request, "landing-same-phone")


def test_landing_page_of_an_annulled_result(page, phone_page, base_url, signed, app, request):
    result, path = signed
    annul(app, result, "Cấp nhầm người nhận")

    for shown, name in ((page, "desktop"), (phone_page, "phone")):
        shown.goto(f"{base_url}/v/{result.id}?lang=en")
        banner = shown.get_by_test_id("annulled")
        expect(banner).to_be_visible()
        expect(banner).to_contain_text("ANNULLED")
        expect(banner.get_by_test_id("annulment-reason")).to_have_text("Cấp nhầm người nhận")
        expect(banner).to_contain_text(re.compile(r"\d\d/\d\d/\d{4}"))
        expect(shown.get_by_test_id("status")).to_have_text("annulled")
        screenshot(shown, request, f"landing-annulled-{name}")

    upload(phone_page, path)
    expect(phone_page.get_by_test_id("verdict")).to_have_attribute("data-indication", "TOTAL-FAILED")
    expect(phone_page.get_by_test_id("verdict")).to_contain_text("Not valid")
    expect(phone_page.get_by_test_id("comparison")).to_contain_text("it has been annulled")
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(phone_page, request, "landing-annulled-upload-phone")

    phone_page.goto(f"{base_url}/v/{result.id}?lang=vi")
    expect(phone_page.get_by_test_id("annulled")).to_contain_text("ĐÃ THU HỒI")


def test_an_unknown_result_id_is_a_plain_not_found_page(page, base_url, demo_results, app):
    pending = demo_results[demo_code(WARD, 1)]  # not signed: no page, and no hint it exists
    for result_id in ("00000000-0000-0000-0000-000000000000", pending.id):
        response = page.goto(f"{base_url}/v/{result_id}?lang=en")
        assert response.status == 404
        expect(page.get_by_test_id("not-found")).to_be_visible()
        expect(page.locator("body")).not_to_contain_text(pending.title)
