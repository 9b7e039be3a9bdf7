"""The audit chain anchored by the TSA: `audit verify` reports a chain shortened, rewritten or
appended to behind the checkpoints' back, and checkpoints that stopped being made."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, func, select, update

from asn1crypto import pem, x509

from tests.conftest import login_as, official_principal
from wallet_service.cli import main
from wallet_service.dev import demo as demo_data
from wallet_service.models import Agency, AuditCheckpoint, AuditEvent, Result, db, utcnow
from wallet_service.results import audit, audit_anchor
from wallet_service.services import services


def _record(count: int, action: str = "result.signed") -> None:
    for number in range(count):
        audit.record(db.session, "official:1:Nguyễn Văn An", action, details={"n": number})
    db.session.commit()


def _verify(app) -> tuple[int, str]:
    answer = app.test_cli_runner().invoke(main, ["audit", "verify"])
    return answer.exit_code, answer.output


def _checkpoint(app) -> AuditCheckpoint:
    answer = app.test_cli_runner().invoke(main, ["audit", "checkpoint"])
    assert answer.exit_code == 0 and "checkpoint at event" in answer.output, answer.output
    return db.session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.id.desc())).first()


def _anchor(pki) -> AuditCheckpoint:
    return audit_anchor.anchor(db.session, pki.tsa_url)


def _problems(pki, max_age: float | None = None, now: dt.datetime | None = None) -> list:
    root = x509.Certificate.load(pem.unarmor(pki.root_cert_path.read_bytes())[2])
    return audit_anchor.verify_checkpoints(db.session, [root], max_age, now)


def _recompute_from(event_id: int) -> None:
    """What an operator with write access does to hide a change: every later hash recomputed."""
    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    prev = audit.GENESIS
    for event in events:
        if event.id >= event_id:
            event.prev_hash = prev
            event.hash = audit._event_hash(prev, event)
        prev = event.hash
    db.session.commit()


def test_a_checkpoint_timestamps_the_head_and_a_deleted_last_event_or_all_events_are_truncation(live_app):
    """Through the commands an operator runs, with the service's own TSA and trust roots."""
    _record(3)
    checkpoint = _checkpoint(live_app)
    head = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert (checkpoint.event_id, checkpoint.head_hash) == (head.id, head.hash)
    assert abs((checkpoint.stamped_at - utcnow()).total_seconds()) < 60  # the TSA's time
    assert _verify(live_app) == (0, "audit chain intact\n")
    again = live_app.test_cli_runner().invoke(main, ["audit", "checkpoint"])
    assert "nothing new" in again.output  # the head did not move: no second token
    assert db.session.scalar(select(func.count()).select_from(AuditCheckpoint)) == 1

    db.session.execute(delete(AuditEvent).where(AuditEvent.id == head.id))
    db.session.commit()
    code, output = _verify(live_app)
    assert code == 1 and f"event {head.id}:" in output and "truncated" in output

    db.session.execute(delete(AuditEvent))
    db.session.commit()
    code, output = _verify(live_app)
    assert code == 1 and "truncated" in output


def test_an_edited_event_with_every_later_hash_recomputed_is_rewriting(app, trusted_pki):
    _record(4)
    checkpoint = _anchor(trusted_pki)
    first = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).first()
    db.session.execute(update(AuditEvent).where(AuditEvent.id == first.id).values(actor="official:2:Someone else"))
    db.session.commit()
    db.session.expire_all()
    _recompute_from(first.id)
    assert audit.verify_chain(db.session) == []  # the hash chain alone sees nothing
    problems = _problems(trusted_pki)
    assert [p.event_id for p in problems] == [checkpoint.event_id] and "rewritten" in problems[0].message


def test_an_event_appended_with_a_recomputed_hash_and_an_old_date_is_found(app, trusted_pki):
    _record(2)
    checkpoint = _anchor(trusted_pki)
    forged = AuditEvent(occurred_at=(utcnow() - dt.timedelta(days=3)).replace(microsecond=0), actor="cli",
                        action="result.annulled", result_id=None, details={}, prev_hash=checkpoint.head_hash)
    forged.hash = audit._event_hash(forged.prev_hash, forged)
    db.session.add(forged)
    db.session.commit()
    assert audit.verify_chain(db.session) == []
    problems = _problems(trusted_pki)
    assert [p.event_id for p in problems] == [forged.id] and "appended later" in problems[0].message


def test_checkpoints_that_stop_being_made_are_reported(app, trusted_pki):
    _record(2)
    later = utcnow() + dt.timedelta(hours=3)
    problems = _problems(trusted_pki, max_age=2 * 3600, now=later)
    assert len(problems) == 1 and "not anchored by a recent checkpoint (none since ever)" in problems[0].message
    _anchor(trusted_pki)
    _record(1)
    problems = _problems(trusted_pki, max_age=2 * 3600, now=later)
    assert len(problems) == 1 and "none since 20" in problems[0].message
    assert _problems(trusted_pki, max_age=2 * 3600) == []  # not yet overdue


def test_a_token_for_another_head_or_from_an_untrusted_authority_proves_nothing(app, trusted_pki, foreign_pki):
    _record(2)
    checkpoint = _anchor(trusted_pki)
    # The operator points an old token at a new head.
    checkpoint.head_hash = "ab" * 32
    db.session.commit()
    problems = _problems(trusted_pki)
    assert any("does not match" in p.message for p in problems)
    # A token made by another authority (one the operator runs): not trusted.
    db.session.rollback()
    head = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    db.session.execute(delete(AuditCheckpoint))
    db.session.commit()
    _anchor(foreign_pki)
    problems = _problems(trusted_pki)
    assert [p.event_id for p in problems] == [head.id] and "not from a trusted" in problems[0].message


def test_a_signing_batch_ends_with_a_checkpoint_of_what_it_recorded(live_app, demo_pdfs):
    settings = services(live_app).settings
    demo_data.load_people(db.session, settings.public_base_url)
    demo_data.load_results(db.session, services(live_app).documents, settings.max_document_bytes, demo_pdfs)
    client = live_app.test_client()
    csrf = {"X-CSRFToken": login_as(live_app, client, official_principal("official1"))}
    ids = db.session.scalars(select(Result.id).join(Agency).where(Agency.code == "000.00.15.H40").limit(1)).all()
    created = client.post("/api/v1/signing-batches", json={"result_ids": ids}, headers=csrf)
    assert created.status_code == 202, created.json
    services(live_app).jobs.wait(timeout=300)
    assert client.get(f"/api/v1/signing-batches/{created.json['id']}").json["status"] == "finished"

    db.session.expire_all()
    signed = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "result.signed",
                                                        AuditEvent.result_id == ids[0]))
    checkpoint = db.session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.id.desc())).first()
    assert checkpoint is not None and checkpoint.event_id >= signed.id
    assert _verify(live_app) == (0, "audit chain intact\n")
