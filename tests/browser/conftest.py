"""Browser tests: Debian's Chromium driven by Playwright, headless, against the app served for
real (`live_app`), people logging in through the embedded provider's own login form.
Screenshots go to test-artifacts/screenshots/ (kept by CI as artifacts; see README)."""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, sync_playwright

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
# Without these, Chromium tries the network at start and this machine refuses it, many times over.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 740}


# Package scope, not session: Playwright's sync API keeps an asyncio loop running on the main thread
# while it is open, and every later `asyncio.run` (pyHanko's sync calls among them) would refuse to start.
@pytest.fixture(scope="package")
def browser():
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def app(live_app):
    """Browser tests drive the app served for real."""
    return live_app


@pytest.fixture
def base_url(live_app) -> str:
    return live_app.config["LIVE_URL"]


def _new_page(browser, viewport) -> Page:
    context = browser.new_context(viewport=viewport, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
    context.set_default_timeout(20_000)
    return context.new_page()


@pytest.fixture
def page(browser) -> Page:
    page = _new_page(browser, DESKTOP)
    yield page
    page.context.close()


@pytest.fixture
def phone_page(browser) -> Page:
    page = _new_page(browser, PHONE)
    yield page
    page.context.close()


def screenshot(page: Page, request, name: str) -> Path:
    """Save a full-page screenshot named after the test; returns its path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    test = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    path = SCREENSHOTS / f"{test}__{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def log_in(page: Page, base_url: str, role: str, username: str, next_path: str | None = None) -> None:
    """Log in as a person does: the service's login link, then the embedded provider's form."""
    target = f"{base_url}/auth/login?role={role}" + (f"&next={next_path}" if next_path else "")
    page.goto(target)
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "demo")
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
