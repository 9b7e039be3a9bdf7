"""What the signing benches measure of their processes: peak memory and CPU time of this process's
descendants, read from /proc while they run."""

from __future__ import annotations

import os
import resource
import threading


class DescendantPeakMemory:
    """Samples the peak RSS (VmHWM) of this process's descendants: pool workers are
    children of the forkserver, so RUSAGE_CHILDREN does not see them. CPU time counts from
    entering: descendants started before (a pool kept warm) count only what they spend inside."""

    def __init__(self, interval: float = 0.2):
        self.peaks: dict[int, int] = {}
        self.cpu_ticks: dict[int, int] = {}
        self._before: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(interval,), daemon=True)

    def __enter__(self):
        self._sample()
        self._before = dict(self.cpu_ticks)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self._sample()  # descendants still alive (a warm pool) are read to the end

    def _run(self, interval):
        while not self._stop.wait(interval):
            self._sample()

    def _sample(self) -> None:
        pending = _children(os.getpid())
        while pending:
            pid = pending.pop()
            pending.extend(_children(pid))
            try:
                with open(f"/proc/{pid}/status") as f:
                    hwm = next((int(line.split()[1]) for line in f if line.startswith("VmHWM")), 0)
            except OSError:
                continue
            self.peaks[pid] = max(self.peaks.get(pid, 0), hwm)
            self.cpu_ticks[pid] = max(self.cpu_ticks.get(pid, 0), cpu_ticks(pid))

    def max_mb(self) -> float:
        return max(self.peaks.values(), default=0) / 1024

    def cpu_seconds(self) -> float:
        """CPU time of the descendants since entering, as last sampled (a worker that ended
        inside may have its last 0.2 s missed)."""
        spent = sum(ticks - self._before.get(pid, 0) for pid, ticks in self.cpu_ticks.items())
        return spent / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(c) for c in f.read().split()]
    except OSError:
        return []


def cpu_ticks(pid: int) -> int:
    """User + system CPU ticks of a process, from /proc."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])
    except (OSError, IndexError, ValueError):
        return 0


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
