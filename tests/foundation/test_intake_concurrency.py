"""Two case systems posting the first results of a new citizen at the same moment: both are stored,
under one citizen (the second intake meets the first's citizen on the unique key)."""
from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa

from wallet_service.models import Citizen, Result, db

from .test_intake_api import metadata, pdf, post  # noqa: F401 (pdf is a fixture)

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
    raise AssertionError("the intake never waited on the concurrent citizen INSERT")


def test_a_citizen_created_by_a_concurrent_intake_is_joined_not_a_500(app, client, case_system, pdf):  # noqa: F811
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers: the race needs PostgreSQL's concurrent transactions")
    other = sa.create_engine(db.engine.url, poolclass=sa.pool.NullPool)
    with other.connect() as concurrent:
        # Another intake has inserted the same new citizen and not committed yet.
        concurrent.execute(sa.insert(Citizen.__table__).values(personal_id=NEWBORN["citizen_id"], full_name="x"))
        answer = {}
        intake = threading.Thread(target=lambda: answer.update(response=post(client, case_system, pdf, metadata(**NEWBORN))))
        intake.start()
        _wait_until_an_intake_waits_on_a_lock(other)  # the citizens' unique key: the race is on
        concurrent.commit()
        intake.join(30)
    other.dispose()
    response = answer["response"]
    assert response.status_code == 201, response.get_json()
    citizens = db.session.scalars(sa.select(Citizen).where(Citizen.personal_id == NEWBORN["citizen_id"])).all()
    assert len(citizens) == 1
    assert db.session.get(Result, response.json["id"]).citizen_id == citizens[0].id
