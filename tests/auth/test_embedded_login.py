"""Login against the embedded development provider (Authlib server), end to end over HTTP."""
from __future__ import annotations

import time
from pathlib import Path

from .browser import forms, log_in, submit
from wallet_service.services import services



def base(app) -> str:
    return services(app).settings.public_base_url


def test_citizen_lands_on_wallet_with_identity(service, browser):
    page = log_in(browser, base(service), "citizen", "citizen1")
    assert page.status_code == 200
    assert page.url == base(service) + "/wallet/"
    assert "Lê Thị Hoa" in page.text and "022186001234" in page.text
    me = browser.get(base(service) + "/api/v1/me").json()
    assert me == {"role": "citizen", "name": "Lê Thị Hoa", "personal_id": "022186001234"}


def test_officials_land_on_official_page_with_agency_and_distinct_roles(service, browser):
    page = log_in(browser, base(service), "official", "official1")
    assert page.url == base(service) + "/official/"
    me = browser.get(base(service) + "/api/v1/me").json()
    assert me == {
        "role": "official", "name": "Nguyễn Văn An", "roles": ["annul", "leader", "signer"],
        "agency": {"code": "000.00.15.H40", "name": "Trung tâm Phục vụ hành chính công phường Hạ Long"},
    }
    browser.cookies.clear()
    log_in(browser, base(service), "official", "official2")
    me = browser.get(base(service) + "/api/v1/me").json()
    assert me["roles"] == ["signer"] and me["agency"]["code"] == "000.00.04.H40"


def _session_data(app, browser) -> dict:
    """What the server keeps for the browser's session cookie (read as the app itself reads it)."""
    client = app.test_client()
    client.set_cookie(app.config["SESSION_COOKIE_NAME"], browser.cookies.get(app.config["SESSION_COOKIE_NAME"]))
    with client.session_transaction() as stored:
        return dict(stored)


def _set_session(app, browser, data: dict) -> None:
    """Store `data` as the browser's session on the server (under a new id when the server has
    forgotten the old one), and give the browser its cookie."""
    name = app.config["SESSION_COOKIE_NAME"]
    client = app.test_client()
    if browser.cookies.get(name):
        client.set_cookie(name, browser.cookies.get(name))
    with client.session_transaction() as stored:
        stored.clear()
        stored.update(data)
    browser.cookies.clear()
    browser.cookies.set(name, client.get_cookie(name).value, domain="127.0.0.1", path="/")


def test_level1_citizen_is_refused_with_reason(service, browser):
    page = log_in(browser, base(service), "citizen", "citizen4")
    assert page.status_code == 403
    assert "account_level_too_low" in page.text and "level-2" in page.text
    assert browser.get(base(service) + "/api/v1/me").status_code == 401


def test_wrong_password_stays_on_provider_login_page(service, browser):
    page = log_in(browser, base(service), "citizen", "citizen1", password="wrong")
    assert page.status_code == 401
    assert "/dev-oidc/authorize" in page.url and "Sai tên đăng nhập hoặc mật khẩu" in page.text
    assert browser.get(base(service) + "/api/v1/me").status_code == 401


