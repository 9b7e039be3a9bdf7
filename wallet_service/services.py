"""The app's services in one typed object, instead of string keys in `app.extensions`.

`create_app` builds it with what every part needs (settings, document store, API), then each
feature's `init_app`, in `create_app`'s order, fills in its own field. It stays mutable: features
register themselves while the app is being built, the development PKI key directory appears when
`wallet-service init` creates it, and tests replace a service (e.g. the verifier) on a built app.
One per app, reached through `services(app)` or, in a request or app context, `services()`."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from flask import Flask, current_app

if TYPE_CHECKING:
    from adapters.oidc import RelyingParty
    from celery import Celery
    from flask_limiter import Limiter

    from .platform.auth_config import AuthSettings
    from .batches.signer import BatchSignerHolder
    from .delivery.config import DeliveryConfig
    from .dev.csc.service import DevCscService
    from .dev.idp.provider import EmbeddedProvider
    from .issuer.attestations import TrustedProviders
    from .issuer.keys import IssuerKeySource
    from .keys.interface import KeyDirectory
    from .platform.rate_counters import Counters
    from .metrics.instruments import Metrics
    from .platform.config import Settings
    from .platform.errors import Api
    from .platform.runners import JobRunner, Periodic
    from .platform.storage import DocumentStore
    from .platform.tasks import ScheduledWork
    from .presentations.identity import IdentitySource
    from .results.events import ResultEvents
    from .verify.holder import VerifierHolder

EXTENSION = "wallet"
"""The one `app.extensions` key: the `Services` object."""


@dataclass(eq=False)
class Services:
    settings: Settings
    documents: DocumentStore
    """Where PDFs are stored, by SHA-256."""
    api: Api
    """flask-smorest's API: feature packages register their blueprints on it."""
    events: ResultEvents
    """The result signals as this app sends them; what domain code is given instead of the app."""
    readiness_checks: dict[str, Callable[[], object]] = field(default_factory=dict)
    """`/readyz`: each check raises when its dependency is unusable."""
    init_steps: list[Callable[[Flask], str]] = field(default_factory=list)
    """`wallet-service init` steps (development keys, trust roots); each returns a line to print."""
    csrf_exempt_endpoints: set[str] = field(default_factory=set)
    """Machine endpoints that authenticate otherwise (bearer tokens, wallet protocols)."""
    jobs: JobRunner | None = None
    """Set by `jobs.init_app`, after every feature: in-process thread or Celery."""
    celery: Celery | None = None
    """Only when CELERY_BROKER_URL is set."""
    schedule: dict[str, ScheduledWork] = field(default_factory=dict)
    """Periodic work for Celery beat (Celery only)."""
    pollers: list[Periodic] = field(default_factory=list)
    """Periodic threads of the embedded default."""
    keys: KeyDirectory | None = None
    """None until the development PKI exists (`wallet-service init`)."""
    batch_signer: BatchSignerHolder | None = None
    batch_resume_poller: Periodic | None = None
    auth: AuthSettings | None = None
    oidc: dict[str, RelyingParty] = field(default_factory=dict)
    """The relying party of each role (`citizen`, `official`)."""
    official_issuer: str = ""
    """The issuer officials log in with; demo officials are created for it."""
    devidp: EmbeddedProvider | None = None
    """The embedded development OpenID provider, when no external one is configured."""
    devcsc: DevCscService | None = None
    """The embedded development remote-signing service, when KEYS_CONFIG is not set."""
    issuer_key: IssuerKeySource | None = None
    wallet_providers: TrustedProviders | None = None
    """Roots of the wallet providers whose wallet and key attestations the issuer accepts."""
    verifier_identity: IdentitySource | None = None
    """The key and certificate that sign OpenID4VP request objects."""
    verifier: VerifierHolder | None = None
    delivery: DeliveryConfig | None = None
    delivery_poller: Periodic | None = None
    limiter: Limiter | None = None
    rate_counters: Counters | None = None
    """The counters `POST /api/v1/verify` charges itself (`platform.limits`)."""
    metrics: Metrics | None = None
    """Set by `metrics.init_app`, before the feature packages that count."""


def services(app: Flask | None = None) -> Services:
    """The services of `app`, else of the current app."""
    return (app if app is not None else current_app).extensions[EXTENSION]
