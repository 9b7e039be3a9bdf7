"""Which roots the service's verifier trusts, and the verifier itself, made once per process.

`TRUST_ROOTS_PATH` (`settings.verify.trust_roots_path`) names a folder of certificate
files (PEM or DER; several roots at once, e.g. the national root CA and the government CA).
Development default: `instance/trust-roots/`, filled with the development PKI's root by an init
step. Production: required; without it the readiness check fails and verification answers
`trust_roots_not_configured`."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

from flask import Flask

from verification import TrustRootError, VerificationPolicy, Verifier

from ..platform.errors import ApiError
from ..services import services
from .holder import VerifierHolder

TRUST_ROOTS_SETTING = "TRUST_ROOTS_PATH"
DEV_FOLDER = "trust-roots"


class TrustRootsUnavailable(ApiError):
    """No usable trust roots: the operator must configure them (not the caller's fault)."""

    status = 503
    code = "trust_roots_not_configured"


def trust_roots_folder(app: Flask) -> Path | None:
    """The configured folder; in development the default under the instance folder; else None."""
    settings = services(app).settings
    if settings.verify.trust_roots_path is not None:
        return settings.verify.trust_roots_path
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
    if settings.verify.time_budget_seconds is not None:
        limits["time_budget_seconds"] = settings.verify.time_budget_seconds
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
    if services(app).settings.verify.trust_roots_path is not None:
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


def make_verifier_holder(app: Flask) -> VerifierHolder:
    def policy() -> VerificationPolicy:
        settings = services(app).settings
        if not settings.is_production and settings.verify.trust_roots_path is None:
            folder = trust_roots_folder(app)
            if not folder.is_dir() or not any(folder.iterdir()):
                fill_dev_trust_roots(app)  # `init` was run before this feature existed
        return load_policy(app)

    def make() -> Verifier:
        workers = services(app).settings.verify.workers or min(os.cpu_count() or 1, 4)
        return Verifier(policy(), workers=workers)

    return VerifierHolder(make, policy)