def test_next_target_is_kept_on_site_only(service, browser):
    page = log_in(browser, base(service), "citizen", "citizen1", next_path="/wallet/?tab=results")
    assert page.url == base(service) + "/wallet/?tab=results"
    for hostile in ("//evil.example/", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"):
        browser.cookies.clear()
        page = log_in(browser, base(service), "citizen", "citizen1", next_path=hostile)
        assert page.url == base(service) + "/wallet/", hostile


def test_login_replaces_the_previous_session_and_cookie_flags(service, browser):
    browser.get(base(service) + "/auth/login", params={"role": "official"})  # an abandoned login
    before = _session_data(service, browser)
    assert before["oidc_pending"] and before["csrf_token"]
    page = log_in(browser, base(service), "citizen", "citizen1")
    assert page.url.endswith("/wallet/")
    data = _session_data(service, browser)
    # Nothing of the old session survives: no pending logins, a new CSRF secret.
    assert "oidc_pending" not in data and data["csrf_token"] != before["csrf_token"]
    assert set(data) <= {"principal", "auth", "csrf_token", "_permanent"}
    cookie = next(c for c in browser.cookies if c.name == service.config["SESSION_COOKIE_NAME"])
    assert cookie.has_nonstandard_attr("HttpOnly") and not cookie.secure  # Secure only in production
    raw = page.history[-1].headers.get("Set-Cookie", "") if page.history else ""
    assert "SameSite=Lax" in raw and "HttpOnly" in raw
    # Logging in as someone else in the same browser gives that person's identity only.
    log_in(browser, base(service), "citizen", "citizen2")
    assert browser.get(base(service) + "/api/v1/me").json()["personal_id"] == "022090004567"


def test_idle_and_absolute_timeouts_end_the_session(make_service, browser):
    app = make_service(SESSION_IDLE_TIMEOUT=600, SESSION_ABSOLUTE_TIMEOUT=3600)
    log_in(browser, base(app), "citizen", "citizen1")
    assert browser.get(base(app) + "/api/v1/me").status_code == 200
    data = _session_data(app, browser)
    now = data["auth"]["seen_at"]

    _set_session(app, browser, {**data, "auth": {**data["auth"], "seen_at": now - 601}})
    assert browser.get(base(app) + "/api/v1/me").status_code == 401

    _set_session(app, browser, {**data, "auth": {**data["auth"], "login_at": now - 3601, "seen_at": now}})
    assert browser.get(base(app) + "/api/v1/me").status_code == 401

    _set_session(app, browser, {**data, "auth": {**data["auth"], "seen_at": now - 300}})
    assert browser.get(base(app) + "/api/v1/me").status_code == 200  # active within both limits
    assert _session_data(app, browser)["auth"]["seen_at"] >= now  # the activity was noted


def test_an_active_session_cookie_is_not_reissued_on_every_request(make_service, browser):
    """seen_at moves at most once a minute; in between, answers carry no Set-Cookie."""
    app = make_service(SESSION_IDLE_TIMEOUT=600, SESSION_ABSOLUTE_TIMEOUT=3600)
    log_in(browser, base(app), "citizen", "citizen1")
    data = _session_data(app, browser)
    _set_session(app, browser, {**data, "auth": {**data["auth"], "seen_at": int(time.time()) - 10}})
    answer = browser.get(base(app) + "/api/v1/me")
    assert answer.status_code == 200 and "Set-Cookie" not in answer.headers
    _set_session(app, browser, {**data, "auth": {**data["auth"], "seen_at": int(time.time()) - 61}})
    answer = browser.get(base(app) + "/api/v1/me")
    assert answer.status_code == 200 and "Set-Cookie" in answer.headers


def test_replayed_callback_state_is_refused(service, browser):
    page = browser.get(base(service) + "/auth/login", params={"role": "citizen"})
    login_form = forms(page.text)[0]
    from urllib.parse import urljoin

    answer = browser.post(urljoin(page.url, login_form.action),
                          data={**login_form.fields, "username": "citizen1", "password": "demo"}, allow_redirects=False)
    callback = answer.headers["Location"]
    assert callback.startswith(base(service) + "/auth/callback?")
    first = browser.get(callback)
    assert first.url.endswith("/wallet/")
    replay = browser.get(callback, headers={"Accept": "application/json"})
    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_state"


def test_callback_without_a_started_login_is_refused(service, browser):
    page = browser.get(base(service) + "/auth/callback", params={"state": "forged", "code": "x"})
    assert page.status_code == 400 and "invalid_state" in page.text


def test_unknown_role_is_a_clear_400(service, browser):
    answer = browser.get(base(service) + "/auth/login", params={"role": "admin"}, headers={"Accept": "application/json"})
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_role"


def test_logout_needs_csrf_and_ends_both_sessions(service, browser):
    page = log_in(browser, base(service), "official", "official1")
    refused = browser.post(base(service) + "/auth/logout", headers={"Accept": "application/json"})
    assert refused.status_code == 400 and refused.json()["error"] == "csrf_failed"
    assert browser.get(base(service) + "/api/v1/me").status_code == 200
    out = submit(browser, page)  # the landing page's logout button
    assert [r.headers["Location"].split("?")[0] for r in out.history][-1] == base(service) + "/"
    assert any("/dev-oidc/logout?" in r.headers["Location"] and "id_token_hint=" in r.headers["Location"] for r in out.history)
    assert out.url == base(service) + "/"
    assert browser.get(base(service) + "/api/v1/me").status_code == 401


def test_landing_pages_send_strangers_to_login(service, browser):
    answer = browser.get(base(service) + "/official/", allow_redirects=False)
    assert answer.status_code == 302 and "/auth/login?role=official" in answer.headers["Location"]


def test_citizen_cannot_read_another_citizens_results(service, browser):
    from wallet_service.models import Citizen, Result, db

    with service.app_context():
        rows = db.session.execute(db.select(Result.id, Citizen.personal_id).join(Citizen)).all()
        db.session.remove()
    own = [rid for rid, pid in rows if pid == "022186001234"]
    others = [rid for rid, pid in rows if pid != "022186001234"]
    assert own and others
    log_in(browser, base(service), "citizen", "citizen1")
    assert browser.get(f"{base(service)}/api/v1/results/{own[0]}").status_code == 200
    # The demo's results wait for signature: their own, but not a document to download yet.
    assert browser.get(f"{base(service)}/api/v1/results/{own[0]}/document").status_code == 403
    for rid in others:
        assert browser.get(f"{base(service)}/api/v1/results/{rid}").status_code == 404
        assert browser.get(f"{base(service)}/api/v1/results/{rid}/document").status_code == 404


def test_citizen_record_follows_the_provider(service, browser):
    from wallet_service.models import Citizen, db

    with service.app_context():
        citizen = db.session.scalar(db.select(Citizen).where(Citizen.personal_id == "022301007890"))
        citizen.full_name = "Tên cũ"
        db.session.commit()
        db.session.remove()
    log_in(browser, base(service), "citizen", "citizen3")
    with service.app_context():
        citizen = db.session.scalar(db.select(Citizen).where(Citizen.personal_id == "022301007890"))
        assert citizen.full_name == "Vũ Thị Lan" and citizen.birth_date.isoformat() == "2001-01-20"
        db.session.remove()


def test_readiness_reports_the_identity_providers(service, browser):
    checks = browser.get(base(service) + "/readyz").json()["checks"]
    assert checks["identity_providers"] == "ok"
    Path(service.instance_path, "dev-oidc", "signing-key.jwk.json").unlink()
    checks = browser.get(base(service) + "/readyz").json()["checks"]
    assert "wallet-service init" in checks["identity_providers"]


def _refused(answer) -> bool:
    """An authorization request refused: sent back to the client with an error, or an error page."""
    location = answer.headers.get("Location", "")
    return (answer.status_code in (301, 302, 303) and "error=invalid_request" in location) or answer.status_code == 400


def test_the_provider_requires_pkce_with_s256(service, browser):
    from urllib.parse import parse_qsl, urlsplit

    page = browser.get(base(service) + "/auth/login", params={"role": "citizen"})
    started = urlsplit(page.url)
    params = dict(parse_qsl(started.query))
    assert params["code_challenge_method"] == "S256"
    authorize = f"{started.scheme}://{started.netloc}{started.path}"
    without = {k: v for k, v in params.items() if not k.startswith("code_challenge")}
    assert _refused(browser.get(authorize, params=without, allow_redirects=False))
    plain = {**without, "code_challenge": "p" * 43, "code_challenge_method": "plain"}
    assert _refused(browser.get(authorize, params=plain, allow_redirects=False))
    no_method = {**without, "code_challenge": "p" * 43}  # the method defaults to plain
    assert _refused(browser.get(authorize, params=no_method, allow_redirects=False))
    assert browser.get(authorize, params=params, allow_redirects=False).status_code == 200
