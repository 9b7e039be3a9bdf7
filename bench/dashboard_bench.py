"""The leaders' dashboard and `GET /api/v1/stats` over 1,000,000 results in PostgreSQL.

    .venv/bin/python -m bench.dashboard_bench [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
                                              [--results 1000000] [--rounds 20] [--keep]

Creates a fresh database beside the one named, migrates it, adds the demo people and 20 more agencies
of the province, and fills it with ``--results`` results over the last 365 days in one
``INSERT ... SELECT FROM generate_series`` (1 % annulled; 2 % of the last 30 days' still pending, as a
queue holds recent dossiers; the rest delivered; a deadline on 80 %, a rating on one delivered result
in ten), then VACUUM ANALYZE. ``--database NAME`` measures a database filled by an earlier ``--keep`` run. It then asks, through the app in this process (a
logged-in leader's session, as a browser would), for the default view (the last 30 days) of:
the leader's agency (the dashboard page and the JSON), and the province-wide view (every agency).
Each line gives wall-clock p50/p95/max over ``--rounds`` after two warm-up requests, and the CPU
milliseconds per request of this process and of the PostgreSQL backends. The database is dropped
at the end unless ``--keep``.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa  # noqa: E402

_FILL = """
INSERT INTO results (id, dossier_code, procedure_code, procedure_name, title, citizen_id, citizen_name, agency_id,
                     extra, status, original_sha256, original_size, created_at, updated_at, received_at, due_at,
                     signed_at, delivered_at, annulled_at)
SELECT md5('r' || g)::uuid::text,
       a.code || '-' || to_char(t.created, 'YYMMDD') || '-' || lpad((g % 10000)::text, 4, '0') || '-' || g,
       p.code, p.name, p.name, c.id, c.full_name, a.id, '{}',
       CASE WHEN t.pending THEN 'pending_signature' WHEN g % 100 = 2 THEN 'annulled' ELSE 'delivered' END,
       md5('d' || g) || md5('e' || g), 50000, t.created, t.created, t.created - interval '2 days',
       CASE WHEN g % 10 < 8 THEN t.created + interval '3 days' END,
       CASE WHEN NOT t.pending THEN t.created + (g % 97) * interval '1 hour' END,
       CASE WHEN NOT t.pending THEN t.created + (g % 97) * interval '1 hour' + interval '5 minutes' END,
       CASE WHEN g % 100 = 2 THEN t.created + interval '200 hours' END
FROM generate_series(1, :n) AS g
CROSS JOIN LATERAL (SELECT now() - (g % 365) * interval '1 day' - (g % 1440) * interval '1 minute' AS created,
                           g % 100 < 2 AND g % 365 < 30 AS pending) t
JOIN (SELECT id, code, row_number() OVER (ORDER BY id) - 1 AS k FROM agencies) a ON a.k = g % :agencies
JOIN (SELECT id, full_name, row_number() OVER (ORDER BY id) - 1 AS k FROM citizens) c ON c.k = g % :citizens
JOIN (VALUES (0, '1.001193.000.00.00.H40', 'Thủ tục đăng ký khai sinh'),
             (1, '1.001612.000.00.00.H40', 'Đăng ký thành lập hộ kinh doanh'),
             (2, '1.004222.000.00.00.H40', 'Xác nhận thông tin về cư trú'),
             (3, '1.009994.000.00.00.H40', 'Cấp giấy phép xây dựng'),
             (4, '2.000986.000.00.00.H40', 'Cấp bản sao trích lục hộ tịch'),
             (5, '1.000894.000.00.00.H40', 'Đăng ký kết hôn')) AS p(k, code, name) ON p.k = g % 6
"""
_RATINGS = """
INSERT INTO ratings (result_id, citizen_id, agency_id, stars, comment, created_at, updated_at)
SELECT id, citizen_id, agency_id, 1 + abs(hashtext(id)) % 5,
       CASE WHEN abs(hashtext(id)) % 7 = 0 THEN 'Cán bộ hướng dẫn tận tình' END, delivered_at + interval '1 day',
       delivered_at + interval '1 day'
