"""Celery for real: worker and beat processes (`celery -A wallet_service.worker ...`) on a real broker,
the app's database on PostgreSQL, the development PKI's TSA/OCSP served by `live_app` while they sign,
and a counting store (tests/delivery/receiver.py) as the external delivery target.

Tests here run only when WALLET_TEST_DATABASE_URL is set (worker processes share the database with the
test; SQLite's one-writer file is not what production runs on) and the broker answers."""
from __future__ import annotations

import json
import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from itertools import repeat
from pathlib import Path
from urllib.parse import urlsplit

import jwt
import pytest
import requests
from sqlalchemy import func, select

from tests.delivery.receiver import CountingStore
from wallet_service.dev.demo import CITIZENS, result_pdf
from wallet_service.models import Agency, AuditEvent, Delivery, Result, ResultSignature, db
from wallet_service.results import audit
from wallet_service.results.intake import submit_result
from wallet_service.services import services

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("WALLET_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
RABBITMQ_URL = os.environ.get("WALLET_TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672//")
AGENCY1 = "000.00.15.H40"
DELIVERY_LEASE_SECONDS = 30  # a killed worker's claimed deliveries go out again this much later
# A killed worker's batch is taken over once its lease runs out: short in the default suite, the
# production default for the volume run (`make test-scale` sets WALLET_SCALE_RESULTS=1000).
SCALE_RESULTS = int(os.environ.get("WALLET_SCALE_RESULTS", "60"))
VOLUME_RUN = SCALE_RESULTS >= 500
BATCH_LEASE_SECONDS = 60 if VOLUME_RUN else 10
BATCH_RESUME_SECONDS = 15 if VOLUME_RUN else 3


def answers(url: str) -> bool:
    """Something listens at the broker URL's host and port."""
    parts = urlsplit(url)
    default_port = 6379 if parts.scheme.startswith("redis") else 5672
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or default_port), timeout=2):
            return True
    except OSError:
        return False


def require_postgres_and(broker_url: str, database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("Celery workers run against PostgreSQL only (set WALLET_TEST_DATABASE_URL)")
    if not answers(broker_url):
        pytest.skip(f"no broker at {broker_url}")


def session_processes(session_id: int) -> dict[int, list[str]]:
    """The live processes of a session (a worker started in its own, with its children): pid -> the
    fields of /proc/PID/stat after the command name (Linux)."""
    found = {}
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == session_id:  # field 6 of stat: the session id
            found[int(entry)] = fields
    return found


@dataclass
class Fleet:
    """Celery processes of one test, each in its own process group (so SIGKILL takes its pool children too)."""

    environment: dict[str, str]
    logs: Path
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    def start(self, name: str, *arguments: str, machine: dict[str, str] | None = None) -> subprocess.Popen:
        """`machine`: settings of the process's own machine (e.g. its INSTANCE_PATH) over the shared ones."""
        log = open(self.logs / f"{name}.log", "w")  # a file, not a pipe: a full pipe would stall the worker
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "wallet_service.worker", *arguments],
            cwd=ROOT, env={**self.environment, **(machine or {})}, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self.processes[name] = process
        return process

    def worker(self, name: str, *options: str, machine: dict[str, str] | None = None) -> subprocess.Popen:
        return self.start(name, "worker", "--concurrency", "1", "--pool", "prefork", "--hostname", f"{name}@%h",
                          "--without-gossip", "--without-mingle", "--loglevel", "INFO", *options, machine=machine)

    def beat(self, machine: dict[str, str] | None = None) -> subprocess.Popen:
        return self.start("beat", "beat", "--loglevel", "INFO", machine=machine)

    def send(self, name: str, number: signal.Signals) -> None:
        """Send `number` to the worker's whole process group (SIGSTOP freezes it as a hung machine)."""
        os.killpg(self.processes[name].pid, number)

    def kill(self, name: str) -> None:
        """SIGKILL the whole worker (main process and pool child), as when its machine dies."""
        process = self.processes[name]
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)

    def process_count(self, name: str) -> int:
        """How many live processes the worker's session holds (itself, its pool and signing processes)."""
        return len(session_processes(self.processes[name].pid))

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=30)


