"""The server under load for bench/load.py: a free loopback port, a fresh database beside a PostgreSQL
one, the instance and environment it runs with, gunicorn with the production configuration until it
answers, and py-spy attached to it."""
from __future__ import annotations

import os
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
def fresh_database(url: str | None, prefix: str = "wallet_load_"):
    """A new database beside the one `url` names, its name starting with `prefix` (dropped afterwards),
    or None for SQLite."""
    if not url:
        yield None
        return
    import sqlalchemy as sa

    server = sa.engine.make_url(url)
    name = f"{prefix}{uuid.uuid4().hex[:10]}"
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
            [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"],
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
        [str(BIN / "py-spy"), "record", "--pid", str(pid), "--subprocesses", "--gil", "--rate", "100",
         "--format", "raw", "--duration", str(int(duration) + 1), "-o", str(folder / f"{name}.txt")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    time.sleep(1)  # py-spy attaches before the first request
    try:
        yield
    finally:
        spy.wait(60)


def service_env(port: int, instance: Path, database_url: str | None, ratelimit_storage: str) -> dict[str, str]:
    """The service's environment: this process's, with a fresh instance, loopback address, rate limits
    raised for the bench and, when given, the fresh database."""
    base_url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "INSTANCE_PATH": str(instance),
        "PUBLIC_BASE_URL": base_url,
        "BIND": f"127.0.0.1:{port}",
        "GUNICORN_ACCESS_LOG": "",  # none, as in production (formatting a line costs ~5 % of a cheap request)
        "RATE_LIMIT_LOGIN": UNLIMITED,
        "RATE_LIMIT_VERIFY": UNLIMITED,
        "RATE_LIMIT_VERIFY_REGISTERED": UNLIMITED,
        "RATE_LIMIT_INTAKE": UNLIMITED,
        # Counted where production counts them (README: shared storage), when that server is here.
        "RATELIMIT_STORAGE_URI": ratelimit_storage,
        # The few results it signs set up the verification load; no official is there to approve them.
        "DEV_OFFICIAL_SIGNING": "server",
        # The checkout the bench is in, for `wallet-service init` (its migrations) as for gunicorn.
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    env.pop("DATABASE_URL", None)
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def init_instance(env: dict[str, str], client: str) -> None:
    """`wallet-service init` (migrations, development PKI, demo data) and the case system `client`."""
    cli = [str(BIN / "wallet-service")]
    subprocess.run(cli + ["init"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    subprocess.run(cli + ["clients", "add", client], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
