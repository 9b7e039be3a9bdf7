"""The administrator's pages: who may open them, agencies listed, added and corrected, officials added
and their roles set, in Vietnamese (English on request), each form with its CSRF token, each change
audited with the administrator as actor, each refusal a 400 that says why and writes nothing."""
from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import func, select

from tests.conftest import login_as, official_principal
from wallet_service.access import Principal
from wallet_service.models import Agency, AuditEvent, Official, db

WARD = "000.00.15.H40"


def as_official(app, client, username: str, roles: set[str]) -> str:
    """Log `username` in with `roles` (on the record, as `officials roles` would set them); the CSRF token."""
    official = db.session.scalar(select(Official).where(Official.username == username))
    official.roles = sorted(roles)
    db.session.commit()
    principal = official_principal(username)
    return login_as(app, client, Principal(principal.kind, principal.record_id, principal.display_name,
                                           principal.agency_codes, frozenset(roles)))


@pytest.fixture
def admin(app, client, demo):
    return client, as_official(app, client, "official1", {"admin", "signer"})


def error_text(page: str) -> str:
    return html.unescape(re.search(r'data-testid="admin-error">([^<]*)<', page).group(1))


def last_event() -> AuditEvent:
    return db.session.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1))


def test_only_administrators_open_the_pages(app, client, demo):
    assert client.get("/admin/agencies").headers["Location"].startswith("/auth/login?role=official")
    as_official(app, client, "official2", {"signer"})
    refused = client.get("/admin/officials")
    assert refused.status_code == 403 and 'data-code="administrators_only"' in refused.get_data(as_text=True)
    assert "/admin/" not in client.get("/official/").get_data(as_text=True)  # no menu entry either


def test_a_role_taken_away_closes_the_pages_at_once(app, admin):
    client, _token = admin
    assert client.get("/admin/agencies").status_code == 200
    official = db.session.scalar(select(Official).where(Official.username == "official1"))
    official.roles = ["signer"]
    db.session.commit()
    assert client.get("/admin/agencies").status_code == 403


def test_agencies_listed_added_and_corrected_in_vietnamese(app, admin):
    client, token = admin
    page = client.get("/admin/agencies").get_data(as_text=True)
    assert "<h1>Cơ quan</h1>" in page and f'data-agency="{WARD}"' in page
    assert 'href="/admin/"' in page  # the menu entry

    added = client.post("/admin/agencies", data={"csrf_token": token, "code": "000.00.20.H40", "name": "UBND phường Bãi Cháy",
                                                 "parent": "", "province": "", "commune": "06688"})
    assert added.status_code == 303
    listed = client.get(added.headers["Location"]).get_data(as_text=True)
    assert "Đã lưu: 000.00.20.H40" in listed and "UBND phường Bãi Cháy" in listed
    agency = db.session.scalar(select(Agency).where(Agency.code == "000.00.20.H40"))
    assert (agency.province_code, agency.commune_code) == ("22", "06688")
    event = last_event()
    assert event.action == "agency.added" and event.actor.startswith("official:") and event.actor.endswith(":Nguyễn Văn An")

    form = client.get("/admin/agencies/000.00.20.H40").get_data(as_text=True)
    assert 'value="UBND phường Bãi Cháy"' in form
    changed = client.post("/admin/agencies/000.00.20.H40", data={
        "csrf_token": token, "name": "UBND phường Bãi Cháy mới", "parent": WARD, "province": "22", "commune": "06688"})
    assert changed.status_code == 303
    db.session.refresh(agency)
    assert agency.name == "UBND phường Bãi Cháy mới" and agency.parent.code == WARD
    assert last_event().action == "agency.updated" and last_event().details["new_parent"] == WARD
    assert client.get("/admin/agencies/000.00.99.H40").status_code == 404


