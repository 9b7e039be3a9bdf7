"""The certifying official in Chromium: finds the station's copy with the queue's filter, compares the
scan with the fields read out, corrects one, confirms, and signs it with the usual confirmation."""
from __future__ import annotations

from tests.browser.conftest import log_in, screenshot
from tests.copies.conftest import BIRTH_CERTIFICATE, HOLDER, post_copy, register_station, render_page
from wallet_service.copies.models import CertifiedCopy
from wallet_service.models import Result, db

BATCH_TIMEOUT_MS = 240_000


def test_certifier_confirms_the_fields_and_signs_the_copy(page, base_url, app, demo, request):
    station = register_station(app)
    # One page at 150 dpi: the OCR is short, and what it misreads the official corrects.
    posted = post_copy(app.test_client(), station, pages=[render_page(BIRTH_CERTIFICATE, 0.8, dpi=150, fmt="JPEG")])
    assert posted.status_code == 201, posted.json
    copy_id = posted.json["id"]

    log_in(page, base_url, "official", "official1", next_path="/official/")
    page.select_option("#f-kind", "certified_copy")
    page.click("[data-testid=filters] button[type=submit]")
    assert page.locator("tr[data-result-id]").count() == 1
    page.click(f"tr[data-result-id='{copy_id}'] [data-testid=copy-fields]")
    assert page.locator("h2#fields-title").inner_text() == "Đối chiếu dữ liệu bóc tách với bản chính"
    page.fill("#field-holder_name", HOLDER)
    page.fill("#field-birth_date", "15/03/2020")
    page.fill("#field-issuer", "Ủy ban nhân dân phường Hạ Long")
    page.wait_for_load_state("networkidle")
    screenshot(page, request, "copy-fields")
    page.click("[data-testid=confirm]")
    page.wait_for_url(f"{base_url}/official/results/{copy_id}")

    page.click("[data-testid=sign-one]")
    page.click("[data-testid=confirm-sign]")
    page.wait_for_url(f"{base_url}/official/batches/*")
    page.locator("[data-testid=batch-finished]").wait_for(state="visible", timeout=BATCH_TIMEOUT_MS)
    screenshot(page, request, "copy-signed")
    db.session.expire_all()
    assert db.session.get(Result, copy_id).status in ("signed", "delivered")
    record = db.session.get(CertifiedCopy, copy_id)
    assert (record.confirmed["holder_name"], record.confirmed["birth_date"], record.certification_number) == (
        HOLDER, "2020-03-15", 1)
