"""The `webhook` target: one HTTP POST per attempt, the signed message as the body and the
idempotency key in the `Idempotency-Key` header (draft-ietf-httpapi-idempotency-key-header).

Posts go through urllib3 directly, one `Sender` a worker round: requests' session layers
(environment, cookies, hooks, adapters) cost the worker more CPU than the connection itself. What
requests read from the environment for every request (proxies, `NO_PROXY`, the CA bundle) is read
here once per target URL and round, so a deployment behind a proxy posts the same way."""
from __future__ import annotations

import os

import requests
import urllib3

from .messages import MEDIA_TYPE
from .targets import DeliveryTarget

# Worth another try: the store is busy, down, or asks us to come back (RFC 9110 §15.5.9, §15.6, RFC 6585).
RETRYABLE_STATUS = frozenset({408, 425, 429})


class SendFailed(Exception):
    """An attempt failed; `retryable` says whether a later attempt may succeed."""

    def __init__(self, message: str, *, retryable: bool):
        super().__init__(message)
        self.message = message
        self.retryable = retryable


class Sender:
    """The HTTP POSTs of one worker round: a connection pool per target URL, kept alive between its
    deliveries, closed with the round. No retry and no redirect within an attempt."""

    def __init__(self) -> None:
        self._managers: dict[str, urllib3.PoolManager] = {}

    def __enter__(self) -> "Sender":
        return self

    def __exit__(self, *_exc) -> None:
        for manager in self._managers.values():
            manager.clear()

    def post(self, url: str, body: bytes, headers: dict[str, str], timeout: float) -> tuple[int, bytes]:
        """The status and body of the answer; SendFailed (retryable) when none came."""
        try:
            manager = self._managers.get(url) or self._managers.setdefault(url, _manager_for(url))
            response = manager.urlopen("POST", url, body=body, headers=headers, timeout=timeout, retries=False,
                                       redirect=False)
        except (urllib3.exceptions.HTTPError, OSError) as exc:  # refused, reset, timed out, TLS, a proxy's
            raise SendFailed(f"{type(exc).__name__}: {exc}", retryable=True) from None
        return response.status, response.data


def _manager_for(url: str) -> urllib3.PoolManager:
    """A pool manager that posts to `url` as requests would: through the proxy the environment names
    for it (unless `NO_PROXY` exempts it), trusting requests' CA bundle or the one the environment names."""
    with requests.Session() as session:
        settings = session.merge_environment_settings(url, {}, None, None, None)
    verify = settings["verify"]
    trust = {} if verify is False else (
        {"ca_cert_dir": verify} if isinstance(verify, str) and os.path.isdir(verify)
        else {"ca_certs": requests.utils.DEFAULT_CA_BUNDLE_PATH if verify is True else verify})
    tls = {"cert_reqs": "CERT_REQUIRED" if verify is not False else "CERT_NONE", **trust}
    proxy = requests.utils.select_proxy(url, settings["proxies"])
    if not proxy:
        return urllib3.PoolManager(**tls)
    proxy_url = urllib3.util.parse_url(proxy)
    headers = urllib3.util.make_headers(proxy_basic_auth=proxy_url.auth) if proxy_url.auth else None
    return urllib3.ProxyManager(proxy, proxy_headers=headers, **tls)


def check_answer(status: int, body: bytes, *, detail: bool = True) -> None:
    """Return on a 2xx answer, raise SendFailed otherwise (retryable when the store may take it later)."""
    if 200 <= status < 300:
        return
    text = body.decode("utf-8", "replace")[:200].strip() if detail else ""
    retryable = status >= 500 or status in RETRYABLE_STATUS
    raise SendFailed(f"HTTP {status}" + (f": {text}" if text else ""), retryable=retryable)


def post_message(http: Sender, target: DeliveryTarget, idempotency_key: str, token: str) -> None:
    """Send once; return on a 2xx answer, raise SendFailed otherwise."""
    headers = {"Content-Type": MEDIA_TYPE, "Idempotency-Key": idempotency_key}
    authorization = target.authorization()
    if authorization:
        headers["Authorization"] = authorization
    check_answer(*http.post(target.url, token.encode("ascii"), headers, target.timeout_seconds))
