"""The app's engine: schema migrations (Alembic), on SQLite and PostgreSQL alike, the liveness
check of pooled connections, and multi-row inserts on PostgreSQL."""
from __future__ import annotations

import time
from pathlib import Path

from alembic import command
from alembic.config import Config
from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError

from ..models import db

MIGRATIONS = Path(__file__).parent.parent / "migrations"

PING_AFTER_IDLE_SECONDS = 1.0
"""A pooled connection idle longer than this is pinged before use (see `ping_idle_connections`)."""


def ping_idle_connections(engine: Engine, idle_seconds: float = PING_AFTER_IDLE_SECONDS) -> None:
    """Check a pooled connection before use when it sat idle for more than `idle_seconds`; a dead
    one is replaced, so a database restart or a dropped idle connection costs no request.

    SQLAlchemy's `pool_pre_ping` pings on every checkout: a round trip that was half of a wallet
    listing's. A connection returned a few milliseconds ago is alive (HikariCP skips its check
    within 500 ms for the same reason); a restart in that window fails requests in flight anyway."""

    @event.listens_for(engine, "connect")
    @event.listens_for(engine, "checkin")
    def _fresh_or_returned(dbapi_connection, record):
        record.info["returned_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection, record, proxy):
        if time.monotonic() - record.info.get("returned_at", float("-inf")) <= idle_seconds:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:  # any failure of the ping: the pool retries with a new connection
            raise DisconnectionError(f"pooled connection failed its ping: {exc}") from exc
        if not alive:
            raise DisconnectionError("pooled connection failed its ping")


def multi_row_inserts(engine: Engine) -> None:
    """On PostgreSQL, an INSERT of a list of rows (`execute(insert(table), rows)`) is sent as multi-row
    `INSERT ... VALUES` statements, as SQLAlchemy already does for psycopg2 and for `INSERT ... RETURNING`
    ("insertmanyvalues"). psycopg 3's executemany pipelines one statement per row, each executed by
    PostgreSQL on its own: a batch group's signatures, audit events and outbox rows cost the server
    about 1.5 times the CPU that way (measured on 32-row inserts)."""
    if engine.dialect.name == "postgresql" and engine.dialect.use_insertmanyvalues:
        engine.dialect.use_insertmanyvalues_wo_returning = True


def alembic_config(connection) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def upgrade(app: Flask, revision: str = "head") -> None:
    with app.app_context(), db.engine.begin() as connection:
        command.upgrade(alembic_config(connection), revision)


def register_commands(app: Flask) -> None:
    @app.cli.command("db-upgrade")
    def db_upgrade():
        """Apply database migrations."""
        upgrade(app)
