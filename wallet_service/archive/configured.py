"""The renewal's settings as the run uses them: the due policy, and the extender on the configured TSA."""
from __future__ import annotations

import datetime as dt

from flask import Flask

from ..keys.directory import key_directory
from ..models import utcnow
from ..services import services
from .extend import ProofExtender, load_roots
from .parallel import ExtenderSpec
from .schedule import Policy


def policy_for(app: Flask, before: dt.datetime | None = None) -> Policy:
    settings = services(app).settings.archive
    cutoff = before or utcnow() + dt.timedelta(days=settings.renewal_margin_days)
    return Policy(cutoff, settings.deprecated_algorithms)


def extender_spec(app: Flask) -> ExtenderSpec:
    """The configured TSA, and the roots the service's own signatures chain to for validating the last timestamp."""
    keys = key_directory(app)
    if not keys.trust_services.tsa_url:
        raise RuntimeError("No timestamp authority is configured (tsa_url in KEYS_CONFIG); proofs cannot be renewed.")
    return ExtenderSpec(keys.trust_services.tsa_url, tuple(keys.trust_root_paths()), keys.trust_services.http_timeout)


def extender_for(app: Flask) -> ProofExtender:
    spec = extender_spec(app)
    return ProofExtender(spec.tsa_url, load_roots(list(spec.trust_roots)), spec.timeout)
