"""The outbox as a store sees it: one message per delivery, kept once per idempotency key, retried
with exponential backoff, given up after the target's attempts, annulments after the result, and
the result `delivered` only when every target has it."""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import threading
import time

import jwt
import pytest
from sqlalchemy import select, text, update

from wallet_service import create_app
from wallet_service.delivery import deliver_due
from wallet_service.delivery.messages import MESSAGE_TYP
from wallet_service.delivery.outbox import complete_if_delivered
from wallet_service.delivery.worker import claim_due
from wallet_service.models import AuditEvent, Delivery, DeliveryStatus, Result, ResultStatus, db, utcnow
from wallet_service.results import annulment
from wallet_service.results.audit import verify_chain

from ..conftest import official_principal
from .conftest import AGENCY1, AGENCY2, BACKOFF
from wallet_service.services import services

pytestmark = pytest.mark.postgres  # SQL behaviour: runs on PostgreSQL too


def _deliveries(result: Result) -> list[Delivery]:
    db.session.expire_all()
    return list(db.session.scalars(select(Delivery).where(Delivery.result_id == result.id).order_by(Delivery.id)))


def _first_of(demo_results, agency: str) -> Result:
    return next(r for r in demo_results.values() if r.agency.code == agency)


def _verified(app, token: str) -> dict:
    """Check the message as a store would: with the key published at /.well-known/jwks.json."""
    jwks = app.test_client().get("/.well-known/jwks.json").get_json()
    header = jwt.get_unverified_header(token)
    assert header["typ"] == MESSAGE_TYP and header["alg"] == "ES256"
    key = jwt.PyJWKSet.from_dict(jwks)[header["kid"]]
    # The audience is each store's own URL; the tests compare it themselves.
    return jwt.decode(token, key.key, algorithms=["ES256"], options={"verify_aud": False})


def test_signing_writes_one_delivery_per_wanting_target(app, demo_results, sign):
    ward = sign(_first_of(demo_results, AGENCY1))
    department = sign(_first_of(demo_results, AGENCY2))
    assert [(d.target, d.event, d.status) for d in _deliveries(ward)] == [("portal", "signed", "pending")]
    assert sorted(d.target for d in _deliveries(department)) == ["construction-archive", "portal"]
    assert ward.status == department.status == "signed"  # not delivered while stores wait


def test_message_is_a_jws_verified_with_the_published_key(app, demo_results, sign, store):
    result = sign(_first_of(demo_results, AGENCY2))
    assert deliver_due(app) == 2
    assert len(store.state.accepted) == len(store.state.requests) == 2
    deliveries = {d.target: d for d in _deliveries(result)}
    for received in store.state.accepted.values():
        assert received.content_type == "application/jose"
        claims = _verified(app, received.body.decode())
        assert claims["jti"] == received.idempotency_key
        assert claims["event"] == "result.signed"
        assert claims["iss"] == services(app).settings.public_base_url.rstrip("/")
        assert claims["result"]["id"] == result.id and claims["result"]["citizen_id"] == result.citizen.personal_id
        assert claims["result"]["agency_name"] == "Sở Xây dựng tỉnh Quảng Ninh"
        assert claims["document"]["sha256"] == result.signed_sha256
        target = "portal" if claims["aud"] == store.url else "construction-archive"
        assert deliveries[target].idempotency_key == received.idempotency_key
        if target == "portal":  # configured with the document inside, and an Authorization from the environment
            pdf = base64.b64decode(claims["document"]["content_base64"])
            assert hashlib.sha256(pdf).hexdigest() == result.signed_sha256 and pdf.startswith(b"%PDF")
            assert received.authorization == "Bearer portal-secret"
        else:
            assert "content_base64" not in claims["document"] and received.authorization is None
    # A forged message (signed by another key) fails the same check.
    from cryptography.hazmat.primitives.asymmetric import ec

    forged = jwt.encode({"event": "result.signed"}, ec.generate_private_key(ec.SECP256R1()), algorithm="ES256",
                        headers={"typ": MESSAGE_TYP, "kid": jwt.get_unverified_header(received.body.decode())["kid"]})
    with pytest.raises(jwt.InvalidSignatureError):
        _verified(app, forged)


