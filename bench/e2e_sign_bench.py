"""Decree 30 results end to end through the service, against the signing pipeline alone, same N, same run.

    .venv/bin/python -m bench.e2e_sign_bench [--n 300] [--batches 2] [--signing prefork-queue|threads|prefork]
                                             [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

A fresh PostgreSQL database beside the one named (dropped at the end), the development PKI's TSA/OCSP
served by the app over loopback HTTP, Redis as the Celery broker (queues of this run's own), Celery beat
and two workers as subprocesses, and a counting webhook store as the one delivery target. The workers are
deployed as the README says: a signing worker reads the signing queue and runs two batches at once, and a
prefork worker (concurrency 1) takes everything else (deliveries). ``--signing``: ``prefork-queue``
(default) the signing worker is prefork, each batch signed in one of its two pool processes;
``threads`` it runs the batches in its main process on a shared pool of two signing processes
(``SIGNING_WORKERS=2``); ``prefork`` the earlier deployment, two prefork workers on one queue, signing
and delivering in turn. A case system posts N results through ``POST /api/v1/results``
(real HTTP, signed assertions); then an official posts them as ``--batches`` signing batches, the
official's key held by the service (``DEV_OFFICIAL_SIGNING=server``: nobody has to approve). Before the
clock, ``--batches`` batches of two results each are signed and delivered, so that each signing process
has signed a batch (it first loads its keys and connections, as the pipeline's pool is started before
its clock). The clock runs from the first batch post until every result is ``delivered``. Afterwards the pipeline alone
(``bench.sign_bench``'s ``decree30`` level, two processes) signs the same N in a subprocess, documents of the
same layout (``--documents signing-block``: the stamp at the signing block, as end to end).

CPU ms per result: the workers' process groups (main, pool and signing processes) between the first batch
post and the end, plus this process (the app that serves the PKI and receives the deliveries).
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

from bench.load_cpu import cpu_snapshot
from bench.load_server import fresh_database
from bench.sign_bench import _subprocess, start_pki, templates

AGENCY = "000.00.15.H40"
TARGET_RATIO = 0.8
"""The service's rate end to end against the pipeline's alone, in the same run."""
WARM_UP = 2
"""Results a batch of the warm-up signs before the clock starts: every signing process has run a batch, as
in a service that has been running (the pipeline alone is measured warm too)."""


def _session_ticks(session_id: int) -> dict[str, int]:
    """User + system CPU ticks of a session's live processes (a worker and its pool or signing
    processes): its main process apart from the others."""
    from tests.scale.conftest import session_processes

    total = {"main": 0, "others": 0}
    for pid, fields in session_processes(session_id).items():
        total["main" if pid == session_id else "others"] += int(fields[11]) + int(fields[12])
    return total


def _worker_cpu(sessions: dict[str, int]) -> dict[str, int]:
    """Ticks per worker and role: ``w1 main``, ``w1 others`` ..."""
    return {f"{name} {role}": ticks for name, session in sessions.items()
            for role, ticks in _session_ticks(session).items()}


def _environment(folder: Path, store_url: str, broker_url: str, signing: str) -> None:
    """What an operator sets, for this process's app and the worker processes alike."""
    targets = folder / "targets.json"
    targets.write_text(json.dumps({"targets": [
        {"name": "portal", "type": "webhook", "url": store_url, "include_document": False, "timeout_seconds": 10},
    ]}))
    queue = f"wallet-bench-{uuid.uuid4().hex[:12]}"
    os.environ.update(
        CELERY_BROKER_URL=broker_url, CELERY_QUEUE=queue, SIGNING_WORKERS="2",
        CELERY_SIGNING_QUEUE=f"{queue}-signing" if signing != "prefork" else "",
        DELIVERY_TARGETS_FILE=str(targets), DELIVERY_POLL_SECONDS="2", DEV_OFFICIAL_SIGNING="server",
    )


def _start_workers(fleet, signing: str) -> list[str]:
    """The two workers: a signing worker and a prefork one for the rest, or two prefork workers on one
    queue (``signing == "prefork"``). The signing worker runs two batches at once, in its main process
    on a pool of two signing processes (``threads``) or one in each of its two pool processes
    (``prefork-queue``)."""
    if signing == "prefork":
        fleet.worker("w1")
    else:
        pool = "threads" if signing == "threads" else "prefork"
        fleet.worker("w1", "--pool", pool, "--concurrency", "2", "--queues", os.environ["CELERY_SIGNING_QUEUE"])
    fleet.worker("w2")
    return ["w1", "w2"]


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


