"""A refused login ends on a page of the site that says, in the person's language, why and what to
do next; the provider's one-time code does not stay in the address bar, and machine codes and
claim names stay folded under technical details."""
from __future__ import annotations

import pytest

from tests.page_text import main_text
from wallet_service.services import services

from .browser import log_in
from .test_id_token_checks import external_config


def base(app) -> str:
    return services(app).settings.public_base_url


def assert_refusal_page(page, app, status: int, heading: str, next_step: str, code: str) -> None:
    assert page.url == base(app) + "/auth/refused" and "code=" not in page.url
    assert page.status_code == status and "text/html" in page.headers["Content-Type"]
    text = main_text(page.text)
    assert heading in text and next_step in text, text
    assert code not in text and "_" not in text and "claim" not in text
    assert f'data-testid="error-code">{code}<' in page.text


@pytest.mark.parametrize("lang, heading, next_step", [
    ("vi", "Tài khoản định danh điện tử của bạn chưa đạt mức độ 2",
     "Nâng cấp tài khoản lên mức độ 2"),
    ("en", "Your electronic identification account is not level 2", "Upgrade your account to level 2"),
])
def test_level1_account(service, browser, lang, heading, next_step):
    browser.get(base(service) + f"/?lang={lang}")  # the language is remembered, as for a person
    page = log_in(browser, base(service), "citizen", "citizen4")
    assert_refusal_page(page, service, 403, heading, next_step, "account_level_too_low")
    assert 'href="/auth/login?role=citizen"' in page.text  # log in again, once upgraded
    assert browser.get(base(service) + "/api/v1/me").status_code == 401


@pytest.mark.parametrize("lang, heading, next_step", [
    ("vi", "Chưa xác nhận được danh tính của bạn", "Kiểm tra trong ứng dụng VNeID"),
    ("en", "Your identity could not be confirmed", "Check in the VNeID app"),
])
def test_missing_personal_id(make_service, provider, scenario, browser, lang, heading, next_step):
    app = make_service(**external_config(provider))
    del scenario.claims["personal_id"]
    browser.get(base(app) + f"/?lang={lang}")
    page = browser.get(base(app) + "/auth/login", params={"role": "citizen"})
    assert_refusal_page(page, app, 403, heading, next_step, "personal_id_missing")


@pytest.mark.parametrize("lang, heading, next_step", [
    ("vi", "Tài khoản của bạn chưa được đăng ký làm cán bộ tại đây", "Đề nghị người quản trị của cơ quan"),
    ("en", "Your account is not registered for officials here", "Ask your agency's administrator"),
])
def test_account_without_an_officials_role_here(make_service, provider, scenario, browser, lang, heading, next_step):
    app = make_service(**external_config(provider))
    scenario.claims = {"sub": "stranger", "name": "Người Lạ", "agency_code": "000.00.99.H40"}
    browser.get(base(app) + f"/?lang={lang}")
    page = browser.get(base(app) + "/auth/login", params={"role": "official"})
    assert_refusal_page(page, app, 403, heading, next_step, "official_not_mapped")
    assert "000.00.99.H40" in page.text  # the provider's own words, for support, under technical details


@pytest.mark.parametrize("lang, heading, next_step", [
    ("vi", "Chưa hoàn tất được việc đăng nhập", "Hãy thử đăng nhập lại"),
    ("en", "The login could not be completed", "Try to log in again"),
])
def test_provider_error(make_service, provider, scenario, browser, lang, heading, next_step):
    app = make_service(**external_config(provider))
    scenario.token_failure = 500
    browser.get(base(app) + f"/?lang={lang}")
    page = browser.get(base(app) + "/auth/login", params={"role": "citizen"})
    assert_refusal_page(page, app, 502, heading, next_step, "provider_unavailable")


def test_refusals_stay_json_for_api_callers_and_the_page_needs_a_refusal(service, browser):
    answer = browser.get(base(service) + "/auth/callback", params={"state": "forged", "code": "x"},
                         headers={"Accept": "application/json"})
    assert (answer.status_code, answer.json()["error"]) == (400, "invalid_state")
    fresh = browser.get(base(service) + "/auth/refused")  # nothing refused in this browser: home
    assert fresh.url == base(service) + "/"
    page = browser.get(base(service) + "/auth/callback", params={"state": "forged", "code": "x"})
    assert_refusal_page(page, service, 400, "Phiên đăng nhập đã hết hạn", "Đăng nhập lại từ đầu", "invalid_state")
