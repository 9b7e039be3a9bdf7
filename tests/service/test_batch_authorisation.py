"""An official's signature is their own act: a batch waits for the official's approval, given with
their PIN and a one-time code at the (embedded, served for real) remote-signing service, and only then
are the results claimed and signed. Refusals leave every result waiting in the queue; the PIN is
never kept anywhere."""
from __future__ import annotations

import datetime as dt
import time
from dataclasses import replace
from pathlib import Path

import pyotp
import pytest
import time_machine
from sqlalchemy import select, text

from tests.conftest import login_as, official_principal
from wallet_service.dev import csc
from wallet_service.models import AuditEvent, Result, db
from wallet_service.services import services

pytestmark = pytest.mark.postgres  # claims and expiry are SQL: runs on PostgreSQL too

WARD = "000.00.15.H40"
WRONG_PIN = "707070"


@pytest.fixture
def app(remote_signing_app):
    return remote_signing_app


@pytest.fixture
def totp(app) -> pyotp.TOTP:
    """official1's authenticator app, from the secret `wallet-service init` made."""
    return csc.load_secrets(Path(app.instance_path)).totp("official1")


def ward_results(demo_results, n: int) -> list[str]:
    return [r.id for code, r in sorted(demo_results.items()) if code.startswith(WARD)][:n]


def client_of(app, username: str = "official1"):
    client = app.test_client()
    return client, {"X-CSRFToken": login_as(app, client, official_principal(username))}


def prepared_batch(app, client, csrf, ids: list[str]) -> dict:
    created = client.post("/api/v1/signing-batches", json={"result_ids": ids}, headers=csrf)
    assert created.status_code == 201, created.json
    assert created.json["status"] == "awaiting_authorisation"
    assert created.json["authorisation"]["method"] == "csc"
    services(app).jobs.wait(timeout=300)  # the documents are prepared in the background
    batch = client.get(f"/api/v1/signing-batches/{created.json['id']}").json
    assert batch["authorisation"]["ready"] is True, batch
    return batch


def approve(client, csrf, batch_id: str, pin: str, otp: str):
    return client.post(f"/api/v1/signing-batches/{batch_id}/authorisation", json={"pin": pin, "otp": otp},
                       headers=csrf)


def statuses(ids: list[str]) -> set[str]:
    db.session.expire_all()
    return {db.session.get(Result, i).status for i in ids}


def test_the_official_approves_with_pin_and_code_and_every_result_is_signed(app, demo_results, totp, caplog,
                                                                           monkeypatch):
    client, csrf = client_of(app)
    jobs, messages = services(app).jobs, []
    submit = jobs.submit
    monkeypatch.setattr(jobs, "submit", lambda *args, **kwargs: (messages.append((args, kwargs)), submit(*args, **kwargs)))
    ids = ward_results(demo_results, 3)
    batch = prepared_batch(app, client, csrf, ids)
    assert statuses(ids) == {"pending_signature"}  # nothing is claimed before the official approves

    wrong = approve(client, csrf, batch["id"], WRONG_PIN, totp.now())
    assert (wrong.status_code, wrong.json["error"], wrong.json["remaining_attempts"]) == (
        403, "authorisation_refused", 4)
    assert "4" in wrong.json["message"]
    assert statuses(ids) == {"pending_signature"}

    approved = approve(client, csrf, batch["id"], csc.DEMO_PIN, totp.now())
    assert (approved.status_code, approved.json["status"]) == (202, "signing"), approved.json
    services(app).jobs.wait(timeout=300)
    done = client.get(f"/api/v1/signing-batches/{batch['id']}").json
    assert (done["status"], done["done"], done["failed"]) == ("finished", 3, 0), done
    result = client.get(f"/api/v1/results/{ids[0]}").json
    assert [(s["role"], s["signer_name"]) for s in result["signatures"]] == [
        ("official", "Nguyễn Văn An"), ("agency", "Trung tâm Phục vụ hành chính công phường Hạ Long")]

    # Who approved which documents, how, and with which certificate.
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "batch.authorised")).all()
    assert event.actor.endswith(":Nguyễn Văn An"), event.actor
    assert event.details["method"] == "csc" and len(event.details["certificate_sha256"]) == 64
    assert sorted(event.details["documents"]) == sorted(ids)
    timeline = client.get(f"/official/results/{ids[0]}?lang=vi").get_data(as_text=True)
    assert 'data-kind="authorised"' in timeline
    assert "Nguyễn Văn An đã phê duyệt ký" in timeline and "mã PIN và mã xác thực một lần" in timeline

    # Neither the right PIN nor the wrong one is kept: not in the database, the logs, the instance files
    # or a task's message (the worker gets the remote service's approval, not what approved it).
    assert [kwargs for _args, kwargs in messages if kwargs.get("secret")], messages
    for pin in (csc.DEMO_PIN, WRONG_PIN):
        assert pin not in repr(messages)
        assert pin not in caplog.text
        assert not any(pin in str(row) for row in everything_in_the_database())
        assert not [p for p in Path(app.instance_path).rglob("*") if p.is_file() and pin.encode() in p.read_bytes()]


