"""The server under load for bench/load.py: a free loopback port, a fresh database beside a PostgreSQL
one, gunicorn with the production configuration until it answers, and py-spy attached to it."""
from __future__ import annotations

import socket
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
UNLIMITED = "1000000 per minute"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def fresh_database(url: str | None):
    """A new database beside the one `url` names (dropped afterwards), or None for SQLite."""
    if not url:
        yield None
        return
    import sqlalchemy as sa

    server = sa.engine.make_url(url)
    name = f"wallet_load_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def gunicorn(env: dict[str, str], base_url: str, log_path: Path):
    with open(log_path, "wb") as log:
        server = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "--access-logfile", "/dev/null", "wsgi:app"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                if server.poll() is not None:
                    raise SystemExit(f"gunicorn exited ({server.returncode}); see {log_path}")
                try:
                    if requests.get(f"{base_url}/healthz", timeout=5).ok:
                        break
                except (requests.ConnectionError, requests.Timeout):  # workers still starting
                    pass
                if time.monotonic() > deadline:
                    raise SystemExit(f"gunicorn did not answer within 60 s; see {log_path}")
                time.sleep(0.2)
            yield server
        finally:
            server.terminate()
            try:
                server.wait(30)
            except subprocess.TimeoutExpired:
                server.kill()


@contextmanager
def profiled(pid: int, folder: Path | None, name: str, duration: float):
    """py-spy sampling the gunicorn master and its workers while the scenario runs."""
    if folder is None:
        yield
        return
    folder.mkdir(parents=True, exist_ok=True)
    spy = subprocess.Popen(
        [str(BIN / "py-spy"), "record", "--pid", str(pid), "--subprocesses", "--rate", "100",
         "--format", "raw", "--duration", str(int(duration) + 1), "-o", str(folder / f"{name}.txt")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    time.sleep(1)  # py-spy attaches before the first request
    try:
        yield
    finally:
        spy.wait(60)
