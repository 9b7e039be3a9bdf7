"""A citizen with many results in Chromium: search, narrow by year, go to page 2 and back, open
the print view of a signed result (QR, dd/mm/yyyy dates) and print it to PDF."""
from __future__ import annotations

import re
import subprocess

from playwright.sync_api import expect

from tests.browser.conftest import log_in, screenshot
from tests.wallet.factories import CITIZEN1, add_many_results
from wallet_service.models import Result, ResultStatus, db, utcnow


def test_citizen_searches_pages_and_prints(page, base_url, live_app, demo_results, request, tmp_path):
    made = add_many_results(demo_results, 30)
    signed = db.session.get(Result, made["2025"][-1])  # stands in for a signed one: the QR is what matters here
    signed.move_to(ResultStatus.SIGNING)
    signed.signed_sha256, signed.signed_at = signed.original_sha256, utcnow()
    signed.move_to(ResultStatus.SIGNED)
    db.session.commit()

    log_in(page, base_url, "citizen", "citizen1")
    own = [r for r in db.session.query(Result) if r.citizen.personal_id == CITIZEN1]
    residence = [r.id for r in own if "cư trú" in f"{r.title} {r.procedure_name}".lower()]
    total = len(own)
    assert 20 < len(residence) <= 40 and 20 < total <= 40  # two pages each
    expect(page.locator("[data-testid=result-count]")).to_have_text(f"Số kết quả: {total} · trang 1/2")
    expect(page.locator("[data-testid=result]")).to_have_count(20)

    page.fill("#q", "cư trú")
    page.click("[data-testid=search-button]")
    expect(page.locator("[data-testid=result-count]")).to_have_text(f"Số kết quả: {len(residence)} · trang 1/2")
    screenshot(page, request, "search-page-1")
    page.click("[data-testid=next-page]")
    expect(page.locator("[data-testid=result]")).to_have_count(len(residence) - 20)
    assert re.search(r"[?&]page=2\b", page.url) and "q=c" in page.url
    expect(page.locator("#q")).to_have_value("cư trú")
    shown = set(page.locator("[data-testid=result]").evaluate_all("els => els.map(e => e.dataset.resultId)"))
    assert shown <= set(residence)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "the page scrolls sideways"
    screenshot(page, request, "search-page-2")
    page.click("[data-testid=prev-page]")
    expect(page.locator("[data-testid=result]")).to_have_count(20)

    page.select_option("#year", "2024")
    page.click("[data-testid=search-button]")
    in_2024 = [i for i in made["2024"] if i in residence]  # the demo's own were received this year
    expect(page.locator("[data-testid=result-count]")).to_have_text(f"Số kết quả: {len(in_2024)}")
    expect(page.locator("[data-testid=pagination]")).to_have_count(0)
    for date in page.locator(".wallet-facts dd").all_inner_texts():
        if re.fullmatch(r"[\d/ :]+", date):
            assert re.fullmatch(r"\d\d/\d\d/2024 \d\d:\d\d", date), date

    page.goto(f"{base_url}/wallet/results/{signed.id}")
    page.click("[data-testid=print-link]")
    expect(page.locator("[data-testid=verification-qr] svg")).to_be_visible()
    expect(page.locator("[data-testid=dossier]")).to_have_text(signed.dossier_code)
    page.emulate_media(media="print")
    expect(page.locator("header.site")).to_be_hidden()
    expect(page.locator("[data-testid=print-button]")).to_be_hidden()
    screenshot(page, request, "print-view")
    pdf = tmp_path / "print.pdf"
    page.pdf(path=str(pdf), format="A4")
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, timeout=60).stdout
    assert signed.dossier_code in text and signed.title in text and "Đăng xuất" not in text