@pytest.mark.parametrize("lang, expected", [
    ("vi", "Chưa lưu: '000.00.20': Mã cơ quan"),
    ("en", "Not saved: '000.00.20': An agency code follows QCVN 102:2016"),
])
def test_a_refused_agency_is_a_400_in_the_pages_language_and_nothing_is_written(app, admin, lang, expected):
    client, token = admin
    count = db.session.scalar(select(func.count()).select_from(Agency))
    answer = client.post(f"/admin/agencies?lang={lang}", data={"csrf_token": token, "code": "000.00.20", "name": "X",
                                                              "province": "22"})
    assert answer.status_code == 400
    page = answer.get_data(as_text=True)
    assert error_text(page).startswith(expected), error_text(page)
    assert 'value="000.00.20"' in page  # what was typed stays in the form
    assert db.session.scalar(select(func.count()).select_from(Agency)) == count


def test_vietnamese_message_for_a_commune_outside_the_province(app, admin):
    client, token = admin
    answer = client.post("/admin/agencies", data={"csrf_token": token, "code": "000.00.20.H40", "name": "X",
                                                  "province": "01", "commune": "06688"})
    assert answer.status_code == 400
    assert error_text(answer.get_data(as_text=True)) == "Chưa lưu: xã/phường 06688 thuộc tỉnh 22, không phải 01"


def test_forms_without_the_csrf_token_are_refused(app, admin):
    client, _token = admin
    answer = client.post("/admin/agencies", data={"code": "000.00.20.H40", "name": "X", "province": "22"})
    assert answer.status_code == 400
    assert db.session.scalar(select(Agency).where(Agency.code == "000.00.20.H40")) is None


def test_officials_added_and_their_roles_set(app, admin):
    client, token = admin
    added = client.post("/admin/officials?lang=en", data={
        "csrf_token": token, "username": "an.nv", "name": "Nguyễn Văn An", "agency": WARD, "key_reference": "",
        "roles": ["signer", "annul"]})
    assert added.status_code == 303
    page = client.get(added.headers["Location"] + "&lang=en").get_data(as_text=True)
    assert "Saved: an.nv" in page and 'data-official="an.nv"' in page and "not yet logged in" in page
    official = db.session.scalar(select(Official).where(Official.username == "an.nv"))
    assert sorted(official.roles) == ["annul", "signer"] and official.subject is None
    assert last_event().action == "official.registered"

    again = client.post("/admin/officials?lang=vi", data={"csrf_token": token, "username": "an.nv", "name": "X", "agency": WARD})
    assert again.status_code == 400 and "Chưa lưu: cán bộ 'an.nv' đã có" in error_text(again.get_data(as_text=True))

    client.post(f"/admin/officials/{official.id}/roles", data={"csrf_token": token, "roles": ["admin"]})
    db.session.refresh(official)
    assert official.roles == ["admin"]
    event = last_event()
    assert event.action == "official.roles_set" and event.details["before"] == ["annul", "signer"]
    bad = client.post(f"/admin/officials/{official.id}/roles", data={"csrf_token": token, "roles": ["boss"]})
    assert bad.status_code == 400 and "boss" in error_text(bad.get_data(as_text=True))


def test_a_providers_roles_at_login_keep_the_admin_role_it_cannot_grant(app, demo):
    from adapters.oidc import STANDARD
    from adapters.oidc.claims import read_official
    from wallet_service.auth.identities import official_principal as principal_at_login

    official = db.session.scalar(select(Official).where(Official.username == "official2"))
    official.roles = ["admin", "annul"]
    db.session.commit()
    # the provider's claim names signer and "admin" (a group of its own): only signer is taken from it
    claims = {"sub": official.subject, "name": official.full_name, "preferred_username": "official2",
              "roles": ["signer", "admin"]}
    identity = read_official(STANDARD, claims, issuer=official.issuer, agency_claim="agency_code",
                             roles_claims=("roles",))
    assert identity.roles == {"signer"}
    assert principal_at_login(db.session, identity, "agency_code").roles == {"admin", "signer"}
    official.roles = ["signer"]
    db.session.commit()
    assert principal_at_login(db.session, identity, "agency_code").roles == {"signer"}
