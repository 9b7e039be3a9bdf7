"""Pooled database connections that died while idle (a restart, a firewall, an idle timeout) are
replaced before a request uses them."""
from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from wallet_service.models import db
from wallet_service.platform import database

from ..conftest import login_as
from ..wallet.conftest import CITIZEN1, citizen_principal

pytestmark = pytest.mark.postgres  # SQL behaviour: runs on PostgreSQL too


def _backend_pids(app) -> set[int]:
    with app.app_context(), db.engine.connect() as conn:
        return {conn.execute(sa.text("SELECT pg_backend_pid()")).scalar()}


def test_a_connection_killed_while_idle_is_replaced_before_the_next_request(app, client, demo_results):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the database server drops connections on PostgreSQL only")
    login_as(app, client, citizen_principal(CITIZEN1))
    assert client.get("/api/v1/wallet/results").status_code == 200
    pooled = _backend_pids(app)
    admin = sa.create_engine(db.engine.url, poolclass=sa.pool.NullPool)
    with admin.connect() as conn:  # what a restart or an idle timeout of the server does
        killed = conn.execute(sa.text("SELECT count(*) FROM pg_stat_activity, pg_terminate_backend(pid) "
                                      "WHERE pid = ANY(:pids)"), {"pids": list(pooled)}).scalar()
    admin.dispose()
    assert killed == len(pooled)
    time.sleep(database.PING_AFTER_IDLE_SECONDS + 0.2)
    listed = client.get("/api/v1/wallet/results")
    assert listed.status_code == 200 and listed.json
    assert _backend_pids(app).isdisjoint(pooled)
