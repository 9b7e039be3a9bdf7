"""Who may talk to the agent: only the service's page, through the browser, on loopback.

Any web page the official opens could send requests to 127.0.0.1; the browser marks each with
its ``Origin``, so the agent answers only the one origin it was started for, and only via
``127.0.0.1``/``localhost`` in the ``Host`` header, so that a DNS name rebound to 127.0.0.1
by another site is refused too.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from werkzeug.wrappers import Request, Response

from .protocol import AgentError

LOOPBACK = "127.0.0.1"
ALLOWED_METHODS = "GET, POST, OPTIONS"
ALLOWED_HEADERS = "Content-Type"


def check_bind_address(host: str) -> str:
    """Only the IPv4 loopback address: the agent must not be reachable from the network."""
    if host != LOOPBACK:
        raise ValueError(f"Tác nhân chỉ lắng nghe trên {LOOPBACK}, không phải {host!r}. / "
                         f"The agent listens on {LOOPBACK} only, not {host!r}.")
    return host


def check_origin(origin: str) -> str:
    """A bare origin (scheme://host[:port]); https, or http for a service on loopback."""
    parts = urlsplit(origin)
    local = parts.hostname in ("localhost", LOOPBACK)
    bare = f"{parts.scheme}://{parts.netloc}" == origin and parts.hostname and not parts.username
    if not bare or not (parts.scheme == "https" or (parts.scheme == "http" and local)):
        raise ValueError(f"Origin không hợp lệ: {origin!r} (dạng https://tên-miền[:cổng]). / "
                         f"Invalid origin {origin!r}: expected https://host[:port], nothing after.")
    return origin


class OriginGuard:
    """Host and Origin checks, and the CORS headers for the one allowed origin."""

    def __init__(self, origin: str, port: int):
        self.origin = check_origin(origin)
        self.hosts = {f"{LOOPBACK}:{port}", f"localhost:{port}"}

    def check(self, request: Request) -> None:
        """Raise AgentError(403) unless Host is loopback with our port and Origin is the service's."""
        if request.headers.get("Host") not in self.hosts:
            raise AgentError(403, "host_refused", "Tên máy chủ trong yêu cầu không được phép. / "
                                                  "The Host header is not allowed.")
        if request.headers.get("Origin") != self.origin:
            raise AgentError(403, "origin_refused", "Chỉ trang của dịch vụ ký mới được dùng tác nhân này. / "
                                                    "Only the signing service's page may use this agent.")

    def preflight(self) -> Response:
        """The CORS preflight answer, with Chromium's private-network permission."""
        response = Response(status=204)
        response.headers["Access-Control-Allow-Methods"] = ALLOWED_METHODS
        response.headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
        response.headers["Access-Control-Allow-Private-Network"] = "true"
        response.headers["Access-Control-Max-Age"] = "600"
        return self.allow(response)

    def allow(self, response: Response) -> Response:
        response.headers["Access-Control-Allow-Origin"] = self.origin
        response.headers["Vary"] = "Origin"
        return response
