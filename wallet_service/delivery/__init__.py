"""Reliable delivery of signed results to external stores (the outbox pattern).

Modules, one concern each: `targets` (which stores, from `DELIVERY_TARGETS_FILE`), `outbox` (rows
written by the signing and annulment hooks; `delivered` when all are sent), `messages` (the signed
JWS a store receives), `webhook` (one HTTP attempt), `worker` (claim, send, record, retry with
exponential backoff), `views` (`/.well-known/jwks.json`).

Configuration (`settings.delivery`):
- `DELIVERY_TARGETS_FILE`: JSON or TOML file of targets (see `targets`); unset means no external store.
- `DELIVERY_SIGNING_KEY_FILE`: PEM (EC P-256) signing the messages; generated under
  `instance/delivery/` in development, required in production when targets are configured.
- `DELIVERY_POLL_SECONDS`: how often the embedded poller runs the worker (default 3; 0 = never,
  the default under TESTING; with Celery, the same interval schedules `deliver_due` on Celery beat).
  When it is set, signing a batch also queues a round as soon as its results are recorded (`deliver_soon`).
- `DELIVERY_LEASE_SECONDS`, `DELIVERY_BACKOFF_SECONDS`, `DELIVERY_BACKOFF_MAX_SECONDS`, `DELIVERY_BATCH_SIZE`:
  see `config.WorkerSettings`.
"""
from __future__ import annotations

from functools import partial

from flask import Flask

from ..issuer.keys import IssuerKeySource
from ..platform import jobs
from ..platform.config import ConfigError
from ..results.events import connect_for_app, connect_many_for_app, result_annulled, result_returned, results_signed
from ..services import services
from .config import DeliveryConfig, WorkerSettings
from .outbox import enqueue_annulled, enqueue_returned, enqueue_signed
from .targets import load_targets
from .worker import TASK, deliver_due

__all__ = ["TASK", "DeliveryConfig", "deliver_due", "deliver_soon", "init_app"]


def deliver_soon(app: Flask) -> None:
    """Queue a delivery round now, after a commit that made deliveries due, rather than leave them to
    the next poll (which stays the safety net; a round claims rows, so two rounds never send one twice).
    Nothing when deliveries are not polled (tests run them by hand) or no target is configured."""
    if services(app).settings.delivery.poll_seconds > 0 and services(app).delivery.targets.targets:
        jobs.runner(app).submit(TASK)


def init_app(app: Flask) -> None:
    from . import views

    settings = services(app).settings
    configured = settings.delivery
    targets = load_targets(configured.targets_file)
    key_file = configured.signing_key_file
    if settings.is_production and targets.targets and not key_file:
        raise ConfigError("WALLET_ENV=production with delivery targets needs DELIVERY_SIGNING_KEY_FILE (an EC P-256 PEM).")
    key_source = IssuerKeySource(
        path=key_file or settings.instance_path / "delivery" / "delivery-signing-key.pem",
        may_generate=not settings.is_production,
    )
    worker = WorkerSettings(
        lease_seconds=configured.lease_seconds,
        backoff_seconds=configured.backoff_seconds,
        backoff_max_seconds=configured.backoff_max_seconds,
        batch_size=configured.batch_size,
    )
    services(app).delivery = DeliveryConfig(targets, key_source, worker)
    events = services(app).events

    def on_signed(session, results) -> None:
        for result in enqueue_signed(targets, session, results):  # no store wants it: the wallet here is its delivery
            events.delivered(session, result)

    connect_many_for_app(results_signed, app, on_signed)
    connect_for_app(result_annulled, app, enqueue_annulled)
    connect_for_app(result_returned, app, partial(enqueue_returned, targets))
    app.register_blueprint(views.bp)
    if targets.targets:
        services(app).readiness_checks["delivery_signing_key"] = key_source.load

    def ensure_delivery_key(_app: Flask) -> str:
        made = key_source.ensure()
        names = ", ".join(t.name for t in targets.targets) or "none (results stay in the citizen's wallet here)"
        return f"delivery signing key {'created' if made else 'ready'}: {key_source.path}; delivery targets: {names}"

    services(app).init_steps.append(ensure_delivery_key)

    poller = jobs.every(app, "delivery", deliver_due, configured.poll_seconds)  # a beat entry under Celery
    if poller is not None:
        services(app).delivery_poller = poller