FROM results WHERE status = 'delivered' AND abs(hashtext(id)) % 10 = 0
"""


def _fill(app, n: int) -> None:
    from wallet_service.dev import demo
    from wallet_service.models import Agency, Citizen, db

    with app.app_context():
        demo.load_people(db.session, "http://127.0.0.1/dev-oidc")
        for k in range(20):
            db.session.add(Agency(code=f"000.00.{30 + k:02d}.H40", name=f"UBND xã thử nghiệm số {k + 1}", province_code="22"))
        db.session.commit()
        agencies = db.session.query(Agency).count()
        citizens = db.session.query(Citizen).count()
        started = time.perf_counter()
        with db.engine.begin() as conn:
            conn.execute(sa.text(_FILL), {"n": n, "agencies": agencies, "citizens": citizens})
            conn.execute(sa.text(_RATINGS))
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE"))  # what autovacuum does after a bulk load: index-only scans
        print(f"filled {n:,} results over {agencies} agencies in {time.perf_counter() - started:.0f} s")


def _client_for(app, username: str, roles: frozenset[str]):
    """A test client with `username`'s session, as the OpenID callback opens it."""
    from flask import session as flask_session
    from sqlalchemy import select

    from wallet_service.access import OFFICIAL, Principal
    from wallet_service.auth import sessions
    from wallet_service.models import Official, db

    with app.app_context():
        official = db.session.scalar(select(Official).where(Official.username == username))
        principal = Principal(OFFICIAL, official.id, official.full_name, frozenset({official.agency.code}), roles)
    client = app.test_client()
    with app.test_request_context():
        sessions.start(principal, principal.kind, id_token="")
        opened = dict(flask_session)
    with client.session_transaction() as stored:
        stored.update(opened)
    return client


def _backend_cpu(engine, database: str) -> float:
    """CPU seconds used so far by the PostgreSQL backends serving `database` (same machine)."""
    with engine.connect() as conn:
        pids = conn.execute(sa.text("SELECT pid FROM pg_stat_activity WHERE datname = :d"), {"d": database}).scalars().all()
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (FileNotFoundError, PermissionError):
            pass
    return total


def _measure(label: str, client, path: str, rounds: int, engine, database: str) -> None:
    for _ in range(2):
        assert client.get(path).status_code == 200, path
    times, cpu, db_cpu = [], time.process_time(), _backend_cpu(engine, database)
    for _ in range(rounds):
        started = time.perf_counter()
        answer = client.get(path)
        times.append(time.perf_counter() - started)
        assert answer.status_code == 200, (path, answer.status_code)
    cpu, db_cpu = time.process_time() - cpu, _backend_cpu(engine, database) - db_cpu
    times.sort()
    p95 = times[max(0, int(len(times) * 0.95) - 1)]
    print(f"{label:<42} p50 {1000 * statistics.median(times):6.0f} ms  p95 {1000 * p95:6.0f} ms  "
          f"max {1000 * times[-1]:6.0f} ms   CPU/request: app {1000 * cpu / rounds:5.0f} ms, "
          f"PostgreSQL {1000 * db_cpu / rounds:5.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--results", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--database", help="an existing database filled by an earlier --keep run (kept)")
    args = parser.parse_args()

    from wallet_service import create_app
    from wallet_service.platform import database

    server = sa.engine.make_url(args.database_url)
    name = args.database or f"dashboard_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    if not args.database:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = server.set(database=name).render_as_string(hide_password=False)
    try:
        with tempfile.TemporaryDirectory() as folder:
            app = create_app({"database_url": url, "instance_path": folder, "TESTING": True})
            if not args.database:
                database.upgrade(app)
                _fill(app, args.results)
            print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
            leader = _client_for(app, "official1", frozenset({"leader"}))
            province = _client_for(app, "official1", frozenset({"province"}))
            for label, client, path in (
                ("dashboard page, one agency, 30 days", leader, "/official/dashboard"),
                ("GET /api/v1/stats, one agency, 30 days", leader, "/api/v1/stats"),
                ("dashboard page, province (22 agencies)", province, "/official/dashboard"),
                ("GET /api/v1/stats, province (22 agencies)", province, "/api/v1/stats"),
            ):
                _measure(label, client, path, args.rounds, admin, name)
            print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
            with app.app_context():
                from wallet_service.models import db
                db.engine.dispose()
    finally:
        if not args.keep and not args.database:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
