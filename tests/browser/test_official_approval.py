"""An official approves their signing batch in Chromium, both ways the law accepts as their own act:
with the PIN and a one-time code of their remote-signing credential (the embedded CSC service), and
with their USB token (SoftHSM2) through `wallet-service agent` running beside the browser. A wrong
PIN is explained and leaves every result waiting; the approved batch is signed by the official's own
key, then sealed."""
from __future__ import annotations

from pathlib import Path

import pyotp
import pytest

from tests.agent.test_agent import listening_url, start, stop
from tests.browser.conftest import log_in, screenshot
from tests.service.test_batch_agent import serve_with_agent_keys
from tests.service.test_signing_batches import pdfsig, ward_results
from tests.signing.key_fixtures import softhsm_token_for
from wallet_service.dev import csc
from wallet_service.models import Result, db

BATCH_TIMEOUT_MS = 240_000


def select_and_confirm(page, base_url: str, ids: list[str]) -> None:
    page.goto(f"{base_url}/official/sign?" + "&".join(f"result_id={i}" for i in ids))
    assert "chưa văn bản nào được ký trước đó" in page.locator("[data-testid=approval-ahead]").inner_text()
    page.click("[data-testid=confirm-sign]")
    page.locator("[data-testid=approval]").wait_for()


def statuses(ids: list[str]) -> set[str]:
    db.session.expire_all()
    return {db.session.get(Result, i).status for i in ids}


def signed_by_official(page, base_url: str, result_id: str, tmp_path: Path) -> str:
    answer = page.request.get(f"{base_url}/api/v1/results/{result_id}/document")
    path = tmp_path / f"{result_id}.pdf"
    path.write_bytes(answer.body())
    return pdfsig(path)


class TestRemoteSigning:
    @pytest.fixture
    def app(self, remote_signing_app):
        return remote_signing_app

    @pytest.fixture
    def base_url(self, app) -> str:
        return app.config["LIVE_URL"]

    def test_pin_and_one_time_code_approve_the_batch(self, page, base_url, app, demo_results, request, tmp_path):
        totp = pyotp.TOTP(csc.load_secrets(Path(app.instance_path)).otp_secrets["official1"])
        ids = ward_results(demo_results, 3)
        log_in(page, base_url, "official", "official1")
        select_and_confirm(page, base_url, ids)
        page.locator("[data-testid=pin]").wait_for()  # shown once the documents are prepared
        assert "Phê duyệt và ký 3 văn bản" in page.locator("[data-testid=approve]").inner_text()
        assert "Hãy phê duyệt trước" in page.locator("[data-testid=deadline]").inner_text()
        assert "wallet-service dev otp official1" in page.locator("[data-testid=demo-codes]").inner_text()
        screenshot(page, request, "approval-codes")

        page.fill("[data-testid=pin]", "707070")
        page.fill("[data-testid=otp]", totp.now())
        page.click("[data-testid=approve]")
        error = page.locator("[data-testid=approval-error]")
        error.wait_for()
        assert "Mã PIN hoặc mã xác thực một lần không đúng. Còn 4 lần thử." in error.inner_text()
        assert page.locator("[data-testid=pin]").input_value() == ""  # the page keeps no PIN
        assert statuses(ids) == {"pending_signature"}
        screenshot(page, request, "approval-refused")

        page.fill("[data-testid=pin]", csc.DEMO_PIN)
        page.fill("[data-testid=otp]", totp.now())
        page.click("[data-testid=approve]")
        page.locator("[data-testid=batch-finished]").wait_for(timeout=BATCH_TIMEOUT_MS)
        assert page.locator("[data-testid=approval]").is_hidden()
        assert page.locator('[data-item-status="done"]').count() == 3
        report = signed_by_official(page, base_url, ids[0], tmp_path)
        assert report.count("Signature Validation: Signature is Valid.") == 2, report
        assert "Nguyễn Văn An" in report
        screenshot(page, request, "approval-finished")


class TestTokenAgent:
    @pytest.fixture(scope="class")
    def hsm(self, trusted_pki, tmp_path_factory):
        with softhsm_token_for(trusted_pki, tmp_path_factory.mktemp("approval-softhsm")) as token:
            yield token

    @pytest.fixture
    def app(self, make_app, live_server, trusted_pki, tmp_path):
        yield from serve_with_agent_keys(make_app, live_server, trusted_pki, tmp_path)

    @pytest.fixture
    def base_url(self, app) -> str:
        return app.config["LIVE_URL"]

    @pytest.fixture
    def agent(self, hsm, base_url):
        """The official's agent, answering this service's origin only."""
        proc = start(hsm, hsm["pin"] + "\n", origin=base_url)
        yield listening_url(proc)
        stop(proc)

    def test_the_usb_token_signs_through_the_agent(self, page, base_url, app, demo_results, agent, request, tmp_path):
        ids = ward_results(demo_results, 2)
        log_in(page, base_url, "official", "official1")
        select_and_confirm(page, base_url, ids)
        page.locator("[data-testid=agent-url]").wait_for()
        assert page.locator("[data-testid=pin]").count() == 0  # the PIN goes into the agent, never the page
        page.fill("[data-testid=agent-url]", "http://127.0.0.1:9")  # nothing listens there
        page.click("[data-testid=approve]")
        error = page.locator("[data-testid=approval-error]")
        error.wait_for()
        assert "Chương trình ký số không phản hồi tại http://127.0.0.1:9" in error.inner_text()
        screenshot(page, request, "agent-unreachable")

        page.fill("[data-testid=agent-url]", agent)
        page.click("[data-testid=approve]")
        page.locator("[data-testid=batch-finished]").wait_for(timeout=BATCH_TIMEOUT_MS)
        assert page.locator('[data-item-status="done"]').count() == 2
        report = signed_by_official(page, base_url, ids[1], tmp_path)
        assert report.count("Signature Validation: Signature is Valid.") == 2, report
        assert "Nguyễn Văn An" in report
        screenshot(page, request, "agent-finished")
