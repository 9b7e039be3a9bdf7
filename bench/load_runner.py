"""The open-loop generator of bench/load.py and what it measures: request i is due at start + i/rate
whatever happened to earlier ones, and its latency counts from when it was due."""
from __future__ import annotations

import asyncio
import statistics
from dataclasses import dataclass, field

import aiohttp


@dataclass
class Outcome:
    """What one scenario measured."""

    name: str
    target_rate: float
    latencies: list[float] = field(default_factory=list)
    """Seconds from when each successful request was due to when its answer was read."""
    errors: dict[str, int] = field(default_factory=dict)
    elapsed: float = 0.0
    """From the first request's due time to the last answer."""
    per_request: int = 1
    """Results each request carries (a batch intake's size): throughput is counted in results."""

    def line(self) -> str:
        ok = len(self.latencies)
        if not ok:
            return f"{self.name:8} target {self.target_rate:6.0f}/s  no successful request  errors {self.errors}"
        ordered = sorted(self.latencies)
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
        unit = f" ({self.throughput():.1f} results/s)" if self.per_request > 1 else ""
        return (
            f"{self.name:8} target {self.target_rate:6.0f}/s  achieved {ok / self.elapsed:7.1f}/s{unit}  ok {ok:5}  "
            f"p50 {statistics.median(ordered) * 1000:7.1f} ms  p99 {p99 * 1000:7.1f} ms  "
            f"max {ordered[-1] * 1000:7.1f} ms  errors {self.errors or 0}"
        )

    def p99(self) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] if ordered else float("inf")

    def throughput(self) -> float:
        return len(self.latencies) * self.per_request / self.elapsed if self.elapsed else 0.0


def aiohttp_client() -> aiohttp.ClientSession:
    connector = aiohttp.TCPConnector(limit=512, force_close=False)
    return aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=30))


async def open_loop(name: str, rate: float, count: int, send, per_request: int = 1, client=aiohttp_client) -> Outcome:
    """Send `count` requests at `rate` per second; `send(http, i)` performs request i on the client
    `client()` makes (an aiohttp session by default) and returns the HTTP status."""
    outcome = Outcome(name, rate, per_request=per_request)
    async with client() as http:
        loop = asyncio.get_running_loop()
        start = loop.time() + 0.1

        async def one(i: int) -> None:
            due = start + i / rate
            await asyncio.sleep(max(0.0, due - loop.time()))
            try:
                async with asyncio.timeout(30):  # bounded whatever the client
                    status = await send(http, i)
            except (aiohttp.ClientError, asyncio.TimeoutError, OSError, asyncio.IncompleteReadError) as exc:
                outcome.errors[type(exc).__name__] = outcome.errors.get(type(exc).__name__, 0) + 1
                return
            if 200 <= status < 300:
                outcome.latencies.append(loop.time() - due)
            else:
                outcome.errors[str(status)] = outcome.errors.get(str(status), 0) + 1

        await asyncio.gather(*(one(i) for i in range(count)))
        outcome.elapsed = loop.time() - start
    return outcome
