"""What the fuzzer found, each pinned (SQLite, and PostgreSQL where it mattered: it refuses NUL in text
and answered 500). Every refusal is a precise 4xx and writes nothing."""
from __future__ import annotations

import json

import pytest

from tests.conftest import official_principal
from tests.foundation.test_intake_api import metadata, pdf, post, snapshot  # noqa: F401 (pdf is a fixture)
from wallet_service.results import formats

from .conftest import citizen_principal, open_session

pytestmark = pytest.mark.postgres  # SQL behaviour: runs on PostgreSQL too

BAD_TEXT = ["Trích lục\x00khai sinh", "Lê Thị\udc00Hoa", "bell\x07", "del\x7f"]


@pytest.mark.parametrize("text", BAD_TEXT)
def test_check_text_refuses_control_characters_and_lone_surrogates(text):
    with pytest.raises(formats.FormatError) as refused:
        formats.check_text({"so": [text]}, "extra")
    assert refused.value.field == "extra" and "control characters" in refused.value.message


def test_check_text_accepts_vietnamese_with_tabs_and_newlines():
    formats.check_text({"ghi_chú": ["Nguyễn Văn An\tphường Hạ Long\r\ndòng 2", 3, None]}, "extra")


@pytest.mark.parametrize("field", ["title", "citizen_name", "procedure_name", "extra"])
def test_intake_refuses_nul_in_text_with_422_and_writes_nothing(app, client, case_system, pdf, field):  # noqa: F811
    value = {"ghi_chu": "a\x00b"} if field == "extra" else "a\x00b"
    before = snapshot(app)
    response = post(client, case_system, pdf, metadata(**{field: value}))
    assert response.status_code == 422, response.data
    assert response.json["error"] == "invalid_metadata" and field in response.json["details"]
    assert snapshot(app) == before


def test_intake_refuses_an_unpaired_surrogate(app, client, case_system, pdf):  # noqa: F811
    # The JSON escape "\udc00" decodes to a lone surrogate, which no database can store as UTF-8.
    text = json.dumps(metadata(title="PLACEHOLDER")).replace("PLACEHOLDER", "\\udc00")
    response = post(client, case_system, pdf, text)
    assert response.status_code == 422 and "title" in response.json["details"]


@pytest.mark.parametrize("path", [
    "/api/v1/results/%00", "/api/v1/results/%00/document", "/api/v1/signing-batches/%00", "/v/%00",
])
def test_a_nul_in_the_path_is_404(app, client, demo, path):
    session = open_session(app, official_principal("official1"))
    client.set_cookie(*next(iter(session.cookies.items())))
    response = client.get(path)
    assert response.status_code == 404 and response.json["error"] == "not_found"


def test_a_nul_in_the_query_is_400(app, client, demo):
    response = client.get("/api/v1/agencies?x=%00")
    assert response.status_code == 400 and response.json["error"] == "invalid_query"


def test_posts_with_a_nul_id_or_reason_are_refused(app, client, demo_results):
    official = open_session(app, official_principal("official1"))
    client.set_cookie(*next(iter(official.cookies.items())))
    headers = {"X-CSRFToken": official.csrf_token}
    revoke = client.post("/api/v1/results/%00/revoke", json={"reason": "x"}, headers=headers)
    assert revoke.status_code == 404
    pending = next(r for r in demo_results.values() if r.agency.code == "000.00.15.H40")
    reason = client.post(f"/api/v1/results/{pending.id}/revoke", json={"reason": "nhầm\x00"}, headers=headers)
    assert reason.status_code == 422 and "reason" in str(reason.json["details"])
    batch = client.post("/api/v1/signing-batches", json={"result_ids": ["\x00"]}, headers=headers)
    assert batch.status_code == 422 and "result_ids" in str(batch.json["details"])

    citizen = open_session(app, citizen_principal("022186001234"))
    client.set_cookie(*next(iter(citizen.cookies.items())))
    offer = client.post("/api/v1/wallet/results/%00/credential-offer", headers={"X-CSRFToken": citizen.csrf_token})
    assert offer.status_code == 404


