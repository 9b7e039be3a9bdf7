"""The officials' pages in Debian's Chromium: an official logs in through the embedded
provider, filters the queue, signs five results as one batch, watches the progress reach 100 %,
and opens a result's verification page; failures are retried; annulment is for the `annul` role
only (no control, and a forged request is refused); a request without the CSRF token is refused;
the pages are usable at 360 px. Screenshots in test-artifacts/screenshots/."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.conftest import log_in, screenshot
from tests.conftest import official_principal
from tests.official.factories import DEPT, RESIDENCE, WARD, add_result
from wallet_service.batches import creation, runner
from wallet_service.models import Result, ResultStatus, db
from wallet_service.services import services
from wallet_service.dev.demo import demo_code

CITIZEN3 = "022301007890"
BATCH_TIMEOUT_MS = 240_000
# A signed result may be delivered at once (into the citizen's wallet) by the time we look.
SIGNED = {ResultStatus.SIGNED.value, ResultStatus.DELIVERED.value}


def sign_now(app, username: str, results: list[Result]) -> None:
    """Sign through the service's own batch code (the browser journeys are about other things), on
    the app's job worker: Playwright's event loop owns this thread, and signing runs its own."""
    batch = creation.create_batch(db.session, official_principal(username), [r.id for r in results])
    services(app).jobs.submit(runner.TASK, batch.id)
    services(app).jobs.wait(timeout=300)
    db.session.expire_all()
    assert all(db.session.get(Result, r.id).status in SIGNED for r in results)


def status_of(result_id: str) -> str:
    db.session.expire_all()
    return db.session.get(Result, result_id).status


def rows(page):
    return page.locator("tr[data-result-id]")


def api_post(page, path: str, body: dict, *, with_token: bool = True) -> dict:
    """A POST made by page script, as a forged or hand-made request from the logged-in browser would be."""
    return page.evaluate(
        """async ([path, body, withToken]) => {
            const headers = {"Content-Type": "application/json"};
            if (withToken) headers["X-CSRFToken"] = document.querySelector('meta[name="csrf-token"]').content;
            const answer = await fetch(path, {method: "POST", headers, body: JSON.stringify(body), credentials: "same-origin"});
            return {status: answer.status, body: await answer.json()};
        }""",
        [path, body, with_token],
    )


def test_official_filters_signs_a_batch_of_five_and_sees_them_valid(page, base_url, app, demo_results, request, tmp_path):
    for n in range(1, 5):
        add_result(app, n, citizen_id=CITIZEN3)  # citizen3 now has 2 + 4 results waiting
    log_in(page, base_url, "official", "official1")
    assert page.url == base_url + "/official/"
    assert page.locator("h1").inner_text() == "Hồ sơ chờ ký"
    assert rows(page).count() == 10
    screenshot(page, request, "queue-desktop")

    page.select_option("#f-procedure", RESIDENCE[0])
    page.click("[data-testid=filters] button[type=submit]")
    assert rows(page).count() == 4
    page.fill("#f-dossier_code", "251121-0003")
    page.click("[data-testid=filters] button[type=submit]")
    assert [page.locator("tr[data-result-id]").get_attribute("data-dossier")] == [f"{WARD}-251121-0003"]
    page.click("text=Xoá bộ lọc")
    page.fill("#f-citizen_id", CITIZEN3)
    page.click("[data-testid=filters] button[type=submit]")
    assert rows(page).count() == 6
    screenshot(page, request, "queue-filtered")

    chosen = [rows(page).nth(i).get_attribute("data-result-id") for i in range(5)]
    for result_id in chosen:
        page.check(f"tr[data-result-id='{result_id}'] input[data-select]")
    assert page.locator("[data-selected-count]").inner_text() == "5"
    page.click("[data-testid=sign-selected]")
    assert page.locator("[data-testid=confirm-count]").inner_text() == "Bạn sắp ký số 5 văn bản."
    assert page.locator("[data-testid=confirm-list] li").count() == 5
    assert page.locator("input[type=password]").count() == 0  # development keys need no PIN
    screenshot(page, request, "confirm")

    page.click("[data-testid=confirm-sign]")
    page.wait_for_url(f"{base_url}/official/batches/*")
    page.locator("[data-testid=batch-finished]").wait_for(state="visible", timeout=BATCH_TIMEOUT_MS)
    progress = page.locator("[data-testid=progress-text]").inner_text()
    assert "100 %" in progress and "đã ký 5, lỗi 0, trên tổng số 5" in progress
    assert page.locator("tr[data-item-status=done]").count() == 5
    screenshot(page, request, "batch-finished")
    assert all(status_of(result_id) in SIGNED for result_id in chosen)

    # The queue no longer has them; the history does, with verification links.
    page.goto(base_url + "/official/")
    assert rows(page).count() == 5
    page.goto(base_url + "/official/history")
    assert sorted(rows(page).nth(i).get_attribute("data-result-id") for i in range(5)) == sorted(chosen)
    screenshot(page, request, "history")

    first = chosen[0]
    page.goto(f"{base_url}/official/results/{first}")
    timeline = page.locator("[data-testid=timeline]").inner_text()
    assert "Ký bởi Nguyễn Văn An" in timeline
    assert "Cơ quan ký số: Trung tâm Phục vụ hành chính công phường Hạ Long" in timeline
    screenshot(page, request, "timeline-signed")

    # The verification page behind the QR code, then the signed PDF checked against it.
    page.click("[data-testid=verification-link]")
    assert page.url == f"{base_url}/v/{first}"
    assert page.locator("[data-testid=status]").get_attribute("class") == "badge ok"
    signed_pdf = tmp_path / "signed.pdf"
    signed_pdf.write_bytes(page.request.get(f"{base_url}/api/v1/results/{first}/document").body())
    page.set_input_files("[data-testid=verify-form] input[type=file]", str(signed_pdf))
    page.click("[data-testid=verify-form] button[type=submit]")
    assert page.locator("[data-testid=comparison]").get_attribute("data-comparison") == "same"
    assert page.locator("[data-testid=verdict]").get_attribute("data-indication") == "TOTAL-PASSED"
    screenshot(page, request, "verification-valid")


def test_a_failed_document_shows_why_and_is_signed_again(page, base_url, app, demo, request):
    good = add_result(app, 1, day="251122")
    broken = add_result(app, 2, day="251122")
    # A damaged copy in the document store: the PDF cannot be opened, so its signing fails.
    stored = Path(services(app).settings.documents_dir) / broken.original_sha256[:2] / broken.original_sha256[2:]
    original = stored.read_bytes()
    stored.write_bytes(b"%PDF-1.7\nnot really a PDF\n")

    log_in(page, base_url, "official", "official1")
    page.goto(base_url + "/official/?dossier_code=251122")
    page.check("[data-select-all]")
    assert page.locator("[data-selected-count]").inner_text() == "2"
    page.click("[data-testid=sign-selected]")
    page.click("[data-testid=confirm-sign]")
    page.locator("[data-testid=batch-finished]").wait_for(state="visible", timeout=BATCH_TIMEOUT_MS)
    assert "đã ký 1, lỗi 1" in page.locator("[data-testid=progress-text]").inner_text()
    failed_row = page.locator(f"tr[data-item='{broken.id}']")
    assert failed_row.get_attribute("data-item-status") == "failed"
    assert "invalid_document" in failed_row.locator("[data-item-error]").inner_text()  # the reason is shown
    assert not failed_row.locator("[data-when-done]").is_visible()  # no verification page for it
    assert page.locator(f"tr[data-item='{good.id}'] [data-when-done]").is_visible()
    assert page.locator("[data-testid=retry]").is_visible()
    screenshot(page, request, "batch-with-failure")

    page.goto(base_url + "/official/?dossier_code=251122")
    assert rows(page).count() == 1
    assert page.locator("[data-testid=failure-reason]").inner_text().strip()
    assert status_of(good.id) in SIGNED and status_of(broken.id) == ResultStatus.FAILED.value

    stored.write_bytes(original)  # repaired; sign it again from the batch page
    page.go_back()
    first_batch = page.url
    page.click("[data-testid=retry]")
    page.wait_for_url(lambda url: "/official/batches/" in url and url != first_batch)
    page.locator("[data-testid=batch-finished]").wait_for(state="visible", timeout=BATCH_TIMEOUT_MS)
    assert "100 %" in page.locator("[data-testid=progress-text]").inner_text()
    assert page.locator("tr[data-item]").count() == 1
    assert status_of(broken.id) in SIGNED


def test_official_with_the_annul_role_annuls_with_a_reason(page, base_url, app, demo_results, request):
    result = demo_results[demo_code(WARD, 2)]
    sign_now(app, "official1", [result])
    log_in(page, base_url, "official", "official1")
    page.goto(base_url + "/official/history")
    page.click(f"tr[data-result-id='{result.id}'] [data-testid=annul-link]")
    assert page.url.endswith(f"/official/results/{result.id}#annul")
    page.fill("#annul-reason", "Cấp nhầm: sai ngày sinh của trẻ")
    page.check("input[name=confirm]")
    screenshot(page, request, "annul-form")
    page.click("[data-testid=annul]")
    page.wait_for_load_state("networkidle")
    assert page.locator(".status-line [data-status]").get_attribute("data-status") == "annulled"
    timeline = page.locator("[data-testid=timeline]").inner_text()
    assert "Lý do: Cấp nhầm: sai ngày sinh của trẻ" in timeline and "bởi Nguyễn Văn An" in timeline
    assert page.locator("[data-testid=annul]").count() == 0  # nothing left to annul
    screenshot(page, request, "annulled")
    assert status_of(result.id) == ResultStatus.ANNULLED.value


def test_official_without_the_annul_role_cannot_annul(page, base_url, app, demo_results, request):
    result = demo_results[demo_code(DEPT, 1)]
    sign_now(app, "official2", [result])
    log_in(page, base_url, "official", "official2")
    page.goto(base_url + "/official/history")
    assert rows(page).count() == 1
    assert page.locator("[data-testid=annul-link]").count() == 0
    page.goto(f"{base_url}/official/results/{result.id}")
    assert page.locator("#annul").count() == 0 and page.locator("[data-testid=annul]").count() == 0
    screenshot(page, request, "no-annul-control")

    forged = api_post(page, f"/api/v1/results/{result.id}/revoke", {"reason": "Thu hồi trái phép"})
    assert forged["status"] == 403 and forged["body"]["error"] == "not_allowed_to_annul"
    assert status_of(result.id) in SIGNED


def test_a_post_without_the_csrf_token_is_refused(page, base_url, app, demo_results):
    result = demo_results[demo_code(WARD, 3)]
    log_in(page, base_url, "official", "official1")
    refused = api_post(page, "/api/v1/signing-batches", {"result_ids": [result.id]}, with_token=False)
    assert refused["status"] == 400 and refused["body"]["error"] == "csrf_failed"
    refused = api_post(page, f"/api/v1/results/{result.id}/revoke", {"reason": "Không có mã CSRF"}, with_token=False)
    assert refused["status"] == 400 and refused["body"]["error"] == "csrf_failed"
    assert status_of(result.id) == ResultStatus.PENDING_SIGNATURE.value


def loaded_image_width(page, selector: str) -> int:
    """The natural width of the image once the browser has it (0 if it failed to load)."""
    page.wait_for_function("s => { const i = document.querySelector(s); return i && i.complete && i.src; }", arg=selector)
    return page.locator(selector).evaluate("img => img.naturalWidth")


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("language", ["vi", "en"])
def test_pages_are_usable_on_a_phone(phone_page, base_url, app, demo_results, request, language):
    page = phone_page
    signed = demo_results[demo_code(WARD, 6)]
    sign_now(app, "official1", [signed])
    log_in(page, base_url, "official", "official1")
    page.goto(f"{base_url}/official/?lang={language}")
    assert fits_the_screen(page)
    screenshot(page, request, "queue-phone")
    page.locator("tr[data-result-id] input[data-select]").first.check()
    assert page.locator("[data-testid=sign-selected]").is_enabled()
    page.locator("a[data-preview]").first.click()
    assert page.locator("dialog[data-preview-dialog]").is_visible()
    assert loaded_image_width(page, "dialog[data-preview-dialog] img") == 900
    screenshot(page, request, "preview-phone")
    page.locator("dialog[data-preview-dialog] [data-close]").click()
    page.click("[data-testid=sign-selected]")
    # The click submits a form: wait for the confirmation page before measuring it.
    page.locator("[data-testid=confirm-count]").wait_for()
    assert fits_the_screen(page)
    screenshot(page, request, "confirm-phone")
    page.goto(f"{base_url}/official/history")
    assert fits_the_screen(page)
    screenshot(page, request, "history-phone")
    page.goto(f"{base_url}/official/results/{signed.id}")
    assert fits_the_screen(page)
    assert loaded_image_width(page, "[data-testid=preview-image]") == 900
    screenshot(page, request, "result-phone")