def test_result_is_delivered_when_every_target_has_it(app, demo_results, sign, store):
    result = sign(_first_of(demo_results, AGENCY2))
    store.state.fail_next = 1  # the first of the two messages fails once
    deliver_due(app)
    db.session.refresh(result)
    assert result.status == "signed"
    assert sorted(d.status for d in _deliveries(result)) == ["pending", "sent"]
    deliver_due(app, now=utcnow() + dt.timedelta(seconds=BACKOFF + 1))
    db.session.refresh(result)
    assert result.status == "delivered"
    assert [d.status for d in _deliveries(result)] == ["sent", "sent"]
    # What officials and case systems see on the result (GET /api/v1/results/{id}).
    from ..conftest import login_as

    client = app.test_client()
    login_as(app, client, official_principal("official2"))
    body = client.get(f"/api/v1/results/{result.id}").get_json()
    assert body["status"] == "delivered"
    assert sorted((d["target"], d["status"]) for d in body["deliveries"]) == [("construction-archive", "sent"), ("portal", "sent")]
    # And what operators see on /metrics: three attempts, one of them failed, one result delivered.
    from prometheus_client.parser import text_string_to_metric_families

    exposed = app.test_client().get("/metrics").get_data(as_text=True)
    found = {(s.name, tuple(sorted(s.labels.items()))): s.value
             for family in text_string_to_metric_families(exposed) for s in family.samples}
    attempts = {k[1][0][1]: v for k, v in found.items() if k[0] == "wallet_delivery_attempts_total"}
    failures = {k[1][0][1]: v for k, v in found.items() if k[0] == "wallet_delivery_failures_total"}
    assert sum(attempts.values()) == 3 and sum(failures.values()) == 1
    assert found[("wallet_results_delivered_total", (("agency", result.agency.code), ("procedure", result.procedure_code)))] == 1


def test_retries_back_off_exponentially_then_arrive_once(app, demo_results, sign, store):
    result = sign(_first_of(demo_results, AGENCY1))
    store.state.fail_next = 3
    clock = utcnow()
    waits = []
    for attempt in (1, 2, 3):
        assert deliver_due(app, now=clock) == 1
        (delivery,) = _deliveries(result)
        assert (delivery.status, delivery.attempts) == ("pending", attempt)
        assert delivery.last_error.startswith("HTTP 503")
        waits.append((delivery.next_attempt_at - clock).total_seconds())
        assert deliver_due(app, now=clock) == 0  # not due again before its time
        clock = delivery.next_attempt_at + dt.timedelta(milliseconds=1)
    assert [round(w, 3) for w in waits] == [BACKOFF, 2 * BACKOFF, 4 * BACKOFF]
    assert deliver_due(app, now=clock) == 1
    (delivery,) = _deliveries(result)
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("sent", 4, None)
    assert len(store.state.requests) == 4
    assert {r.idempotency_key for r in store.state.requests} == {delivery.idempotency_key}
    assert list(store.state.accepted) == [delivery.idempotency_key]
    db.session.refresh(result)
    assert result.status == "delivered"


def test_gives_up_after_the_targets_attempts_and_says_why(app, demo_results, sign, store):
    result = sign(_first_of(demo_results, AGENCY1))
    store.state.fail_next = 100
    clock = utcnow()
    for _ in range(4):  # max_attempts = 4 for `portal`
        deliver_due(app, now=clock)
        clock += dt.timedelta(days=1)
    assert deliver_due(app, now=clock) == 0
    (delivery,) = _deliveries(result)
    assert (delivery.status, delivery.attempts) == ("failed", 4)
    assert "HTTP 503" in delivery.last_error
    db.session.refresh(result)
    assert result.status == "signed"  # not delivered: the store never got it
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "delivery.failed")).all()
    assert [e.result_id for e in events] == [result.id]
    assert verify_chain(db.session) == []


def test_a_refusal_is_not_retried(app, demo_results, sign, store):
    result = sign(_first_of(demo_results, AGENCY1))
    store.state.fail_next, store.state.fail_status = 1, 400
    assert deliver_due(app) == 1
    (delivery,) = _deliveries(result)
    assert (delivery.status, delivery.attempts) == ("failed", 1)
    assert delivery.last_error.startswith("HTTP 400")


def test_unreachable_store_is_retried(app, demo_results, sign, store):
    result = sign(_first_of(demo_results, AGENCY1))
    store.close()  # nothing listens on the port any more
    assert deliver_due(app) == 1
    (delivery,) = _deliveries(result)
    assert delivery.status == "pending" and "ConnectionError" in delivery.last_error


def test_annulment_is_sent_after_the_signed_message(app, demo_results, sign, store):
    result = sign(_first_of(demo_results, AGENCY1))
    annulment.annul(db.session, official_principal("official1"), result.id, "Cấp nhầm đối tượng", services(app).events)
    assert [(d.target, d.event) for d in _deliveries(result)] == [("portal", "signed"), ("portal", "annulled")]
    store.state.fail_next = 1  # the signed message fails first: the annulment must wait for it
    deliver_due(app)
    assert [d.status for d in _deliveries(result)] == ["pending", "pending"]
    assert len(store.state.requests) == 1
    deliver_due(app, now=utcnow() + dt.timedelta(seconds=BACKOFF + 1))
    assert [d.status for d in _deliveries(result)] == ["sent", "sent"]
    events = [_verified(app, r.body.decode())["event"] for r in store.state.accepted.values()]
    assert events == ["result.signed", "result.annulled"]
    annulled = _verified(app, list(store.state.accepted.values())[1].body.decode())
    assert annulled["result"]["annulment_reason"] == "Cấp nhầm đối tượng"
    db.session.refresh(result)
    assert result.status == "annulled"