# --- hotspots found by bench/load.py -------------------------------------------------------------


def _statements(app, request):
    """The SQL statements `request()` sends."""
    import sqlalchemy as sa

    from wallet_service.models import db

    sent: list[str] = []

    def record(conn, cursor, statement, *args):
        sent.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        response = request()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    return response, sent


def test_wallet_listing_is_one_query_whatever_the_number_of_agencies(app, client, demo_results):
    # citizen1's demo results come from both agencies; each agency used to be loaded by its own query.
    citizen = open_session(app, citizen_principal("022186001234"))
    client.set_cookie(*next(iter(citizen.cookies.items())))
    response, sent = _statements(app, lambda: client.get("/api/v1/wallet/results"))
    assert response.status_code == 200
    assert len({item["agency_code"] for item in response.json}) == 2
    assert len(sent) == 1, sent


def test_intake_is_seven_statements_and_its_answer_reloads_nothing(app, client, case_system, pdf):  # noqa: F811
    # Per intake: the client, its jti, the agency with the citizen and the dossier, the INSERT, then the
    # audit chain's lock (PostgreSQL only), previous hash and event. The answer used to reload the row.
    citizen1 = {"citizen_id": "022186001234", "citizen_name": "Lê Thị Hoa"}  # known: no citizen INSERT
    response, sent = _statements(app, lambda: post(client, case_system, pdf, metadata(**citizen1)))
    assert response.status_code == 201 and response.json["hashes"]["signed_sha256"] is None
    postgresql = app.extensions["sqlalchemy"].engine.dialect.name == "postgresql"
    assert len(sent) == (7 if postgresql else 6), sent
    assert sent[3].startswith("INSERT INTO results") and not any("FROM results" in s for s in sent[4:]), sent


def test_intake_location_names_the_created_result(app, client, case_system, pdf):  # noqa: F811
    response = post(client, case_system, pdf, metadata())
    assert response.status_code == 201
    assert response.headers["Location"] == f"/api/v1/results/{response.json['id']}" == response.json["links"]["self"]


NESTED = "[" * 4096 + "]" * 4096  # deeper than Python's recursion limit: json.loads raises RecursionError


def test_deeply_nested_json_is_a_400_everywhere(app, client, case_system, demo_results, pdf):  # noqa: F811
    before = snapshot(app)
    intake = post(client, case_system, pdf, NESTED)
    assert (intake.status_code, intake.json["error"]) == (400, "invalid_metadata")
    in_extra = post(client, case_system, pdf, json.dumps(metadata()).replace('"extra": {', f'"deep": {NESTED}, "extra": {{'))
    assert intake.status_code == 400 and in_extra.status_code in (400, 422)
    batch = client.post("/api/v1/result-batches", data={"metadata": NESTED}, headers=case_system.headers(),
                        content_type="multipart/form-data")
    assert batch.status_code == 400 and batch.json["error"] == "invalid_metadata"
    assert snapshot(app) == before
    verify = client.post("/api/v1/verify/credential", data=NESTED, content_type="application/json")
    assert verify.status_code == 400 and verify.json["error"]
    official = open_session(app, official_principal("official1"))
    client.set_cookie(*next(iter(official.cookies.items())))
    headers = {"X-CSRFToken": official.csrf_token}
    pending = next(r for r in demo_results.values() if r.agency.code == "000.00.15.H40")
    for path in ("/api/v1/signing-batches", f"/api/v1/results/{pending.id}/annul"):
        answer = client.post(path, data=NESTED, content_type="application/json", headers=headers)
        assert answer.status_code == 400 and answer.json["error"], (path, answer.status_code)
        wrapped = client.post(path, data='{"reason": ' + NESTED + ', "result_ids": ' + NESTED + "}",
                              content_type="application/json", headers=headers)
        assert wrapped.status_code == 400 and wrapped.json["error"], (path, wrapped.status_code)


def test_a_huge_status_list_number_is_404(client):
    assert client.get(f"/status-lists/{10**30}").status_code == 404