@pytest.fixture
def store() -> Iterator[CountingStore]:
    server = CountingStore()
    yield server
    server.close()


@pytest.fixture
def celery_queue() -> str:
    """A queue of this test's own: a shared broker, and leftovers of other runs, never reach it."""
    return f"wallet-test-{uuid.uuid4().hex[:12]}"


def celery_environment(monkeypatch, tmp_path: Path, store: CountingStore, broker_url: str, queue: str) -> None:
    """What an operator sets, for the test's app and its worker processes alike."""
    targets = tmp_path / "targets.json"
    targets.write_text(json.dumps({"targets": [
        {"name": "portal", "type": "webhook", "url": store.url, "include_document": False, "timeout_seconds": 10},
    ]}))
    monkeypatch.setenv("CELERY_BROKER_URL", broker_url)
    monkeypatch.setenv("CELERY_QUEUE", queue)
    monkeypatch.setenv("DELIVERY_TARGETS_FILE", str(targets))
    monkeypatch.setenv("DELIVERY_POLL_SECONDS", "2")
    monkeypatch.setenv("DELIVERY_LEASE_SECONDS", str(DELIVERY_LEASE_SECONDS))
    monkeypatch.setenv("BATCH_LEASE_SECONDS", str(BATCH_LEASE_SECONDS))
    monkeypatch.setenv("BATCH_RESUME_SECONDS", str(BATCH_RESUME_SECONDS))
    # Volume and crash runs sign with server-held demo keys; the officials' own approval has its own tests.
    monkeypatch.setenv("DEV_OFFICIAL_SIGNING", "server")


@pytest.fixture
def fleet(live_app, database_url, tmp_path) -> Iterator[Fleet]:
    """Worker processes configured like `live_app` (same database, instance folder and public URL)."""
    settings = services(live_app).settings
    environment = dict(os.environ)
    environment.update(
        DATABASE_URL=database_url,
        INSTANCE_PATH=str(settings.instance_path),
        PUBLIC_BASE_URL=settings.public_base_url,
        SIGNING_WORKERS="2",  # a prefork pool process ignores it (daemonic: it signs in-process)
        PYTHONUNBUFFERED="1",
    )
    logs = tmp_path / "celery-logs"
    logs.mkdir()
    made = Fleet(environment, logs)
    yield made
    made.stop()


def _document(number: int, agency_name: str, agency_code: str) -> tuple[dict, bytes]:
    """Result `number`'s metadata and its demo PDF (module-level: it runs in a process pool)."""
    citizen = CITIZENS[number % len(CITIZENS)]
    dossier = f"{agency_code}-251201-{number:04d}"
    title = "Giấy chứng nhận đăng ký hộ kinh doanh"
    body = (f"Tên hộ kinh doanh: Hộ kinh doanh số {number}", "Địa điểm kinh doanh: phường Hạ Long, tỉnh Quảng Ninh")
    metadata = {
        "dossier_code": dossier, "procedure_code": "1.001612.000.00.00.H40",
        "procedure_name": "Đăng ký thành lập hộ kinh doanh", "citizen_id": citizen.personal_id,
        "citizen_name": citizen.full_name, "title": title, "agency_code": agency_code,
    }
    return metadata, result_pdf(agency_name, title, citizen.full_name, dossier, body)


def submit_results(app, count: int, agency_code: str = AGENCY1) -> list[str]:
    """`count` pending results, each with its own demo PDF (made on every core), through the API's intake."""
    agency = db.session.scalar(select(Agency).where(Agency.code == agency_code))
    documents = services(app).documents
    max_bytes = services(app).settings.max_document_bytes
    numbers = range(1, count + 1)
    # spawn: this process runs server threads, which fork would copy mid-flight.
    with ProcessPoolExecutor(mp_context=multiprocessing.get_context("spawn")) as pool:
        made = pool.map(_document, numbers, repeat(agency.name), repeat(agency_code), chunksize=25)
        ids = []
        for metadata, pdf in made:
            result, created = submit_result(db.session, documents, metadata, pdf, actor="test:scale", max_bytes=max_bytes)
            assert created
            ids.append(result.id)
    db.session.commit()
    return ids