def test_result_annulled_before_signing_tells_nobody(app, demo_results):
    result = _first_of(demo_results, AGENCY1)
    annulment.annul(db.session, official_principal("official1"), result.id, "Hồ sơ rút lại", services(app).events)
    assert _deliveries(result) == []


def test_without_targets_a_signed_result_is_delivered_at_once(make_app):
    app = make_app()  # no DELIVERY_TARGETS_FILE: the citizen's wallet here is the only destination
    with app.app_context():
        from wallet_service.dev import demo as demo_data

        demo_data.load_people(db.session, services(app).settings.public_base_url)
        demo_data.load_results(db.session, services(app).documents, 10**8)
        result = db.session.scalars(select(Result)).first()
        result.move_to(ResultStatus.SIGNING)
        result.signed_sha256 = result.original_sha256
        result.move_to(ResultStatus.SIGNED)
        services(app).events.signed(db.session, result)
        db.session.commit()
        assert result.status == "delivered" and _deliveries(result) == []
        assert deliver_due(app) == 0
        db.session.remove()


def test_two_workers_never_claim_the_same_delivery(app, demo_results, sign, database_url, tmp_path, targets_file):
    for result in demo_results.values():
        sign(result)
    total = db.session.query(Delivery).count()
    assert total == len(demo_results) + sum(r.agency.code == AGENCY2 for r in demo_results.values())
    workers = [
        create_app({"database_url": database_url, "instance_path": tmp_path / "instance", "TESTING": True,
                    "DELIVERY_TARGETS_FILE": targets_file})
        for _ in range(2)
    ]
    claimed: list[list[int]] = [[], []]
    start = threading.Barrier(2)

    def claim(number: int) -> None:
        with workers[number].app_context():
            start.wait()
            while batch := claim_due(db.session, 2, dt.timedelta(minutes=5)):
                claimed[number].extend(c.delivery_id for c in batch)
            db.session.remove()

    threads = [threading.Thread(target=claim, args=(n,)) for n in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    for worker in workers:
        with worker.app_context():
            db.engine.dispose()
    assert not set(claimed[0]) & set(claimed[1])
    assert sorted(claimed[0] + claimed[1]) == sorted(d.id for d in db.session.scalars(select(Delivery)))
    db.session.expire_all()
    assert {d.attempts for d in db.session.scalars(select(Delivery))} == {1}


def test_a_claim_takes_at_most_its_limit(app, demo_results, sign):
    for result in demo_results.values():
        sign(result)
    total = db.session.query(Delivery).count()
    taken = []
    while batch := claim_due(db.session, 2, dt.timedelta(minutes=5)):
        assert len(batch) <= 2
        taken.extend(c.delivery_id for c in batch)
    assert sorted(taken) == sorted(d.id for d in db.session.scalars(select(Delivery))) and len(taken) == total


def _wait_until_a_session_waits_on_a_lock(timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    with db.engine.connect() as watcher:
        while time.monotonic() < deadline:
            if watcher.execute(text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                    "AND wait_event_type = 'Lock'")).scalar():
                return
            time.sleep(0.02)
    raise AssertionError("the second worker never waited for the first one's lock on the result")


def test_two_workers_recording_a_results_last_deliveries_at_once_make_it_delivered(app, demo_results, sign):
    """Each worker marks its own delivery sent while the other's mark is uncommitted: the second to look
    must see the first's once committed, else the result stays `signed` for ever."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers: the race needs PostgreSQL's concurrent transactions")
    result = sign(_first_of(demo_results, AGENCY2))
    result_id, (first, second) = result.id, [d.id for d in _deliveries(result)]
    deliveries = Delivery.__table__
    mark_sent = update(deliveries).values(status=DeliveryStatus.SENT)
    other_marked, other_may_look, moved = threading.Event(), threading.Event(), []

    def other_worker() -> None:
        with app.app_context():
            db.session.execute(mark_sent.where(deliveries.c.id == second))
            other_marked.set()
            other_may_look.wait(30)
            moved.extend(r.id for r in complete_if_delivered(db.session, [result_id]))
            db.session.commit()
            db.session.remove()

    db.session.remove()
    thread = threading.Thread(target=other_worker)
    thread.start()
    db.session.execute(mark_sent.where(deliveries.c.id == first))
    assert other_marked.wait(30)
    assert complete_if_delivered(db.session, [result_id]) == []  # the other's mark is not committed yet
    other_may_look.set()
    _wait_until_a_session_waits_on_a_lock()
    db.session.commit()
    thread.join(30)
    assert moved == [result_id]
    db.session.expire_all()
    assert db.session.get(Result, result_id).status == ResultStatus.DELIVERED