def everything_in_the_database() -> list[tuple]:
    rows = []
    for table in db.metadata.sorted_tables:
        rows += db.session.execute(text(f"SELECT * FROM {table.name}")).all()  # noqa: S608 (our table names)
    return rows


def test_a_replayed_or_stale_code_is_refused_and_leaves_the_results_waiting(app, demo_results, totp):
    client, csrf = client_of(app)
    first_ids, second_ids = ward_results(demo_results, 2)[:1], ward_results(demo_results, 2)[1:]
    first = prepared_batch(app, client, csrf, first_ids)
    second = prepared_batch(app, client, csrf, second_ids)
    code = totp.now()
    assert approve(client, csrf, first["id"], csc.DEMO_PIN, code).status_code == 202
    replayed = approve(client, csrf, second["id"], csc.DEMO_PIN, code)
    assert (replayed.status_code, replayed.json["error"]) == (403, "authorisation_refused")
    stale = approve(client, csrf, second["id"], csc.DEMO_PIN, totp.at(time.time() - 300))
    assert (stale.status_code, stale.json["remaining_attempts"]) == (403, 3)
    services(app).jobs.wait(timeout=300)
    assert statuses(second_ids) == {"pending_signature"}
    assert statuses(first_ids) <= {"signed", "delivered"}


def test_the_remote_lock_out_is_shown_as_such(app, demo_results, totp):
    client, csrf = client_of(app)
    ids = ward_results(demo_results, 1)
    batch = prepared_batch(app, client, csrf, ids)
    answers = [approve(client, csrf, batch["id"], WRONG_PIN, totp.now()) for _ in range(5)]
    assert [a.json.get("remaining_attempts") for a in answers] == [4, 3, 2, 1, 0]
    assert answers[-1].json["error"] == "authorisation_locked"
    locked = approve(client, csrf, batch["id"], csc.DEMO_PIN, totp.now())
    assert (locked.status_code, locked.json["error"]) == (403, "authorisation_locked")
    assert statuses(ids) == {"pending_signature"}
    metrics = client.get("/metrics").get_data(as_text=True)  # what operators see of it
    assert 'wallet_authorisation_refusals_total{reason="authorisation_refused"} 4.0' in metrics
    assert 'wallet_authorisation_refusals_total{reason="authorisation_locked"} 2.0' in metrics


def test_only_the_batchs_official_may_approve_it(app, demo_results, totp):
    client, csrf = client_of(app)
    batch = prepared_batch(app, client, csrf, ward_results(demo_results, 1))
    other_agency, other_csrf = client_of(app, "official2")  # of the department, not the ward
    assert approve(other_agency, other_csrf, batch["id"], csc.DEMO_PIN, totp.now()).status_code == 404
    colleague = app.test_client()  # another official of the ward: may follow the batch, not approve it
    official2 = official_principal("official2")
    colleague_csrf = {"X-CSRFToken": login_as(app, colleague, replace(official2, agency_codes=frozenset({WARD})))}
    assert colleague.get(f"/api/v1/signing-batches/{batch['id']}").status_code == 200
    refused = approve(colleague, colleague_csrf, batch["id"], csc.DEMO_PIN, totp.now())
    assert (refused.status_code, refused.json["error"]) == (403, "not_your_batch")
    missing = approve(client, csrf, "no-such-batch", csc.DEMO_PIN, totp.now())
    assert missing.status_code == 404
    incomplete = client.post(f"/api/v1/signing-batches/{batch['id']}/authorisation", json={"pin": csc.DEMO_PIN},
                             headers=csrf)
    assert (incomplete.status_code, incomplete.json["error"]) == (422, "missing_codes")
    no_csrf = client.post(f"/api/v1/signing-batches/{batch['id']}/authorisation",
                          json={"pin": csc.DEMO_PIN, "otp": totp.now()})
    assert no_csrf.json["error"] == "csrf_failed"


