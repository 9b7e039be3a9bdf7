"""The clerk's page that asks a citizen's wallet (/verify/wallet) in Chromium against the app served
for real: the clerk chooses, the QR code appears, a wallet answers (made in Python as a wallet makes
it; the npm holder is in tests/presentations/), and the waiting page turns by itself into the report,
at desktop size and at 360 px. Screenshots in test-artifacts/screenshots/."""
from __future__ import annotations

import base64
from urllib.parse import parse_qs, urlparse

import jwt
from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.issuer.conftest import CITIZEN1, make_signed_results, result_documents  # noqa: F401
from tests.presentations.conftest import issue_credential, present
from wallet_service.dev import demo as demo_data
from wallet_service.models import db
from wallet_service.services import services


def _answer_as_a_wallet(app, link: str, credential: dict) -> int:
    path = urlparse(parse_qs(urlparse(link).query)["request_uri"][0]).path
    request_object = app.test_client().get(path).get_data(as_text=True)
    x5c = jwt.get_unverified_header(request_object)["x5c"]
    from cryptography import x509

    leaf = x509.load_der_x509_certificate(base64.b64decode(x5c[0]))
    claims = jwt.decode(request_object, leaf.public_key(), algorithms=["ES256"], audience="https://self-issued.me/v2")
    vp_token = '{"result": ["%s"]}' % present(credential, aud=claims["client_id"], nonce=claims["nonce"])
    return app.test_client().post("/presentations/response", data={"state": claims["state"], "vp_token": vp_token}).status_code


def test_clerk_asks_shows_the_qr_and_the_page_turns_into_the_report(app, page, phone_page, base_url, result_documents, request):  # noqa: F811
    demo_data.load_people(db.session, services(app).settings.public_base_url)
    result = make_signed_results(app, result_documents)[CITIZEN1]
    credential = issue_credential(app, result)

    page.goto(f"{base_url}/verify/wallet")
    page.select_option("[data-testid=procedure]", result.procedure_code)
    page.check("[data-testid=claim-full_name]")
    screenshot(page, request, "ask")
    page.click("form[data-testid=ask-form] button[type=submit]")
    expect(page.get_by_test_id("qr").locator("svg")).to_be_visible()
    expect(page.get_by_test_id("waiting-note")).to_contain_text("Đang chờ ví trả lời")
    screenshot(page, request, "waiting")
    link = page.get_by_test_id("wallet-link").get_attribute("href")
    assert link.startswith("openid4vp://?client_id=x509_san_dns")

    assert _answer_as_a_wallet(app, link, credential) == 200
    verdict = page.get_by_test_id("verdict")
    expect(verdict).to_have_attribute("data-status", "answered", timeout=10_000)  # the page polled and reloaded
    expect(verdict).to_contain_text("Hợp lệ")
    expect(page.get_by_test_id("claim-full_name")).to_have_text("Lê Thị Hoa")
    expect(page.get_by_test_id("claim-dossier_code")).to_have_text(result.dossier_code)
    expect(page.get_by_test_id("registry-message")).to_contain_text("chưa bị thu hồi")
    screenshot(page, request, "report-desktop")

    phone_page.goto(f"{base_url}/verify/wallet")
    phone_page.click("form[data-testid=ask-form] button[type=submit]")
    expect(phone_page.get_by_test_id("qr").locator("svg")).to_be_visible()
    screenshot(phone_page, request, "waiting-phone")
