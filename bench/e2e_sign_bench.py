"""Decree 30 results end to end through the service, against the signing pipeline alone, same N, same run.

    .venv/bin/python -m bench.e2e_sign_bench [--n 300] [--batches 2]
                                             [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

A fresh PostgreSQL database beside the one named (dropped at the end), the development PKI's TSA/OCSP
served by the app over loopback HTTP, Redis as the Celery broker (a queue of this run's own), Celery beat
and two workers (prefork, concurrency 1 each) as subprocesses, and a counting webhook store as the one
delivery target. A case system posts N results through ``POST /api/v1/results`` (real HTTP, signed
assertions); then an official posts them as ``--batches`` signing batches (one per worker, so both sign),
the official's key held by the service (``DEV_OFFICIAL_SIGNING=server``: nobody has to approve). The clock
runs from the first batch post until every result is ``delivered``. Afterwards the pipeline alone
(``bench.sign_bench``'s ``decree30`` level, two processes) signs the same N in a subprocess.

CPU ms per result: the workers' process groups (main + pool child) between the first batch post and the
end, plus this process (the app that serves the PKI and receives the deliveries).
"""
from __future__ import annotations

import argparse
import json
import logging
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from itertools import repeat
from pathlib import Path

import requests
import sqlalchemy as sa

from bench.load_server import fresh_database
from bench.sign_bench import _subprocess, start_pki, templates

AGENCY = "000.00.15.H40"


def _session_ticks(session_id: int) -> int:
    """User + system CPU ticks of every live process in a session (a worker and its pool children)."""
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == session_id:  # field 6 of stat: the session id
            total += int(fields[11]) + int(fields[12])
    return total


def _environment(folder: Path, store_url: str, broker_url: str) -> None:
    """What an operator sets, for this process's app and the worker processes alike."""
    targets = folder / "targets.json"
    targets.write_text(json.dumps({"targets": [
        {"name": "portal", "type": "webhook", "url": store_url, "include_document": False, "timeout_seconds": 10},
    ]}))
    os.environ.update(
        CELERY_BROKER_URL=broker_url, CELERY_QUEUE=f"wallet-bench-{uuid.uuid4().hex[:12]}",
        DELIVERY_TARGETS_FILE=str(targets), DELIVERY_POLL_SECONDS="2", DEV_OFFICIAL_SIGNING="server",
    )


def _serve_app(database_url: str, folder: Path):
    """The app served on loopback with the development PKI (as the scale tests' `live_app`)."""
    from tests.pki import PKI_MOUNT, LateBoundApp, make_pki, serve
    from wallet_service import create_app
    from wallet_service.platform import database
    from wallet_service.services import services

    late_bound = LateBoundApp()
    url, server = serve(late_bound)
    pki = make_pki(folder / "pki", url + PKI_MOUNT, "trusted")
    instance = folder / "instance"
    shutil.copytree(pki.directory, instance / "pki")
    app = create_app({"database_url": database_url, "instance_path": instance, "public_base_url": url,
                      "signing_workers": 1, "LIVE_URL": url, "TESTING": True})
    database.upgrade(app)
    with app.app_context():
        for step in services(app).init_steps:
            step(app)
    late_bound.target = app.wsgi_app
    return app, url, server


def _post_results(app, url: str, n: int) -> list[str]:
    """N results through the API, as a registered case system posts them."""
    from tests.conftest import register_case_system_in
    from tests.scale.conftest import _document
    from wallet_service.dev import demo as demo_data
    from wallet_service.models import Agency, db
    from wallet_service.services import services

    demo_data.load_people(db.session, services(app).settings.public_base_url)
    case_system = register_case_system_in(app, "mot-cua", (AGENCY,))
    agency = db.session.scalar(sa.select(Agency).where(Agency.code == AGENCY))
    ids = []
    with ProcessPoolExecutor(mp_context=multiprocessing.get_context("spawn")) as pool, requests.Session() as http:
        for metadata, pdf in pool.map(_document, range(1, n + 1), repeat(agency.name), repeat(AGENCY), chunksize=25):
            posted = http.post(f"{url}/api/v1/results", headers=case_system.headers(), timeout=60,
                               data={"metadata": json.dumps(metadata)}, files={"document": ("r.pdf", pdf)})
            assert posted.status_code == 201, posted.text
            ids.append(posted.json()["id"])
    return ids


