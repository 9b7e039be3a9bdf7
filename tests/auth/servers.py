"""Real HTTP servers on 127.0.0.1 ephemeral ports for the login tests."""
from __future__ import annotations

import threading
from collections.abc import Callable

from werkzeug.serving import make_server


class SwappableApp:
    """A WSGI app whose target is set after the server (and so its port) exists: the port goes into
    the application's PUBLIC_BASE_URL, and each test mounts a fresh application on the same port."""

    def __init__(self):
        self.target: Callable | None = None

    def __call__(self, environ, start_response):
        return self.target(environ, start_response)


class LiveServer:
    def __init__(self, app: Callable):
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.thread.join(timeout=10)
