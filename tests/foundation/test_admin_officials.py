"""An administrator registers officials with `wallet-service officials ...`; a registered official then
logs in through the (embedded) identity provider and is matched to that record by login name."""
from __future__ import annotations

from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select

from tests.auth.browser import log_in
from tests.auth.servers import LiveServer, SwappableApp
from tests.foundation.admin_cli import ok, refused
from wallet_service.dev.idp.keys import ensure_signing_key
from wallet_service.models import AuditEvent, Official, db
from wallet_service.services import services

WARD = "000.00.15.H40"


@pytest.fixture
def ward(app):
    ok(app, "agencies", "add", WARD, "--name", "Trung tâm Phục vụ hành chính công phường Hạ Long", "--commune-code", "06688")


def test_officials_are_added_listed_and_given_roles(app, ward):
    added = ok(app, "officials", "add", "can.bo", "--name", "Nguyễn Văn An", "--agency", WARD,
               "--roles", "signer,annul", "--key-reference", "an-hsm")
    issuer = services(app).official_issuer
    assert added == (f"official added at {issuer}: can.bo  {WARD}  roles annul,signer  key an-hsm  "
                     "not yet logged in  Nguyễn Văn An\n")
    ok(app, "officials", "add", "thu.ky", "--name", "Trần Thị Bình", "--agency", WARD)
    assert ok(app, "officials", "list", "--agency", WARD).splitlines() == [
        f"can.bo  {WARD}  roles annul,signer  key an-hsm  not yet logged in  Nguyễn Văn An",
        f"thu.ky  {WARD}  roles -  key -  not yet logged in  Trần Thị Bình",
    ]
    assert "roles signer  " in ok(app, "officials", "roles", "thu.ky", "--set", "signer")
    assert "roles -  " in ok(app, "officials", "roles", "can.bo", "--set", "")
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action.like("official.%")).order_by(AuditEvent.id))
    assert [(e.action, e.details["username"], e.details["roles"]) for e in events] == [
        ("official.registered", "can.bo", ["annul", "signer"]),
        ("official.registered", "thu.ky", []),
        ("official.roles_set", "thu.ky", ["signer"]),
        ("official.roles_set", "can.bo", []),
    ]


def test_bad_officials_are_refused_in_one_line(app, ward):
    ok(app, "officials", "add", "can.bo", "--name", "Nguyễn Văn An", "--agency", WARD)
    assert "exists already" in refused(app, "officials", "add", "can.bo", "--name", "X", "--agency", WARD)
    assert "unknown agency code '000.00.99.H40'" in refused(
        app, "officials", "add", "b", "--name", "X", "--agency", "000.00.99.H40")
    assert "unknown role(s) boss; the roles are admin, annul, leader, province, signer" in refused(
        app, "officials", "add", "b", "--name", "X", "--agency", WARD, "--roles", "signer,boss")
    assert "no spaces" in refused(app, "officials", "add", "b c", "--name", "X", "--agency", WARD)
    assert "no official 'nobody'" in refused(app, "officials", "roles", "nobody", "--set", "signer")
    assert "unknown agency code" in refused(app, "officials", "list", "--agency", "000.00.99.H40")
    assert db.session.scalar(select(func.count()).select_from(Official)) == 1


@pytest.fixture(scope="module")
def server():
    dispatcher = SwappableApp()
    with LiveServer(dispatcher) as live:
        yield live, dispatcher


def test_a_registered_official_logs_in_and_is_matched_by_login_name(make_app, server):
    live, dispatcher = server
    # A roles claim the embedded provider does not send: the roles administered here are the ones that hold.
    app = make_app(public_base_url=live.url, OIDC_OFFICIAL_ROLES_CLAIM="wallet_roles")
    ensure_signing_key(Path(app.instance_path))  # what `wallet-service init` does
    dispatcher.target = app
    with app.app_context():
        ok(app, "agencies", "add", WARD, "--name", "Trung tâm Phục vụ hành chính công phường Hạ Long",
           "--commune-code", "06688")
        ok(app, "officials", "add", "official1", "--name", "Nguyễn Văn An", "--agency", WARD, "--roles", "signer")
        db.session.remove()
    with requests.Session() as browser:
        page = log_in(browser, live.url, "official", "official1")
        assert page.url == live.url + "/official/"
        me = browser.get(live.url + "/api/v1/me").json()
    assert me["name"] == "Nguyễn Văn An" and me["roles"] == ["signer"] and me["agency"]["code"] == WARD
    with app.app_context():
        assert "official1  000.00.15.H40  roles signer  key -  logged in" in ok(app, "officials", "list")
        ok(app, "officials", "roles", "official1", "--set", "signer,annul")
        (official,) = db.session.scalars(select(Official)).all()
        assert official.subject == "official1"  # bound to the provider's `sub` at first login
        db.session.remove()
    with requests.Session() as browser:
        log_in(browser, live.url, "official", "official1")
        assert browser.get(live.url + "/api/v1/me").json()["roles"] == ["annul", "signer"]
    with requests.Session() as browser:  # an official of an agency nobody registered
        page = log_in(browser, live.url, "official", "official2")
        assert page.status_code == 403 and "official_not_mapped" in page.text and "000.00.04.H40" in page.text
    dispatcher.target = None