def _statuses(engine: sa.Engine) -> dict[str, int]:
    """How many results are in each status, counted by PostgreSQL (the database holds this run's only):
    the poll costs the machine next to nothing, unlike loading every result."""
    with engine.connect() as connection:
        return dict(connection.execute(sa.text("SELECT status, count(*) FROM results GROUP BY status")).all())


def _sign_and_deliver(database_url: str, post, n: int, show_progress: bool,
                      delivered_before: int = 0) -> tuple[float, float | None]:
    """Post the batches and wait until all N results are delivered (beside `delivered_before` delivered
    earlier): the seconds that took, and those until all were signed."""
    counter = sa.create_engine(database_url, pool_size=1)
    start = time.perf_counter()
    post()
    posted_at, signed_at, progress = time.perf_counter() - start, None, []
    total = delivered_before + n
    while (counts := _statuses(counter)).get("delivered", 0) != total:
        progress.append((time.perf_counter() - start, counts))
        if signed_at is None and counts.get("signed", 0) + counts.get("delivered", 0) == total:
            signed_at = time.perf_counter() - start
        if time.perf_counter() - start > 1800:
            raise SystemExit(f"not all delivered after 30 min: {counts}")
        time.sleep(0.2)
    seconds = time.perf_counter() - start
    counter.dispose()
    if show_progress:
        print(f"batches posted after {posted_at:.2f} s", *(f"{t:.1f} s {c}" for t, c in progress[::3]), sep="\n")
    return seconds, signed_at


