"""The OpenID4VCI 1.0 credential issuer: signed results as SD-JWT VCs, with Token Status Lists,
at the level of the High Assurance Interoperability Profile when configured so.

Modules, one concern each: `metadata` (what is published), `grants` (offers, tx codes, access
tokens, nonces), `authorization` (PAR, the citizen's authorization, code redemption), `dpop`
(sender-constrained tokens), `attestations` (wallet and key attestations), `request_auth` (who
calls the token and PAR endpoints), `proofs` (key proof validation), `credential` (the SD-JWT VC),
`certificate` (the issuer key's x5c chain), `status_list` (status lists and `annul_credentials`),
`issuance` (credential and notification requests), `documents` (the PDF behind `document.uri`),
`endpoints` / `offers_api` (HTTP), `keys` (the signing key file), `models` (tables)."""
from __future__ import annotations

from flask import Flask

from ..platform.config import ConfigError
from ..results.events import connect_for_app, result_annulled
from ..services import services
from .status_list import annul_credentials

__all__ = ["annul_credentials", "init_app"]

def init_app(app: Flask) -> None:
    from . import authorization, documents, endpoints, models, offers_api  # noqa: F401  (models: tables join the metadata)
    from .attestations import TrustedProviders
    from .certificate import DevelopmentCa
    from .keys import IssuerKeyMissing, IssuerKeySource

    settings = services(app).settings
    dev_ca = None
    if settings.issuer.cert_file is None and not settings.is_production:
        dev_ca = DevelopmentCa(settings.pki_dir / "certs" / "ca.pem", settings.pki_dir / "keys" / "ca.key.pem")
    source = IssuerKeySource(
        # CREDENTIAL_ISSUER_KEY_FILE: required in production, where nothing is generated.
        path=settings.issuer.key_file or settings.instance_path / "issuer" / "credential-signing-key.pem",
        may_generate=not settings.is_production,
        cert_path=settings.issuer.cert_file or (settings.instance_path / "issuer" / "credential-signing-cert.pem" if dev_ca else None),
        dev_ca=dev_ca,
    )
    if settings.is_production:
        try:  # not at the first credential offer: a citizen would meet the error, not the operator
            source.load()
        except IssuerKeyMissing as exc:
            raise ConfigError(f"CREDENTIAL_ISSUER_KEY_FILE: {exc}") from None
        except (ValueError, TypeError, OSError) as exc:
            raise ConfigError(f"CREDENTIAL_ISSUER_KEY_FILE: {source.path} is not a readable PEM private key "
                              f"({type(exc).__name__}), or CREDENTIAL_ISSUER_CERT_FILE does not certify it.") from None
    services(app).issuer_key = source
    try:
        services(app).wallet_providers = TrustedProviders.from_file(settings.issuer.attestation_roots)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"WALLET_ATTESTATION_TRUST_ROOTS: not a readable PEM file of certificates ({type(exc).__name__}).") from None
    app.register_blueprint(endpoints.bp)
    app.register_blueprint(documents.bp)
    app.register_blueprint(authorization.bp)
    services(app).api.register_blueprint(offers_api.blp)
    services(app).csrf_exempt_endpoints.update(endpoints.CSRF_EXEMPT | authorization.CSRF_EXEMPT)
    services(app).readiness_checks["credential_issuer_key"] = source.load
    connect_for_app(result_annulled, app, annul_credentials)

    def ensure_issuer_key(_app: Flask) -> str:
        made = source.ensure()
        return f"credential issuer key {'created' if made else 'ready'}: {source.path} (kid {source.load().kid})"

    services(app).init_steps.append(ensure_issuer_key)
