"""Which roots the service's verifier trusts, and the verifier itself, made once per process.

`TRUST_ROOTS_PATH` (Flask config key or environment variable) names a folder of certificate
files (PEM or DER; several roots at once, e.g. the national root CA and the government CA).
Development default: `instance/trust-roots/`, filled with the development PKI's root by an init
step. Production: required; without it the readiness check fails and verification answers
`trust_roots_not_configured`."""
from __future__ import annotations

import atexit
import os
import shutil
import threading
from collections.abc import Callable
from pathlib import Path

from flask import Flask

from verification import TrustRootError, VerificationPolicy, Verifier

from ..platform.errors import ApiError
from ..services import services

TRUST_ROOTS_SETTING = "TRUST_ROOTS_PATH"
WORKERS_SETTING = "VERIFY_WORKERS"
"""Flask config key or environment variable: verifier worker processes (default: CPU cores, at most 4)."""
TIME_BUDGET_SETTING = "VERIFY_TIME_BUDGET_SECONDS"
"""Flask config key or environment variable: longest verification of one document (default 15 s)."""
DEV_FOLDER = "trust-roots"


class TrustRootsUnavailable(ApiError):
    """No usable trust roots: the operator must configure them (not the caller's fault)."""

    status = 503
    code = "trust_roots_not_configured"


def _setting(app: Flask, name: str) -> str | None:
    value = app.config.get(name) or os.environ.get(name)
    return str(value) if value else None


def trust_roots_folder(app: Flask) -> Path | None:
    """The configured folder; in development the default under the instance folder; else None."""
    configured = _setting(app, TRUST_ROOTS_SETTING)
    if configured:
        return Path(configured).resolve()
    settings = services(app).settings
    return None if settings.is_production else settings.instance_path / DEV_FOLDER


def load_policy(app: Flask) -> VerificationPolicy:
    """The verification policy from the trust-roots folder, with the service's limits."""
    folder = trust_roots_folder(app)
    if folder is None:
        raise TrustRootsUnavailable(f"Set {TRUST_ROOTS_SETTING} to a folder of trusted root certificates.")
    if not folder.is_dir():
        raise TrustRootsUnavailable(f"The trust-roots folder {folder} ({TRUST_ROOTS_SETTING}) does not exist.")
    settings = services(app).settings
    limits = {"max_document_bytes": settings.max_document_bytes}
    budget = _setting(app, TIME_BUDGET_SETTING)
    if budget:
        limits["time_budget_seconds"] = float(budget)
    try:
        return VerificationPolicy.from_folder(folder, **limits)
    except TrustRootError as exc:
        raise TrustRootsUnavailable(str(exc)) from None


def check_trust_roots(app: Flask) -> None:
    """Readiness: the folder reads and holds at least one root."""
    policy = load_policy(app)
    if not policy.trust_roots:
        raise TrustRootsUnavailable(f"No certificate in the trust-roots folder {trust_roots_folder(app)}.")


def fill_dev_trust_roots(app: Flask) -> str:
    """`wallet-service init` step (development): put the development PKI's root in the default
    folder. It may run before the PKI's own init step, so it makes the PKI first (idempotent)."""
    from ..dev.pki import init_dev_pki
    from ..keys.directory import key_directory
    from ..keys.errors import KeyUnavailable

    folder = trust_roots_folder(app)
    if _setting(app, TRUST_ROOTS_SETTING):
        return f"trust roots: {folder} (configured, left as it is)"
    try:
        roots = key_directory(app).trust_root_paths()
    except KeyUnavailable:
        init_dev_pki(app)
        roots = key_directory(app).trust_root_paths()
    folder.mkdir(parents=True, exist_ok=True)
    for root in roots:
        shutil.copyfile(root, folder / f"dev-{root.name}")
    return f"trust roots ready: {folder} ({len(roots)} development root(s))"


class VerifierHolder:
    """The app's `Verifier`, started on first use in each process: its worker pool takes 1-2 s to
    start, and a gunicorn worker must start its own after the fork rather than share the parent's
    pipes. Closed at interpreter exit."""

    def __init__(self, make: Callable[[], Verifier]):
        self._make = make
        self._verifier: Verifier | None = None
        self._pid: int | None = None
        self._lock = threading.Lock()

    def get(self) -> Verifier:
        with self._lock:
            if self._verifier is None or self._pid != os.getpid():
                self._verifier = self._make()
                self._pid = os.getpid()
                atexit.register(self._verifier.close)
            return self._verifier

    def close(self) -> None:
        with self._lock:
            if self._verifier is not None and self._pid == os.getpid():
                self._verifier.close()
            self._verifier = None


def make_verifier_holder(app: Flask) -> VerifierHolder:
    def make() -> Verifier:
        if not services(app).settings.is_production and not _setting(app, TRUST_ROOTS_SETTING):
            folder = trust_roots_folder(app)
            if not folder.is_dir() or not any(folder.iterdir()):
                fill_dev_trust_roots(app)  # `init` was run before this feature existed
        workers = _setting(app, WORKERS_SETTING)
        return Verifier(load_policy(app), workers=int(workers) if workers else min(os.cpu_count() or 1, 4))

    return VerifierHolder(make)
