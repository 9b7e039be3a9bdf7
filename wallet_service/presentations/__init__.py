"""The OpenID4VP 1.0 verifier for third parties: a bank's or school's clerk asks a citizen's wallet
for a result credential (`/verify/wallet`, or `POST /api/v1/presentations` from the clerk's system),
the wallet fetches a signed request object (`x509_san_dns` client identifier, DCQL query,
`direct_post`), presents, and the service verifies the presentation and shows the report.

Modules, one concern each: `identity` (the key and certificate that sign request objects), `dcql`
(what can be asked, and whether it was given), `requests` (a request's life and its request object),
`responses` (the wallet's answer and its verification), `wallet_endpoints`, `api`, `pages` (HTTP),
`models` (the table).

Settings (`settings.presentations`): `VERIFIER_KEY_FILE`, `VERIFIER_CERTIFICATE_FILE`,
`VERIFIER_CLIENT_ID_PREFIX`, `PRESENTATION_RETENTION_SECONDS`."""
from __future__ import annotations

import datetime as dt

from flask import Flask

from ..models import db, utcnow
from ..platform import jobs
from ..platform.config import ConfigError
from ..services import services

__all__ = ["forget_old_presentations", "init_app"]
CLEANUP_SECONDS = 3600.0


def init_app(app: Flask) -> None:
    from . import api, models, pages, wallet_endpoints  # noqa: F401  (models: the table joins the metadata)
    from .identity import IdentitySource, VerifierIdentityUnavailable, host_of

    settings = services(app).settings
    configured = settings.presentations
    if (configured.key_file is None) != (configured.certificate_file is None):
        raise ConfigError("VERIFIER_KEY_FILE and VERIFIER_CERTIFICATE_FILE go together: set both or neither.")
    try:
        host = host_of(settings.public_base_url)
    except VerifierIdentityUnavailable as exc:
        raise ConfigError(str(exc)) from None
    source = IdentitySource(host=host, key_file=configured.key_file, certificate_file=configured.certificate_file,
                            pki_dir=settings.pki_dir, folder=settings.instance_path / "verifier",
                            may_issue=not settings.is_production, prefix=configured.client_id_prefix)
    services(app).verifier_identity = source
    app.register_blueprint(wallet_endpoints.bp)
    app.register_blueprint(pages.bp)
    services(app).api.register_blueprint(api.blp)
    services(app).csrf_exempt_endpoints.update(wallet_endpoints.CSRF_EXEMPT | api.CSRF_EXEMPT)

    def ensure_verifier_certificate(_app: Flask) -> str:
        try:
            identity = source.load()
        except VerifierIdentityUnavailable as exc:
            return f"wallet verifier certificate not ready: {exc}"
        return f"wallet verifier certificate ready: client_id {identity.client_id}"

    services(app).init_steps.append(ensure_verifier_certificate)
    if not settings.testing:  # tests call forget_old_presentations themselves
        jobs.every(app, "presentation-cleanup", forget_old_presentations, CLEANUP_SECONDS)


def forget_old_presentations(app: Flask, now: dt.datetime | None = None) -> int:
    """Periodic work: presentation requests past their retention go, with the citizens' data in their reports."""
    from .requests import forget_old

    retention = dt.timedelta(seconds=services(app).settings.presentations.retention_seconds)
    deleted = forget_old(db.session, now or utcnow(), retention)
    db.session.commit()
    return deleted