def _wait_ready(fleet, names: list[str], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not all(" ready." in fleet.log(name) for name in names):
        if time.monotonic() > deadline:
            raise SystemExit("workers not ready:\n" + "\n".join(fleet.log(name)[-2000:] for name in names))
        time.sleep(0.2)


def _profile(pids: list[int], profile: Path | None) -> list[subprocess.Popen]:
    """py-spy on each worker and its pool child, folded stacks in `profile` (empty without it)."""
    if profile is None:
        return []
    profile.mkdir(parents=True, exist_ok=True)
    return [subprocess.Popen([str(Path(sys.executable).with_name("py-spy")), "record", "--subprocesses", "--nonblocking",
                              "--format", "raw", "-r", "50", "-p", str(pid), "-o", str(profile / f"worker-{pid}.txt")],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for pid in pids]


def run_service(database_url: str, folder: Path, n: int, batches: int, broker_url: str,
                profile: Path | None = None) -> dict:
    from tests.conftest import login_as, official_principal
    from tests.delivery.receiver import CountingStore
    from tests.scale.conftest import Fleet, post_batches, statuses
    from wallet_service.services import services

    folder.mkdir()
    store = CountingStore()
    _environment(folder, store.url, broker_url)
    app, url, server = _serve_app(database_url, folder)
    with app.app_context():
        start = time.perf_counter()
        ids = _post_results(app, url, n)
        intake = time.perf_counter() - start
        settings = services(app).settings
        environment = dict(os.environ, DATABASE_URL=database_url, INSTANCE_PATH=str(settings.instance_path),
                           PUBLIC_BASE_URL=settings.public_base_url, PYTHONUNBUFFERED="1")
        (folder / "logs").mkdir()
        fleet = Fleet(environment, folder / "logs")
        try:
            fleet.beat()
            workers = ["w1", "w2"]
            for name in workers:
                fleet.worker(name)
            _wait_ready(fleet, workers)
            client = app.test_client()
            csrf = {"X-CSRFToken": login_as(app, client, official_principal("official1"))}
            sessions = [fleet.processes[name].pid for name in workers]
            spies = _profile(sessions, profile)
            ticks, cpu = sum(_session_ticks(s) for s in sessions), time.process_time()
            start = time.perf_counter()
            post_batches(client, csrf, ids, batches)
            signed_at = None
            while (counts := statuses(ids)) != {"delivered": n}:
                if signed_at is None and counts.get("signed", 0) + counts.get("delivered", 0) == n:
                    signed_at = time.perf_counter() - start
                if time.perf_counter() - start > 1800:
                    raise SystemExit(f"not all delivered after 30 min: {counts}")
                time.sleep(0.2)
            seconds = time.perf_counter() - start
            worker_cpu = (sum(_session_ticks(s) for s in sessions) - ticks) / os.sysconf("SC_CLK_TCK")
            main_cpu = time.process_time() - cpu
            load = os.getloadavg()[0]
            for spy in spies:
                spy.send_signal(signal.SIGINT)
                spy.wait(timeout=60)
        finally:
            fleet.stop()
            from wallet_service.models import db
            db.session.remove()
            db.engine.dispose()
            server.shutdown()
            store.close()
    assert len(store.state.accepted) == n, f"the store accepted {len(store.state.accepted)} of {n}"
    return {"intake_rate": n / intake, "seconds": seconds, "rate": n / seconds, "signed_seconds": signed_at,
            "worker_cpu_ms": worker_cpu * 1000 / n, "main_cpu_ms": main_cpu * 1000 / n, "load": load}


def run_pipeline(folder: Path, n: int, workers: int) -> dict:
    tmpl_dir = folder / "templates"
    tmpl_dir.mkdir()
    templates(tmpl_dir)
    pki_proc = start_pki(folder / "pki")
    try:
        return _subprocess("pipeline", folder / "pki", tmpl_dir, n, "decree30", workers, pki_proc.pid)
    finally:
        pki_proc.terminate()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=300, help="results (default 300)")
    parser.add_argument("--batches", type=int, default=2, help="signing batches the official posts (default 2)")
    parser.add_argument("--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--broker-url", default=os.environ.get("WALLET_TEST_REDIS_URL", "redis://127.0.0.1:6379/0"))
    parser.add_argument("--profile", type=Path, help="a folder for py-spy's folded stacks of the workers")
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per TSA/OCSP request otherwise

    print(f"load average at start {' '.join(f'{x:.2f}' for x in os.getloadavg())}; CPUs: {os.cpu_count()}", flush=True)
    with fresh_database(args.database_url, "e2e_sign_bench_") as url, \
            tempfile.TemporaryDirectory(prefix="e2e-bench-") as folder:
        service = run_service(url, Path(folder) / "service", args.n, args.batches, args.broker_url, args.profile)
        (Path(folder) / "pipeline").mkdir()
        pipe = run_pipeline(Path(folder) / "pipeline", args.n, 2)
    print(f"results: {args.n} in {args.batches} batches; intake through the API: {service['intake_rate']:.1f} results/s")
    print(f"end to end (batch post -> all delivered): {service['seconds']:.1f} s = {service['rate']:.1f} results/s"
          f" (all signed after {service['signed_seconds'] or service['seconds']:.1f} s); load {service['load']:.2f}")
    print(f"CPU ms per result: workers {service['worker_cpu_ms']:.1f}, app (PKI services, store) {service['main_cpu_ms']:.1f}")
    print(f"pipeline alone (decree30, 2 processes): {pipe['seconds']:.1f} s = {pipe['rate']:.1f} results/s, "
          f"CPU ms per result {pipe['cpu_ms']:.1f} + PKI {pipe['pki_ms']:.1f}; load {os.getloadavg()[0]:.2f}")
    print(f"end to end / pipeline: {service['rate'] / pipe['rate']:.0%} (target >= 80 %)")


if __name__ == "__main__":
    main()
