"""Rate limits (Flask-Limiter) on what strangers can call in bulk: logging in, verifying, posting
results. Applied by endpoint once every blueprint is registered, so feature packages stay unaware
of them. Counters live in RATELIMIT_STORAGE_URI: memory of one process by default; in production a
shared store (redis://...) so every worker counts together.

`POST /api/v1/verify` charges the shared limit only for a full verification (`charge_shared`): a
document answered from its stored report costs about a millisecond, less than the round trip to a
shared store, so it is counted in this process's memory (`charge_local`, `RATE_LIMIT_VERIFY_REGISTERED`
per client and process)."""
from __future__ import annotations

import time

from flask import Flask, Response, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits import RateLimitItem, parse
from limits.strategies import FixedWindowRateLimiter, RateLimiter

from ..services import services
from .errors import TooManyRequests
from .rate_counters import Counters, ProcessMemoryStorage

# setting name -> (its field in `settings.limits`, endpoints it covers: exact names or "prefix.*")
LIMITS = {
    "RATE_LIMIT_LOGIN": ("login", ("auth.login", "auth.callback", "dev_oidc.authorize")),
    # Asking a wallet counts too (making a request, the wallet's fetch and answer), not the clerk's polling.
    "RATE_LIMIT_VERIFY": ("verify", ("verify.*", "verify_api.*", "verify_pages.*", "verify_wallet.create",
                                     "presentations_api.create_presentation", "presentations.*")),
    "RATE_LIMIT_INTAKE": ("intake", ("results.create_result", "results.create_result_batch", "copies.create_copy")),
}
# endpoint -> what one request costs against its limit (1 when absent): a batch counts its results.
COSTS = {"results.create_result_batch": lambda: max(1, len(request.files.getlist("document")))}
SELF_CHARGED = frozenset({"verify_api.verify_pdf"})
"""Endpoints that charge their limit themselves (`charge_shared`, `charge_local`), by what a request costs."""


def _charge(limiter: RateLimiter, limit: RateLimitItem, scope: str) -> None:
    client = get_remote_address()
    if not limiter.hit(limit, client, scope):
        reset_at = limiter.get_window_stats(limit, client, scope).reset_time
        raise TooManyRequests(max(1, int(reset_at - time.time())))


def charge_shared() -> None:
    """Count this request (a full verification) against `RATE_LIMIT_VERIFY` in the shared store; 429 when over."""
    counters: Counters = services().rate_counters
    _charge(counters.shared, counters.verify, request.endpoint)


def charge_local() -> None:
    """Count this request (an answer from the register) against `RATE_LIMIT_VERIFY_REGISTERED` in this
    process's memory; 429 when over."""
    counters: Counters = services().rate_counters
    _charge(counters.local, counters.verify_registered, request.endpoint)


def _matches(endpoint: str, patterns: tuple[str, ...]) -> bool:
    return any(endpoint == p or (p.endswith(".*") and endpoint.startswith(p[:-1])) for p in patterns)


def init_app(app: Flask) -> Limiter:
    """Call last in create_app: limits attach to the endpoints registered by then."""
    settings = services(app).settings.limits
    app.config["RATELIMIT_STORAGE_URI"] = settings.storage_uri
    # Flask-Limiter's X-RateLimit-* headers cost two more round trips to the shared store on every
    # limited request (~1/6 of an intake's time under load); only a refusal says when to come back.
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", False)
    limiter = Limiter(key_func=get_remote_address, app=app)
    # Flask-Limiter would still resolve (and find no) limits for them on each request: ~5 % of an
    # answer from the register.
    limiter.request_filter(lambda: request.endpoint in SELF_CHARGED)

    @app.after_request
    def _retry_after(response: Response) -> Response:
        refused = limiter.current_limit if response.status_code == 429 else None
        if refused is None or "Retry-After" in response.headers:
            return response
        try:
            reset_at = refused.reset_at  # one more read of the store, on refusals only
        except Exception:  # the store failed since it counted this request: refuse without the hint
            return response
        response.headers["Retry-After"] = str(max(1, int(reset_at - time.time())))
        return response

    for field_name, patterns in LIMITS.values():
        limit = getattr(settings, field_name)
        for endpoint, view in list(app.view_functions.items()):
            if _matches(endpoint, patterns) and endpoint not in SELF_CHARGED:
                # Flask-Limiter counts inside the wrapper it returns, so the wrapper replaces the view.
                app.view_functions[endpoint] = limiter.limit(limit, cost=COSTS.get(endpoint, 1))(view)
    services(app).limiter = limiter
    services(app).rate_counters = Counters(shared=limiter.limiter, local=FixedWindowRateLimiter(ProcessMemoryStorage()),
                                           verify=parse(settings.verify),
                                           verify_registered=parse(settings.verify_registered))
    return limiter
