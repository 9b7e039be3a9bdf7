"""Two intakes at the same moment on PostgreSQL: the first results of a new citizen are both stored
under one citizen; the same dossier twice is stored once and both are answered."""
from __future__ import annotations

import hashlib
import threading
import time

import jwt
import pytest
import sqlalchemy as sa

from wallet_service.models import Agency, Citizen, Result, db, new_uuid, utcnow

from .test_intake_api import metadata, pdf, post  # noqa: F401 (pdf is a fixture)

pytestmark = pytest.mark.postgres  # SQL behaviour: runs on PostgreSQL too

NEWBORN = {"citizen_id": "022325009999", "citizen_name": "Đỗ Minh Khang"}


def _wait_until_an_intake_waits_on_a_lock(engine, timeout: float = 20.0) -> None:
    """Until a backend of this database is blocked on a lock (so the test never commits too early
    and passes without the race)."""
    deadline = time.monotonic() + timeout
    with engine.connect() as watcher:
        while time.monotonic() < deadline:
            waiting = watcher.execute(sa.text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )).scalar()
            if waiting:
                return
            time.sleep(0.02)
    raise AssertionError("the intake never waited on the concurrent INSERT")


def _intake_racing(insert_by_the_other, send):
    """`send()` while another transaction has run `insert_by_the_other` and not committed: commits it
    once the intake waits on its unique key, and returns the intake's answer."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers: the race needs PostgreSQL's concurrent transactions")
    other = sa.create_engine(db.engine.url, poolclass=sa.pool.NullPool)
    with other.connect() as concurrent:
        concurrent.execute(insert_by_the_other)
        answer = {}
        intake = threading.Thread(target=lambda: answer.update(response=send()))
        intake.start()
        _wait_until_an_intake_waits_on_a_lock(other)  # the race is on
        concurrent.commit()
        intake.join(30)
    other.dispose()
    return answer["response"]


def test_a_citizen_created_by_a_concurrent_intake_is_joined_not_a_500(app, client, case_system, pdf):  # noqa: F811
    response = _intake_racing(  # another intake has inserted the same new citizen
        sa.insert(Citizen.__table__).values(personal_id=NEWBORN["citizen_id"], full_name="x"),
        lambda: post(client, case_system, pdf, metadata(**NEWBORN)),
    )
    assert response.status_code == 201, response.get_json()
    citizens = db.session.scalars(sa.select(Citizen).where(Citizen.personal_id == NEWBORN["citizen_id"])).all()
    assert len(citizens) == 1
    assert db.session.get(Result, response.json["id"]).citizen_id == citizens[0].id


def test_a_dossier_stored_by_a_concurrent_intake_is_answered_and_the_assertion_stays_spent(app, client, case_system, pdf):  # noqa: F811
    """The other intake wins the dossier's unique key: ours rolls back, looks again and answers 200
    with that result; its rollback took the assertion's jti with it, which must be spent again."""
    sent = metadata(citizen_id="022186001234", citizen_name="Lê Thị Hoa")  # citizen1 of the demo: known
    agency_id = db.session.scalar(sa.select(Agency.id).where(Agency.code == sent["agency_code"]))
    citizen_id = db.session.scalar(sa.select(Citizen.id).where(Citizen.personal_id == sent["citizen_id"]))
    db.session.rollback()
    token = case_system.assertion()
    response = _intake_racing(
        sa.insert(Result.__table__).values(
            id=new_uuid(), dossier_code=sent["dossier_code"], procedure_code=sent["procedure_code"],
            procedure_name=sent["procedure_name"], title=sent["title"], citizen_id=citizen_id,
            citizen_name=sent["citizen_name"], agency_id=agency_id, extra={}, status="pending_signature",
            original_sha256=hashlib.sha256(pdf).hexdigest(), original_size=len(pdf), created_at=utcnow(), updated_at=utcnow(),
        ),
        lambda: post(client, case_system, pdf, sent, jti=jwt_id(token)),
    )
    assert response.status_code == 200, response.get_json()
    assert response.json["dossier_code"] == sent["dossier_code"]
    assert len(db.session.scalars(sa.select(Result).where(Result.dossier_code == sent["dossier_code"])).all()) == 1
    replay = post(client, case_system, pdf, sent, jti=jwt_id(token))
    assert (replay.status_code, replay.json["error"]) == (401, "replayed_token")


def jwt_id(token: str) -> str:
    return jwt.decode(token, options={"verify_signature": False})["jti"]
