"""Reliable delivery of signed results to external stores (the outbox pattern).

Modules, one concern each: `targets` (which stores, from `DELIVERY_TARGETS_FILE`), `outbox` (rows
written by the signing and annulment hooks; `delivered` when all are sent), `messages` (the signed
JWS a store receives), `webhook` (one HTTP attempt), `worker` (claim, send, record, retry with
exponential backoff), `views` (`/.well-known/jwks.json`).

Configuration (Flask config key, else environment variable of the same name):
- `DELIVERY_TARGETS_FILE`: JSON or TOML file of targets (see `targets`); unset means no external store.
- `DELIVERY_SIGNING_KEY_FILE`: PEM (EC P-256) signing the messages; generated under
  `instance/delivery/` in development, required in production when targets are configured.
- `DELIVERY_POLL_SECONDS`: how often the embedded poller runs the worker (default 3; 0 = never,
  the default under TESTING; with Celery, the same interval schedules `deliver_due` on Celery beat).
- `DELIVERY_LEASE_SECONDS`, `DELIVERY_BACKOFF_SECONDS`, `DELIVERY_BACKOFF_MAX_SECONDS`: see `worker.WorkerSettings`.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from flask import Flask

from ..issuer.keys import IssuerKeySource
from ..platform import jobs
from ..platform.config import ConfigError
from ..results.events import connect_for_app, result_annulled, result_signed
from ..services import services
from .outbox import enqueue_annulled, enqueue_signed
from .targets import DeliveryTargets, load_targets
from .worker import TASK, WorkerSettings, deliver_due

__all__ = ["TASK", "DeliveryConfig", "deliver_due", "init_app"]


@dataclass(frozen=True)
class DeliveryConfig:
    """Everything the delivery worker needs, at `services(app).delivery`."""

    targets: DeliveryTargets
    """The configured external stores."""
    key_source: IssuerKeySource
    """The delivery signing key file (the same file handling as the credential issuer's key)."""
    worker: WorkerSettings
    """Lease, backoff and batch size."""


def _setting(app: Flask, name: str, default=None):
    value = app.config.get(name)
    if value is None or value == "":
        value = os.environ.get(name) or default
    return value


def _number(app: Flask, name: str, default: float) -> float:
    value = _setting(app, name, default)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be a number of seconds, not {value!r}.") from None
    if number < 0:
        raise ConfigError(f"{name} must not be negative.")
    return number


def init_app(app: Flask) -> None:
    from . import views

    settings = services(app).settings
    targets_file = _setting(app, "DELIVERY_TARGETS_FILE")
    targets = load_targets(Path(targets_file) if targets_file else None)
    key_file = _setting(app, "DELIVERY_SIGNING_KEY_FILE")
    if settings.is_production and targets.targets and not key_file:
        raise ConfigError("WALLET_ENV=production with delivery targets needs DELIVERY_SIGNING_KEY_FILE (an EC P-256 PEM).")
    key_source = IssuerKeySource(
        path=Path(key_file) if key_file else settings.instance_path / "delivery" / "delivery-signing-key.pem",
        may_generate=not settings.is_production,
    )
    defaults = WorkerSettings()
    worker = WorkerSettings(
        lease_seconds=_number(app, "DELIVERY_LEASE_SECONDS", defaults.lease_seconds),
        backoff_seconds=_number(app, "DELIVERY_BACKOFF_SECONDS", defaults.backoff_seconds),
        backoff_max_seconds=_number(app, "DELIVERY_BACKOFF_MAX_SECONDS", defaults.backoff_max_seconds),
    )
    services(app).delivery = DeliveryConfig(targets, key_source, worker)
    connect_for_app(result_signed, app, partial(enqueue_signed, targets))
    connect_for_app(result_annulled, app, enqueue_annulled)
    app.register_blueprint(views.bp)
    if targets.targets:
        services(app).readiness_checks["delivery_signing_key"] = key_source.load

    def ensure_delivery_key(_app: Flask) -> str:
        made = key_source.ensure()
        names = ", ".join(t.name for t in targets.targets) or "none (results stay in the citizen's wallet here)"
        return f"delivery signing key {'created' if made else 'ready'}: {key_source.path}; delivery targets: {names}"

    services(app).init_steps.append(ensure_delivery_key)

    interval = _number(app, "DELIVERY_POLL_SECONDS", 0 if app.testing else 3)
    poller = jobs.every(app, "delivery", deliver_due, interval)  # a beat entry under Celery
    if poller is not None:
        services(app).delivery_poller = poller