def _wait_ready(fleet, names: list[str], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not all(" ready." in fleet.log(name) for name in names):
        if time.monotonic() > deadline:
            raise SystemExit("workers not ready:\n" + "\n".join(fleet.log(name)[-2000:] for name in names))
        time.sleep(0.2)


def _profile(workers: list[int], profile: Path | None) -> list[subprocess.Popen]:
    """py-spy on each worker with its pool and signing processes, and on this app alone (the workers
    are its children too), folded stacks in `profile` (empty without it)."""
    if profile is None:
        return []
    profile.mkdir(parents=True, exist_ok=True)
    py_spy = str(Path(sys.executable).with_name("py-spy"))
    targets = [(pid, f"worker-{pid}.txt", ["--subprocesses"]) for pid in workers] + [(os.getpid(), "app.txt", [])]
    return [subprocess.Popen([py_spy, "record", *children, "--nonblocking", "--gil", "--format", "raw", "-r", "200",
                              "-p", str(pid), "-o", str(profile / name)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for pid, name, children in targets]


def run_service(database_url: str, folder: Path, n: int, batches: int, broker_url: str, signing: str,
                profile: Path | None = None, show_progress: bool = False) -> dict:
    from tests.conftest import login_as, official_principal
    from tests.delivery.receiver import CountingStore
    from tests.scale.conftest import Fleet, post_batches
    from wallet_service.services import services

    folder.mkdir()
    store = CountingStore()
    _environment(folder, store.url, broker_url, signing)
    app, url, server = _serve_app(database_url, folder)
    with app.app_context():
        start = time.perf_counter()
        ids = _post_results(app, url, n + WARM_UP * batches)
        intake = time.perf_counter() - start
        warm_up, ids = ids[:WARM_UP * batches], ids[WARM_UP * batches:]
        settings = services(app).settings
        environment = dict(os.environ, DATABASE_URL=database_url, INSTANCE_PATH=str(settings.instance_path),
                           PUBLIC_BASE_URL=settings.public_base_url, PYTHONUNBUFFERED="1")
        (folder / "logs").mkdir()
        fleet = Fleet(environment, folder / "logs")
        try:
            fleet.beat()
            workers = _start_workers(fleet, signing)
            _wait_ready(fleet, workers)
            client = app.test_client()
            csrf = {"X-CSRFToken": login_as(app, client, official_principal("official1"))}
            _sign_and_deliver(database_url, lambda: post_batches(client, csrf, warm_up, batches), len(warm_up), False)
            sessions = {name: fleet.processes[name].pid for name in workers}
            spies = _profile(list(sessions.values()), profile)
            database = sa.engine.make_url(database_url).database
            ticks, cpu, services_before = _worker_cpu(sessions), time.process_time(), cpu_snapshot(os.getpid(), database)
            seconds, signed_at = _sign_and_deliver(database_url, lambda: post_batches(client, csrf, ids, batches), n,
                                                   show_progress, delivered_before=len(warm_up))
            per_role = {role: (after - ticks.get(role, 0)) * 1000 / os.sysconf("SC_CLK_TCK") / n
                        for role, after in _worker_cpu(sessions).items()}
            main_cpu = time.process_time() - cpu
            services_after = cpu_snapshot(os.getpid(), database)
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
    assert len(store.state.accepted) == n + len(warm_up), f"the store accepted {len(store.state.accepted)} of {n + len(warm_up)}"
    return {"intake_rate": (n + len(warm_up)) / intake, "seconds": seconds, "rate": n / seconds, "signed_seconds": signed_at,
            "worker_cpu_ms": sum(per_role.values()), "per_role_ms": per_role,
            "database_ms": (services_after["database"] - services_before["database"]) * 1000 / n,
            "redis_ms": (services_after["redis"] - services_before["redis"]) * 1000 / n,
            "main_cpu_ms": main_cpu * 1000 / n, "load": load}


def _service_cpu_ms(service: dict) -> float:
    """Everything the service spent a result: workers, the app (with the PKI and the webhook store) and
    PostgreSQL."""
    return service["worker_cpu_ms"] + service["main_cpu_ms"] + service["database_ms"] + service["redis_ms"]


def run_pipeline(folder: Path, n: int, workers: int) -> dict:
    tmpl_dir = folder / "templates"
    tmpl_dir.mkdir()
    templates(tmpl_dir, "signing-block")  # laid out as the results posted end to end
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
    parser.add_argument("--signing", choices=("prefork-queue", "threads", "prefork"), default="prefork-queue",
                        help="how the workers are deployed (default: a prefork signing worker beside another)")
    parser.add_argument("--progress", action="store_true", help="print the results' statuses as they change")
    parser.add_argument("--profile", type=Path, help="a folder for py-spy's folded stacks of the workers")
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per TSA/OCSP request otherwise

    print(f"load average at start {' '.join(f'{x:.2f}' for x in os.getloadavg())}; CPUs: {os.cpu_count()}", flush=True)
    with fresh_database(args.database_url, "e2e_sign_bench_") as url, \
            tempfile.TemporaryDirectory(prefix="e2e-bench-") as folder:
        service = run_service(url, Path(folder) / "service", args.n, args.batches, args.broker_url,
                              args.signing, args.profile, args.progress)
        (Path(folder) / "pipeline").mkdir()
        pipe = run_pipeline(Path(folder) / "pipeline", args.n, 2)
    print(f"results: {args.n} in {args.batches} batches, signing workers: {args.signing}; intake through the API: {service['intake_rate']:.1f} results/s")
    print(f"end to end (batch post -> all delivered): {service['seconds']:.1f} s = {service['rate']:.1f} results/s"
          f" (all signed after {service['signed_seconds'] or service['seconds']:.1f} s); load {service['load']:.2f}")
    roles = ", ".join(f"{role} {ms:.1f}" for role, ms in service["per_role_ms"].items())
    print(f"CPU ms per result: workers {service['worker_cpu_ms']:.1f} ({roles}), "
          f"app (PKI services, store) {service['main_cpu_ms']:.1f}, PostgreSQL {service['database_ms']:.1f}, "
          f"Redis {service['redis_ms']:.1f}")
    print(f"pipeline alone (decree30, 2 processes): {pipe['seconds']:.1f} s = {pipe['rate']:.1f} results/s, "
          f"CPU ms per result {pipe['cpu_ms']:.1f} + PKI {pipe['pki_ms']:.1f}; load {os.getloadavg()[0]:.2f}")
    ratio = service["rate"] / pipe["rate"]
    print(f"end to end / pipeline: {ratio:.0%} (target >= {TARGET_RATIO:.0%}: {'met' if ratio >= TARGET_RATIO else 'NOT met'}; "
          f"by CPU {(pipe['cpu_ms'] + pipe['pki_ms']) / _service_cpu_ms(service):.0%})")


if __name__ == "__main__":
    main()