def post_batches(client, headers: dict[str, str], ids: list[str], count: int) -> list[str]:
    """Sign `ids` as `count` batches through the API; the batches' ids."""
    size = -(-len(ids) // count)
    batch_ids = []
    for start in range(0, len(ids), size):
        created = client.post("/api/v1/signing-batches", json={"result_ids": ids[start:start + size]}, headers=headers)
        assert created.status_code == 202, created.get_json()
        batch_ids.append(created.get_json()["id"])
    return batch_ids


def wait_until(condition: Callable[[], bool], timeout: float, every: float = 1.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(every)
    return False


def statuses(ids: list[str]) -> dict[str, int]:
    """How many of `ids` are in each status, read fresh from the database."""
    db.session.expire_all()
    counts: dict[str, int] = {}
    for status in db.session.scalars(select(Result.status).where(Result.id.in_(ids))):
        counts[status] = counts.get(status, 0) + 1
    db.session.commit()  # end the read transaction: the workers write meanwhile
    return counts


def assert_recorded_once(ids: list[str]) -> None:
    """Exactly two signatures per result, at positions 1 (official) and 2 (agency seal); one audit record each."""
    positions: dict[str, list[int]] = {}
    for result_id, position in db.session.execute(select(ResultSignature.result_id, ResultSignature.position)):
        positions.setdefault(result_id, []).append(position)
    assert set(positions) == set(ids)
    assert {tuple(sorted(p)) for p in positions.values()} == {(1, 2)}
    signed_events = Counter(db.session.scalars(select(AuditEvent.result_id).where(AuditEvent.action == "result.signed")))
    assert set(signed_events) == set(ids) and set(signed_events.values()) == {1}
    assert audit.verify_chain(db.session) == []  # two workers appending concurrently kept one chain


def assert_each_delivered_once(app, store: CountingStore, ids: list[str]) -> None:
    """The store acted on each delivery's idempotency key once: one signed message per result."""
    deliveries = db.session.scalars(select(Delivery)).all()
    assert len(deliveries) == len(ids) and {d.status for d in deliveries} == {"sent"}
    assert sorted(store.state.accepted) == sorted(d.idempotency_key for d in deliveries)
    jwks = jwt.PyJWKSet.from_dict(requests.get(app.config["LIVE_URL"] + "/.well-known/jwks.json", timeout=10).json())
    delivered = Counter()
    for key, received in store.state.accepted.items():
        token = received.body.decode()
        claims = jwt.decode(token, jwks[jwt.get_unverified_header(token)["kid"]].key, algorithms=["ES256"],
                            audience=store.url)
        assert claims["jti"] == key and claims["event"] == "result.signed"
        delivered[claims["result"]["id"]] += 1
    assert set(delivered) == set(ids) and set(delivered.values()) == {1}
    # A POST can reach the store twice only if a worker died between sending and recording it (same key).
    resent = len(store.state.requests) - len(store.state.accepted)
    assert resent <= db.session.scalar(select(func.count()).select_from(Delivery).where(Delivery.attempts > 1))


@pytest.fixture
def broker_url() -> str:
    """Redis unless a test parametrizes it (`@pytest.mark.parametrize("broker_url", [RABBITMQ_URL])`)."""
    return REDIS_URL


@pytest.fixture
def deployment() -> str:
    """How the workers are deployed: `prefork` (one queue, each pool process signs a batch in-process) or
    `signing-queue` (the signing tasks in a queue of their own, for a worker with a signing process pool);
    a test parametrizes it to run under both."""
    return "prefork"


def signing_queue(celery_queue: str) -> str:
    return f"{celery_queue}-signing"


@pytest.fixture
def app(request, broker_url, database_url, store, celery_queue, deployment, monkeypatch, tmp_path):
    """`live_app` configured for Celery through the environment (skipped without PostgreSQL or the broker)."""
    require_postgres_and(broker_url, database_url)
    celery_environment(monkeypatch, tmp_path, store, broker_url, celery_queue)
    if deployment == "signing-queue":
        monkeypatch.setenv("CELERY_SIGNING_QUEUE", signing_queue(celery_queue))
    return request.getfixturevalue("live_app")
