"""The QR page in Chromium: with the access key the stamp prints, the verdict at a glance and the
document's pages as images (desktop and 360 px); without it, the masked summary only; annulled,
the same facts in red. The upload form's "checking…" state, an unsigned PDF's verdict and the guide
to verifying without this website. Screenshots in test-artifacts/screenshots/."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.browser.test_verify_pages import signed, signed_result, signed_states  # noqa: F401  (fixtures re-used as they are)
from tests.verification.documents import unsigned_pdf
from tests.verify_service.conftest import annul
from wallet_service.services import services
from wallet_service.verify.access import qr_url

DATE = re.compile(r"^\d\d/\d\d/\d{4}$")


def loaded_images(page) -> list[int]:
    """Natural widths of the document's page images (0: the image did not load)."""
    return page.eval_on_selector_all("img[data-testid=document-page]", "images => images.map(i => i.naturalWidth)")


def test_the_qr_page_with_its_key_shows_the_verdict_and_the_pages(page, phone_page, base_url, signed, app, request):
    result, _ = signed
    keyed = qr_url(services(app).settings, result.id)
    assert keyed.startswith(f"{base_url}/v/{result.id}?k=")

    page.goto(f"{keyed}&lang=en")
    glance = page.get_by_test_id("glance")
    expect(glance).to_have_attribute("data-status", "valid")
    expect(glance).to_contain_text("VALID")
    expect(glance).to_contain_text(result.dossier_code)
    expect(glance).to_contain_text(result.procedure_name)
    expect(page.get_by_test_id("issued-on")).to_have_text(DATE)
    expect(page.get_by_test_id("document-page")).to_have_count(1)
    page.get_by_test_id("document-page").scroll_into_view_if_needed()
    expect(page.get_by_test_id("document-page")).to_have_js_property("complete", True)
    assert all(width >= 900 for width in loaded_images(page)), loaded_images(page)
    screenshot(page, request, "qr-page-with-key-desktop")

    phone_page.goto(keyed)  # Vietnamese by default
    expect(phone_page.get_by_test_id("glance")).to_contain_text("CÒN HIỆU LỰC")
    phone_page.get_by_test_id("document-page").scroll_into_view_if_needed()
    expect(phone_page.get_by_test_id("document-page")).to_have_js_property("complete", True)
    assert all(width > 0 for width in loaded_images(phone_page))
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 360, "no sideways scrolling at 360 px"
    screenshot(phone_page, request, "qr-page-with-key-phone")

    page.goto(f"{base_url}/v/{result.id}?lang=en")  # the bare address: masked summary, no pages
    expect(page.get_by_test_id("glance")).to_contain_text("VALID")
    expect(page.get_by_test_id("citizen")).to_have_text("L** T** H**")
    expect(page.get_by_test_id("document-page")).to_have_count(0)
    expect(page.get_by_test_id("pages-hidden")).to_be_visible()
    screenshot(page, request, "qr-page-without-key-desktop")

    annul(app, result, "Cấp nhầm người nhận")
    phone_page.goto(keyed)
    glance = phone_page.get_by_test_id("glance")
    expect(glance).to_have_attribute("data-status", "annulled")
    expect(glance).to_contain_text("KHÔNG CÒN HIỆU LỰC")
    expect(phone_page.get_by_test_id("annulment-reason")).to_have_text("Cấp nhầm người nhận")
    screenshot(phone_page, request, "qr-page-annulled-phone")


def test_checking_state_then_an_unsigned_pdf_gets_a_verdict_and_the_guide(page, base_url, tmp_path, app, request):
    path = tmp_path / "ban-chup.pdf"
    path.write_bytes(unsigned_pdf())
    page.goto(f"{base_url}/verify?lang=vi")
    # Keep this first submission from leaving the page, so that its "checking" state can be seen.
    page.evaluate("""() => document.querySelector("form[data-testid=verify-form]")
                        .addEventListener("submit", event => event.preventDefault())""")
    page.set_input_files("input[name=document]", str(path))
    page.click("form[data-testid=verify-form] button[type=submit]")
    expect(page.get_by_test_id("checking")).to_contain_text("Đang kiểm tra")
    expect(page.locator("form[data-testid=verify-form] button[type=submit]")).to_be_disabled()
    expect(page.get_by_test_id("verify-form")).to_have_attribute("aria-busy", "true")
    screenshot(page, request, "verify-checking")

    page.goto(f"{base_url}/verify?lang=vi")
    page.set_input_files("input[name=document]", str(path))
    page.click("form[data-testid=verify-form] button[type=submit]")
    page.wait_for_load_state("networkidle")
    verdict = page.get_by_test_id("verdict")
    expect(verdict).to_contain_text("Chưa xác định được")
    expect(verdict).to_contain_text("không có chữ ký số")
    expect(page.get_by_test_id("verify-error")).to_have_count(0)
    expect(page.locator("main")).not_to_contain_text("(no_signature)")
    details = page.get_by_test_id("technical-details")
    expect(details.get_by_text("no_signature")).to_be_hidden()
    details.locator("summary").click()
    expect(details).to_contain_text("Mã lỗi")
    screenshot(page, request, "verify-unsigned-verdict")

    page.get_by_test_id("guide-link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cách kiểm tra văn bản mà không cần trang web này")
    expect(page.get_by_test_id("guide-readers")).to_contain_text("Adobe Acrobat Reader")
    expect(page.get_by_test_id("trusted-roots").locator("li")).not_to_have_count(0)
    screenshot(page, request, "verify-guide")
    services(app).verifier.close()
