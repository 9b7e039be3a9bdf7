"""Verification in the service: `POST /api/v1/verify` (PDF), `POST /api/v1/verify/credential`
(SD-JWT VC), the public pages `/verify` and `/v/{id}`, and `wallet-service verify FILE.pdf`.

Modules, one concern each: `trust` (trust-roots folder, the per-process verifier), `registry`
(is this a document we issued, and is it annulled), `documents` (verify an uploaded PDF),
`credential` (verify an SD-JWT VC), `access` (the key in a stamp's QR link that opens the document's
pages), `page_images` (those pages as PNG), `api` and `pages` (HTTP), `cli` (the command).

Settings (`settings.verify`): `TRUST_ROOTS_PATH` (required in production), `VERIFY_WORKERS`,
`VERIFY_TIME_BUDGET_SECONDS`, `VERIFY_PAGE_KEY_SECRET`."""
from __future__ import annotations

from flask import Flask

from ..platform.config import ConfigError
from ..services import services

__all__ = ["init_app"]


def init_app(app: Flask) -> None:
    from . import api, pages
    from .trust import TrustRootsUnavailable, check_trust_roots, fill_dev_trust_roots, make_verifier_holder

    if services(app).settings.is_production:
        try:  # a verifier that trusts nothing would call every genuine document untrusted
            check_trust_roots(app)
        except TrustRootsUnavailable as exc:
            raise ConfigError(f"WALLET_ENV=production needs trusted root certificates: {exc.message}") from None
    services(app).verifier = make_verifier_holder(app)
    services(app).api.register_blueprint(api.blp)
    app.register_blueprint(pages.bp)
    services(app).csrf_exempt_endpoints.update(api.CSRF_EXEMPT)
    services(app).readiness_checks["trust_roots"] = lambda: check_trust_roots(app)
    services(app).init_steps.append(fill_dev_trust_roots)
