"""A real external store for the tests: an HTTP server on a loopback port that de-duplicates by
idempotency key, as the delivery contract asks of every store, and counts what it saw.

It can be told to fail its first N requests (503) or to hold requests open (so a test can kill
the sender mid-send). `accepted` is what the store acted on, once per key; `requests` is every
POST that arrived, duplicates included."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    """One POST as the store saw it."""

    idempotency_key: str | None
    content_type: str | None
    authorization: str | None
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    """Every header as sent (a gateway's signature headers, for instance)."""


@dataclass
class StoreState:
    fail_next: int = 0
    """Answer this many coming requests with 503."""
    fail_status: int = 503
    """The status of those failures."""
    hold: threading.Event | None = None
    """When set to an unset Event, requests wait for it before answering (the key is recorded first)."""
    delay: float = 0.0
    """Seconds every request waits before answering (a slow store)."""
    requests: list[Received] = field(default_factory=list)
    accepted: dict[str, Received] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    arrived: threading.Condition = field(default=None)

    def __post_init__(self):
        self.arrived = threading.Condition(self.lock)


class CountingStore:
    """The server; `url` to configure as a webhook target; `close()` when done."""

    def __init__(self):
        self.state = StoreState()
        state = self.state

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as a real store's server: one connection per round
            disable_nagle_algorithm = True  # else the body, written after the headers, waits for a delayed ACK (~40 ms)

            def log_message(self, *args):  # keep test output quiet
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                received = Received(self.headers.get("Idempotency-Key"), self.headers.get("Content-Type"),
                                    self.headers.get("Authorization"), body, dict(self.headers.items()))
                with state.lock:
                    state.requests.append(received)
                    failing = state.fail_next > 0
                    if failing:
                        state.fail_next -= 1
                    elif received.idempotency_key and received.idempotency_key not in state.accepted:
                        state.accepted[received.idempotency_key] = received  # acted on once per key
                    state.arrived.notify_all()
                    hold = state.hold
                if hold is not None:
                    hold.wait(60)
                time.sleep(state.delay)
                status = state.fail_status if failing else 200
                payload = b'{"ok": false}' if failing else b'{"ok": true}'
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):  # the sender was killed while we held it
                    pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_port}/inbox"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def wait_for_requests(self, count: int, timeout: float = 30) -> bool:
        with self.state.lock:
            return self.state.arrived.wait_for(lambda: len(self.state.requests) >= count, timeout)

    def close(self) -> None:
        if self.state.hold is not None:
            self.state.hold.set()
        self._server.shutdown()
        self._server.server_close()
