"""CPU accounting for bench/load.py, from /proc (Linux): seconds used by the server, PostgreSQL, Redis and
the generator, turned into milliseconds per request."""
from __future__ import annotations

import os
from pathlib import Path


def _process_cpu(pid: int) -> tuple[str, int, float] | None:
    """(command name, parent pid, CPU seconds used) of a process, from /proc (Linux)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    name = stat[stat.index("(") + 1 : stat.rindex(")")]
    fields = stat[stat.rindex(")") + 2 :].split()
    return name, int(fields[1]), (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _reaped_children_cpu(pid: int) -> float:
    """CPU seconds of the children `pid` has waited for (exited workers), from /proc (Linux)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")


def _serves(pid: int, database: str | None) -> bool:
    """Whether a PostgreSQL process is a backend of `database` (its title names it), or any when None."""
    if database is None:
        return True
    try:
        return f" {database} ".encode() in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def cpu_snapshot(server_pid: int, database_name: str | None = None) -> dict[str, float]:
    """CPU seconds used so far by the server (gunicorn and its workers), PostgreSQL (the backends of
    `database_name` when named: other work on the same server is not counted), Redis and this generator:
    a per-request cost that holds even when other work shares the cores, unlike requests per second."""
    processes = {pid: info for pid in map(int, filter(str.isdigit, os.listdir("/proc")))
                 if (info := _process_cpu(pid)) is not None}
    server = sum(cpu for pid, (_, parent, cpu) in processes.items() if server_pid in (pid, parent))
    server += _reaped_children_cpu(server_pid)  # workers gunicorn recycled (max_requests) count too
    database = sum(cpu for pid, (name, _, cpu) in processes.items()
                   if name == "postgres" and _serves(pid, database_name))
    redis = sum(cpu for name, _, cpu in processes.values() if name == "redis-server")  # rate-limit counters
    generator = sum(os.times()[:2])
    return {"server": server, "database": database, "redis": redis, "generator": generator}


def cpu_per_request(before: dict[str, float], after: dict[str, float], requests: int) -> str:
    if not requests:
        return ""
    return "  CPU ms/request " + " ".join(f"{k} {(after[k] - before[k]) * 1000 / requests:.1f}" for k in before)