def test_a_batch_not_approved_in_time_expires_and_its_results_return_to_the_queue(app, demo_results, totp):
    client, csrf = client_of(app)
    ids = ward_results(demo_results, 2)
    batch = prepared_batch(app, client, csrf, ids)
    deadline = services(app).settings.batches.authorisation_seconds
    with time_machine.travel(dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=deadline + 5), tick=True):
        late = approve(client, csrf, batch["id"], csc.DEMO_PIN, totp.now())
    assert (late.status_code, late.json["error"]) == (409, "batch_expired"), late.json
    client, csrf = client_of(app)  # that long idle, the official logs in again
    after = client.get(f"/api/v1/signing-batches/{batch['id']}").json
    assert after.get("status") == "expired" and {i["status"] for i in after["items"]} == {"released"}, after
    assert statuses(ids) == {"pending_signature"}
    again = client.post("/api/v1/signing-batches", json={"result_ids": ids}, headers=csrf)
    assert again.status_code == 201  # the results can be selected and signed again


def test_an_approval_that_runs_out_mid_batch_is_asked_again_then_finishes(app, demo_results, totp):
    client, csrf = client_of(app)
    ids = ward_results(demo_results, 2)
    batch = prepared_batch(app, client, csrf, ids)
    services(app).devcsc.state.sad_lifetime = 0  # the remote service's approval lapses at once
    assert approve(client, csrf, batch["id"], csc.DEMO_PIN, totp.now()).status_code == 202
    services(app).jobs.wait(timeout=300)
    waiting = client.get(f"/api/v1/signing-batches/{batch['id']}").json
    assert waiting["status"] == "awaiting_authorisation", waiting
    assert waiting["authorisation"]["note"] == "authorisation_expired"
    assert statuses(ids) == {"signing"}  # held by the batch, none signed twice or half

    services(app).devcsc.state.sad_lifetime = csc.state.SAD_LIFETIME
    again = approve(client, csrf, batch["id"], csc.DEMO_PIN, totp.at(time.time() + 30))
    assert again.status_code == 202, again.json
    services(app).jobs.wait(timeout=300)
    done = client.get(f"/api/v1/signing-batches/{batch['id']}").json
    assert (done["status"], done["done"]) == ("finished", 2), done
    for rid in ids:
        assert len(client.get(f"/api/v1/results/{rid}").json["signatures"]) == 2


def test_the_remote_signing_service_down_is_a_clear_error_and_nothing_is_claimed(app, demo_results, totp,
                                                                                live_server):
    client, csrf = client_of(app)
    ids = ward_results(demo_results, 1)
    batch = prepared_batch(app, client, csrf, ids)
    served = live_server.late_bound.target
    live_server.late_bound.target = _remote_signing_down(served)
    try:
        down = approve(client, csrf, batch["id"], csc.DEMO_PIN, totp.now())
    finally:
        live_server.late_bound.target = served
    assert (down.status_code, down.json["error"]) == (502, "remote_signing_error"), down.json
    assert statuses(ids) == {"pending_signature"}
    assert approve(client, csrf, batch["id"], csc.DEMO_PIN, totp.now()).status_code == 202  # once it is back


def _remote_signing_down(served):
    def app(environ, start_response):
        if environ["PATH_INFO"].startswith(csc.MOUNT):
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b"maintenance"]
        return served(environ, start_response)
    return app
