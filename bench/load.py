"""Load on the running service: gunicorn with the production configuration, driven over loopback at
a fixed arrival rate, p50/p99 latency and throughput per scenario.

    .venv/bin/python bench/load.py [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
                                   [--duration 10] [--warmup 2] [--wallet-rate 300] [--intake-rate 200]
                                   [--verify-rate 20] [--batch-rate 5] [--batch-size 50]
                                   [--scenarios wallet,verify,intake,batch] [--profile DIR]

What it does, all on 127.0.0.1 and bounded (each scenario sends rate x duration requests, at most
--duration 60 s, and waits at most 30 s per request):

1. A fresh INSTANCE_PATH and, with --database-url, a fresh database beside the one named (dropped at
   the end); SQLite under the instance otherwise. `wallet-service init` (migrations, development
   PKI, demo data), `wallet-service clients add` for a case system.
2. `gunicorn -c gunicorn.conf.py wsgi:app` on a free loopback port. Rate limits are raised for this
   server explicitly (RATE_LIMIT_LOGIN/VERIFY/INTAKE = 1000000 per minute): the bench measures the
   service, not Flask-Limiter refusing it.
3. Set-up through the public API as people and systems would use it: the case system posts
   --wallet-results results for citizen1, official1 logs in through the embedded provider's form
   and signs a few of them (POST /api/v1/signing-batches, polled to the end), citizen1 logs in.
4. Scenarios, one after another, each after --warmup seconds of the same load that are not counted:
   wallet  GET /api/v1/wallet/results as citizen1 (session cookie), who has several results;
   verify  POST /api/v1/verify with one of the signed PDFs (multipart; a registered document, so answered
           from the register after its first verification: bench/verify_bench.py measures full ones);
   verify-registered  the same PDF as application/pdf, after one full verification stored its report: each
           answer read from the register (checked: answered_from "register", TOTAL-PASSED);
   verify-registered-form  the same as multipart/form-data;
   intake  POST /api/v1/results with a fresh bearer assertion (unique jti) and a unique dossier code
           and document for every request;
   batch   POST /api/v1/result-batches, --batch-size such results per request (throughput in results).

The load generator is open-loop (asyncio + aiohttp; for verify-registered, prebuilt requests on
keep-alive asyncio streams, bench/load_raw.py): request i is due at start + i/rate whatever
happened to earlier ones, and its latency is counted from when it was due, so a slow server cannot
slow the generator down and hide its own queueing (the "coordinated omission" of closed-loop tools
such as wrk; wrk2 holds a rate but is not packaged in Debian). The generator shares the 2 cores with
the server; its own cost is part of every figure. Each line ends with the 1-minute load average: a
figure taken while something else used the cores says so.

Targets on a 2-core machine: wallet p99 <= 50 ms at 300 requests/s; intake >= 200 results/s; a registered
document verified from the register >= 1,000/s with p99 <= 50 ms.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.load_case_system import CLIENT, CaseSystem, result_template  # noqa: E402
from bench.load_cpu import cpu_per_request, cpu_snapshot  # noqa: E402
from bench.load_runner import Outcome, aiohttp_client, open_loop  # noqa: E402
from bench.load_scenarios import Scenarios  # noqa: E402
from bench.load_server import (  # noqa: E402
    UNLIMITED, fresh_database, free_port, gunicorn, init_instance, profiled, service_env,
)
from bench.load_setup import set_up_wallet  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="PostgreSQL server URL; a fresh database is made beside it. Default: SQLite.")
    parser.add_argument("--database-prefix", default="wallet_load_",
                        help="Name of the fresh database: this prefix and a random suffix.")
    parser.add_argument("--duration", type=float, default=10.0, help="Seconds per scenario (at most 60).")
    parser.add_argument("--warmup", type=float, default=2.0, help="Seconds at the same rate before each scenario, not counted.")
    parser.add_argument("--wallet-rate", type=float, default=300.0)
    parser.add_argument("--intake-rate", type=float, default=200.0)
    parser.add_argument("--verify-rate", type=float, default=20.0)
    parser.add_argument("--registered-rate", type=float, default=1000.0,
                        help="Scenarios verify-registered and verify-registered-form.")
    parser.add_argument("--batch-rate", type=float, default=5.0, help="Batch requests per second (scenario 'batch').")
    parser.add_argument("--batch-size", type=int, default=50, help="Results per batch request.")
    parser.add_argument("--wallet-results", type=int, default=12, help="Results citizen1 has in the wallet listing.")
    parser.add_argument("--signed", type=int, default=4, help="How many of them official1 signs first.")
    parser.add_argument("--scenarios", default="wallet,verify,intake,batch")
    parser.add_argument("--ratelimit-storage", default="redis://127.0.0.1:6379/15",
                        help="Flask-Limiter's counters, as in production; memory:// for one process each.")
    parser.add_argument("--keep", action="store_true", help="Keep the instance folder and print where it is.")
    parser.add_argument("--profile", type=Path, metavar="DIR",
                        help="Record each scenario's server side with py-spy (all workers) into DIR/<scenario>.txt "
                             "(collapsed stacks, for flamegraph.pl or speedscope; the thread holding the GIL: where the CPU goes).")
    return parser.parse_args()


def describe_server(env: dict[str, str], base_url: str, database_url: str | None, ratelimit_storage: str) -> None:
    workers = env.get("WEB_CONCURRENCY") or str(os.cpu_count())
    print(f"gunicorn gthread, {workers} workers x {env.get('GUNICORN_THREADS', '4')} threads on {base_url}; "
          f"database: {'PostgreSQL' if database_url else 'SQLite'}; rate limits {UNLIMITED} (bench only) "
          f"counted in {ratelimit_storage}")


def run_scenario(name: str, send, rate: float, per_request: int, scenario: Scenarios, server_pid: int,
                 args: argparse.Namespace, duration: float) -> Outcome:
    """One scenario after its warm-up, with its line printed: latencies, CPU per request, load average."""
    client = scenario.raw_client if name == "verify-registered" else aiohttp_client
    if args.warmup:  # workers' first requests (imports, pools, caches) are not what is measured
        scenario.prepare(name, max(1, int(rate * args.warmup)))
        asyncio.run(open_loop(name, rate, max(1, int(rate * args.warmup)), send, client=client))
    scenario.prepare(name, max(1, int(rate * duration)))
    database = args.database_name
    before = cpu_snapshot(server_pid, database)
    with profiled(server_pid, args.profile, name, duration):
        outcome = asyncio.run(open_loop(name, rate, max(1, int(rate * duration)), send, per_request, client))
    cpu = cpu_per_request(before, cpu_snapshot(server_pid, database), len(outcome.latencies))
    print(f"{outcome.line()}{cpu}  load avg {os.getloadavg()[0]:.1f}", flush=True)
    return outcome


def run_scenarios(scenario: Scenarios, server_pid: int, args: argparse.Namespace, duration: float) -> dict[str, Outcome]:
    """The scenarios --scenarios names, one after another."""
    scenarios = {"wallet": (scenario.wallet, args.wallet_rate, 1),
                 "verify": (scenario.verify, args.verify_rate, 1),
                 "verify-registered": (scenario.verify_registered, args.registered_rate, 1),
                 "verify-registered-form": (scenario.verify_registered_form, args.registered_rate, 1),
                 "intake": (scenario.intake, args.intake_rate, 1),
                 "batch": (scenario.batch, args.batch_rate, args.batch_size)}
    outcomes = {}
    for name in args.scenarios.split(","):
        send, rate, per_request = scenarios[name]
        outcomes[name] = run_scenario(name, send, rate, per_request, scenario, server_pid, args, duration)
    return outcomes


def print_verdicts(outcomes: dict[str, Outcome], args: argparse.Namespace) -> None:
    """Each measured scenario against its target on a 2-core machine."""
    if "wallet" in outcomes:
        verdict = "met" if outcomes["wallet"].p99() <= 0.050 and not outcomes["wallet"].errors else "NOT met"
        print(f"target wallet p99 <= 50 ms at {args.wallet_rate:.0f}/s: {verdict}")
    for name in ("verify-registered", "verify-registered-form"):
        if name in outcomes:
            outcome = outcomes[name]
            verdict = "met" if outcome.throughput() >= 1000 and outcome.p99() <= 0.050 and not outcome.errors else "NOT met"
            print(f"target {name} >= 1000/s, p99 <= 50 ms: {verdict} ({outcome.throughput():.1f}/s, "
                  f"p99 {outcome.p99() * 1000:.1f} ms)")
    if "intake" in outcomes:
        verdict = "met" if outcomes["intake"].throughput() >= 200 else "NOT met"
        print(f"target intake >= 200 results/s, one per request: {verdict} ({outcomes['intake'].throughput():.1f}/s)")
    if "batch" in outcomes:
        verdict = "met" if outcomes["batch"].throughput() >= 200 and not outcomes["batch"].errors else "NOT met"
        print(f"target intake >= 200 results/s, {args.batch_size} per request: {verdict} "
              f"({outcomes['batch'].throughput():.1f} results/s)")


def main() -> None:
    args = parse_args()
    duration = min(args.duration, 60.0)

    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    instance = Path(tempfile.mkdtemp(prefix="wallet-load-"))
    with fresh_database(args.database_url, args.database_prefix) as database_url:
        args.database_name = database_url.rsplit("/", 1)[-1] if database_url else None
        env = service_env(port, instance, database_url, args.ratelimit_storage)
        init_instance(env, CLIENT)
        case_system = CaseSystem(instance / "clients" / f"{CLIENT}.key.pem", base_url, result_template())
        describe_server(env, base_url, database_url, args.ratelimit_storage)
        with gunicorn(env, base_url, instance / "gunicorn.log") as server:
            wallet = set_up_wallet(base_url, case_system, args.wallet_results, args.signed)
            print(f"set-up: citizen1 has {wallet.listed} results ({args.signed} signed B-LTA by official1 through the API)")
            scenario = Scenarios(base_url, case_system, wallet.cookies, wallet.signed_pdf, args.batch_size)
            outcomes = run_scenarios(scenario, server.pid, args, duration)
    print_verdicts(outcomes, args)
    if args.keep:
        print(f"instance kept: {instance}")
    else:
        shutil.rmtree(instance, ignore_errors=True)


if __name__ == "__main__":
    main()
