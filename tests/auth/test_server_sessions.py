"""Sessions kept on the server: the cookie is a random id, and ending a session (logout, an
administrator) ends it for every copy of that cookie."""
from __future__ import annotations

import base64
import re

import pytest
import redis
import requests
from sqlalchemy import select

from tests.conftest import REDIS_URL
from wallet_service.cli import main
from wallet_service.models import Agency, Result, ResultStatus, db, utcnow

from .browser import log_in, submit
from .test_embedded_login import _session_data, base

CITIZEN_ID = "022186001234"


def _cookie(app, http: requests.Session) -> str:
    return http.cookies.get(app.config["SESSION_COOKIE_NAME"])


def _with_cookie(app, value: str) -> requests.Session:
    """Another browser holding a copy of the cookie (stolen, or kept from before the logout)."""
    thief = requests.Session()
    thief.cookies.set(app.config["SESSION_COOKIE_NAME"], value, domain="127.0.0.1", path="/")
    return thief


def _readable_forms(value: str) -> str:
    """The cookie as any reader could decode it: as it is, and base64-decoded if it decodes."""
    padded = value.replace("-", "+").replace("_", "/") + "=" * (-len(value) % 4)
    try:
        return value + base64.b64decode(padded.split(".")[0], validate=False).decode("latin-1")
    except ValueError:
        return value


def test_the_cookie_carries_only_a_random_id_the_id_token_and_pkce_verifier_stay_on_the_server(service, browser):
    browser.get(base(service) + "/auth/login", params={"role": "citizen"})  # a login in progress
    pending = next(iter(_session_data(service, browser)["oidc_pending"].values()))
    assert len(pending["code_verifier"]) >= 43
    assert pending["code_verifier"] not in _readable_forms(_cookie(service, browser))

    log_in(browser, base(service), "citizen", "citizen1")
    cookie = _cookie(service, browser)
    id_token = _session_data(service, browser)["auth"]["id_token"]
    assert id_token.count(".") == 2  # kept for the provider's logout, on the server
    assert re.fullmatch(r"[A-Za-z0-9_-]{40,64}", cookie)
    readable = _readable_forms(cookie)
    for secret in (CITIZEN_ID, "Lê Thị Hoa", id_token.split(".")[1][:20]):
        assert secret not in readable


def test_login_gives_a_new_session_id(service, browser):
    browser.get(base(service) + "/auth/login", params={"role": "citizen"})
    planted = _cookie(service, browser)  # an id an attacker could have planted before the login
    log_in(browser, base(service), "citizen", "citizen1")
    assert _cookie(service, browser) != planted
    assert _with_cookie(service, planted).get(base(service) + "/api/v1/me").status_code == 401


def test_a_cookie_copied_before_logout_no_longer_reads_the_citizens_wallet(service, browser):
    page = log_in(browser, base(service), "citizen", "citizen1")
    copy = _with_cookie(service, _cookie(service, browser))
    assert copy.get(base(service) + "/api/v1/wallet/results").status_code == 200  # the copy works while logged in

    out = submit(browser, page)  # the wallet page's logout button
    assert out.url == base(service) + "/"
    answer = copy.get(base(service) + "/api/v1/wallet/results")
    assert answer.status_code == 401 and CITIZEN_ID not in answer.text
    assert copy.get(base(service) + "/wallet/", allow_redirects=False).status_code == 302  # sent to log in


def _signed_result_of(app, agency_code: str) -> str:
    with app.app_context():
        result = db.session.scalars(
            select(Result).join(Agency).where(Agency.code == agency_code).order_by(Result.id)
        ).first()
        result.status, result.signed_sha256, result.signed_at = ResultStatus.SIGNED, result.original_sha256, utcnow()
        db.session.commit()
        result_id = result.id
        db.session.remove()
    return result_id


def _status_of(app, result_id: str) -> str:
    with app.app_context():
        status = db.session.get(Result, result_id).status
        db.session.remove()
    return status


def test_a_cookie_copied_before_logout_no_longer_lets_an_official_annul(service, browser):
    result_id = _signed_result_of(service, "000.00.15.H40")
    page = log_in(browser, base(service), "official", "official1")
    token = re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)
    copy = _with_cookie(service, _cookie(service, browser))

    submit(browser, page)  # log out
    answer = copy.post(base(service) + f"/api/v1/results/{result_id}/annul",
                       json={"reason": "Cấp nhầm đối tượng"}, headers={"X-CSRFToken": token})
    assert answer.status_code == 401
    assert _status_of(service, result_id) == ResultStatus.SIGNED


def test_an_administrator_ends_all_sessions_of_an_official(service, browser):
    log_in(browser, base(service), "official", "official1")
    second = requests.Session()  # the same official on another computer
    log_in(second, base(service), "official", "official1")
    colleague = requests.Session()
    log_in(colleague, base(service), "official", "official2")

    ended = service.test_cli_runner().invoke(main, ["sessions", "end", "--official", "official1"])
    assert ended.exit_code == 0, ended.output
    for http in (browser, second):
        assert http.get(base(service) + "/api/v1/me").status_code == 401
    assert colleague.get(base(service) + "/api/v1/me").status_code == 200  # other officials keep theirs

    browser.cookies.clear()
    log_in(browser, base(service), "official", "official1")  # a login after the end is a new session
    assert browser.get(base(service) + "/api/v1/me").status_code == 200


def test_ending_sessions_of_an_unknown_official_says_so(service):
    answer = service.test_cli_runner().invoke(main, ["sessions", "end", "--official", "nobody"])
    assert answer.exit_code != 0 and "nobody" in answer.output


@pytest.fixture
def redis_client():
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.skip(f"no Redis at {REDIS_URL} (set WALLET_TEST_REDIS_URL)")
    yield client
    client.close()


def test_sessions_in_redis_end_at_logout_for_every_copy(make_service, browser, redis_client):
    app = make_service(SESSION_REDIS_URL=REDIS_URL)
    page = log_in(browser, base(app), "citizen", "citizen1")
    cookie = _cookie(app, browser)
    stored = [key for key in redis_client.scan_iter(match=f"*{cookie}")]
    assert len(stored) == 1 and redis_client.ttl(stored[0]) > 0  # on the server, with an expiry
    assert CITIZEN_ID.encode() not in cookie.encode()

    submit(browser, page)  # log out
    assert not redis_client.exists(stored[0])
    assert _with_cookie(app, cookie).get(base(app) + "/api/v1/wallet/results").status_code == 401


def test_readiness_reports_the_session_store(make_service, redis_client):
    app = make_service(SESSION_REDIS_URL=REDIS_URL)
    assert app.test_client().get("/readyz").json["checks"]["sessions"] == "ok"
    unreachable = make_service(SESSION_REDIS_URL="redis://127.0.0.1:1/0")
    answer = unreachable.test_client().get("/readyz")
    assert answer.status_code == 503 and answer.json["checks"]["sessions"].startswith("failing")
