"""The client's address behind a reverse proxy: `X-Forwarded-For` and `X-Forwarded-Proto` are
believed only from the proxies in FORWARDED_ALLOW_IPS (Werkzeug's ProxyFix, one hop).

Rate limits count per `request.remote_addr`: without this every user behind the proxy shares the
proxy's address and its limit; believing the header from anyone would let a client pose as
any address and escape its limit."""
from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from werkzeug.middleware.proxy_fix import ProxyFix

_FORWARDING_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST",
                       "HTTP_X_FORWARDED_PORT", "HTTP_X_FORWARDED_PREFIX")


class TrustedProxyFix:
    """WSGI middleware: ProxyFix for requests from a trusted proxy; for any other caller, the
    forwarding headers are removed, so nothing downstream reads them either."""

    def __init__(self, app, trusted: Iterable[str]):
        self.app = app
        self.fixed = ProxyFix(app, x_for=1, x_proto=1)
        entries = tuple(trusted)
        self.trust_all = "*" in entries
        self.networks = tuple(ipaddress.ip_network(e, strict=False) for e in entries if e != "*")

    def trusts(self, address: str | None) -> bool:
        if self.trust_all:
            return True
        try:
            ip = ipaddress.ip_address(address or "")
        except ValueError:  # a Unix socket's peer has no address
            return False
        return any(ip in network for network in self.networks)

    def __call__(self, environ, start_response):
        if self.trusts(environ.get("REMOTE_ADDR")):
            return self.fixed(environ, start_response)
        for name in _FORWARDING_HEADERS:
            environ.pop(name, None)
        return self.app(environ, start_response)

