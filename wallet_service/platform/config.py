"""Configuration: environment variables -> one frozen `Settings`, read once by the app factory.

Every variable the service reads is a field here, declared with `setting(NAME, default, parse)`, and
listed in README.md ("Configuration"; `environment_variables()` is what a test compares it with).
Feature code reads `services(app).settings`, never the environment. Development defaults make
`make run` work with nothing set; production refuses to start while any development stand-in would be used.
"""
from __future__ import annotations

import dataclasses
import ipaddress
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .auth_config import AuthSettings, ProviderSettings, finish_auth
from .config_values import (
    NOT_TESTING_ONLY, ConfigError, folder, group, names, one_of, path, positive_whole, seconds, setting, whole,
)

__all__ = [
    "DEVELOPMENT", "PRODUCTION", "ArchiveSettings", "AuthSettings", "BatchSettings", "CelerySettings",
    "ConfigError", "DeliverySettings", "IssuerSettings", "MetricsSettings", "PresentationSettings",
    "ProviderSettings", "RateLimitSettings", "Settings", "VerifySettings", "environment_variables", "load_settings",
    "setting",
]

DEVELOPMENT = "development"
PRODUCTION = "production"
_DEV_SECRET = "development-only-secret-key"
_DEV_BASE_URL = "http://127.0.0.1:5000"
# RFC 7523 leaves the lifetime to the service; beyond a few minutes a leaked assertion is a standing credential.
MAX_ASSERTION_AGE = 300


def _addresses(name: str, raw: object) -> tuple[str, ...]:
    """Comma-separated IP addresses or networks, or `*`."""
    entries = names(name, raw)
    for entry in entries:
        try:
            if entry != "*":
                ipaddress.ip_network(entry, strict=False)
        except ValueError:
            raise ConfigError(f"{name}: '{entry}' is not an IP address or network.") from None
    return entries


@dataclass(frozen=True)
class CelerySettings:
    broker_url: str = setting("CELERY_BROKER_URL", "")
    """`redis://...` or `amqp://...`; setting it moves background work to Celery (empty: in-process)."""
    queue: str = setting("CELERY_QUEUE", "wallet")
    """The queue of this deployment's tasks, so that several deployments can share one broker."""
    signing_queue: str = setting("CELERY_SIGNING_QUEUE", "")
    """The queue of the signing tasks (empty: `queue`), for the workers that sign (README, Production)."""
    visibility_timeout: int = setting("CELERY_VISIBILITY_TIMEOUT", 3600, positive_whole)
    """Seconds a Redis broker waits for a task's acknowledgement; longer than the longest batch."""
    beat_schedule_file: Path | None = setting("CELERY_BEAT_SCHEDULE_FILE", None, path)
    """Where `celery beat` keeps its last-run times; None means `instance/celerybeat-schedule`."""


@dataclass(frozen=True)
class BatchSettings:
    lease_seconds: float = setting("BATCH_LEASE_SECONDS", 60.0, seconds)
    """How long a signing worker holds a batch without renewing it before another takes over."""
    resume_seconds: float = setting("BATCH_RESUME_SECONDS", 15.0, seconds, testing=0.0)
    """How often waiting or abandoned batches are resumed, and unapproved ones expired (0: never)."""
    authorisation_seconds: float = setting("BATCH_AUTHORISATION_SECONDS", 900.0, seconds)
    """How long a batch waits for its official's PIN and one-time code (or token) before its results go back
    to the queue unsigned."""


@dataclass(frozen=True)
class ArchiveSettings:
    renewal_margin_days: int = setting("ARCHIVE_RENEWAL_MARGIN_DAYS", 180, positive_whole)
    """A result's long-term proof is renewed this many days before its newest timestamp's TSA certificate expires."""
    deprecated_algorithms: tuple[str, ...] = setting("ARCHIVE_DEPRECATED_ALGORITHMS", (), names)
    """Digest, signature or key algorithms (`sha1`, `rsassa_pkcs1v15`, `rsa1024`) whose proofs are renewed now."""
    renew_seconds: float = setting("ARCHIVE_RENEW_SECONDS", 86400.0, seconds, testing=0.0)
    """How often due proofs are renewed (0: never; under Celery, a beat entry)."""
    renew_limit: int = setting("ARCHIVE_RENEW_LIMIT", 5000, positive_whole)
    """The most results one scheduled run indexes, and the most it renews."""
    renew_workers: int | None = setting("ARCHIVE_RENEW_WORKERS", None, positive_whole, testing=1)
    """Processes renewing at once on PostgreSQL; None means one per CPU core, at most 4 (SQLite: always 1).
    Under Celery, above 1 the run is sent to the worker pools as at least this many tasks.
    Tests default to 1: spawned processes do not share a test's travelled clock."""


@dataclass(frozen=True)
class DeliverySettings:
    targets_file: Path | None = setting("DELIVERY_TARGETS_FILE", None, path)
    """JSON or TOML file of the external stores; None means none."""
    signing_key_file: Path | None = setting("DELIVERY_SIGNING_KEY_FILE", None, path)
    """EC P-256 PEM signing the messages; None: generated under the instance folder (development)."""
    poll_seconds: float = setting("DELIVERY_POLL_SECONDS", 3.0, seconds, testing=0.0)
    """How often due deliveries are sent (0: never; under Celery, a beat entry)."""
    lease_seconds: float = setting("DELIVERY_LEASE_SECONDS", 120.0, seconds)
    """How long a claimed delivery is reserved for its worker; longer than any target's timeout."""
    backoff_seconds: float = setting("DELIVERY_BACKOFF_SECONDS", 30.0, seconds)
    """Wait after the first failed attempt; doubled after each further one."""
    backoff_max_seconds: float = setting("DELIVERY_BACKOFF_MAX_SECONDS", 6 * 3600.0, seconds)
    """The longest wait between two attempts."""
    batch_size: int = setting("DELIVERY_BATCH_SIZE", 100, positive_whole)
    """Deliveries a worker round claims, sends, then records together (a worker that dies mid-round
    leaves them to be sent again, same idempotency key, once their lease runs out)."""


@dataclass(frozen=True)
class RateLimitSettings:
    login: str = setting("RATE_LIMIT_LOGIN", "30 per minute")
    verify: str = setting("RATE_LIMIT_VERIFY", "120 per minute")
    verify_registered: str = setting("RATE_LIMIT_VERIFY_REGISTERED", "1200 per minute")
    """A registered document answered from its stored report: counted in each process's memory."""
    intake: str = setting("RATE_LIMIT_INTAKE", "6000 per minute")
    storage_uri: str = setting("RATELIMIT_STORAGE_URI", "memory://")
    """Where the counters live: one process's memory, or a shared store (`redis://...`)."""


@dataclass(frozen=True)
class VerifySettings:
    trust_roots_path: Path | None = setting("TRUST_ROOTS_PATH", None, folder)
    """Folder of trusted root certificates; None: `instance/trust-roots` (development only)."""
    workers: int | None = setting("VERIFY_WORKERS", None, positive_whole)
    """Verifier processes; None means one per CPU core, at most 4."""
    time_budget_seconds: float | None = setting("VERIFY_TIME_BUDGET_SECONDS", None, seconds)
    """Longest verification of one document; None means the verifier's default (15 s)."""
    page_key_secret: str = setting("VERIFY_PAGE_KEY_SECRET", "")
    """Keys the access key printed in each stamp's QR link; empty: `SECRET_KEY`. Printed keys stop
    opening the document's pages when it changes, so rotate `SECRET_KEY` only with this one set."""


@dataclass(frozen=True)
class MetricsSettings:
    token: str = setting("METRICS_TOKEN", "")
    """Bearer token `/metrics` asks for; empty: open in development, closed in production."""
    multiproc_dir: Path | None = setting("PROMETHEUS_MULTIPROC_DIR", None, folder)
    """prometheus_client's multiprocess folder (it reads the variable itself, at import): every web and
    worker process writes its counts there and `/metrics` merges them. None: this process's counts only."""


@dataclass(frozen=True)
class IssuerSettings:
    key_file: Path | None = setting("CREDENTIAL_ISSUER_KEY_FILE", None, path)
    """PEM key signing SD-JWT VCs; None: generated under the instance folder (development only)."""
    cert_file: Path | None = setting("CREDENTIAL_ISSUER_CERT_FILE", None, path)
    """PEM chain of the signing key's certificate up to (not including) the CA's root, sent as `x5c`;
    None: issued by the development PKI's CA when there is one (development only)."""
    mode: str = setting("CREDENTIAL_ISSUER_MODE", "open", one_of("open", "haip"))
    """`haip`: DPoP-bound tokens, a wallet attestation at the token endpoint and key attestations
    are required (OpenID4VC High Assurance Interoperability Profile); `open`: accepted when sent."""
    key_attestation: str = setting("CREDENTIAL_KEY_ATTESTATION", "optional", one_of("optional", "required"))
    """Whether key proofs must carry a key attestation (always required in `haip` mode)."""
    attestation_roots: Path | None = setting("WALLET_ATTESTATION_TRUST_ROOTS", None, path)
    """PEM file of the root certificates of trusted wallet providers (wallet and key attestations
    carry their chain in `x5c`); None: no attestation is trusted."""

    @property
    def haip(self) -> bool:
        return self.mode == "haip"

    @property
    def key_attestation_required(self) -> bool:
        return self.haip or self.key_attestation == "required"


@dataclass(frozen=True)
class PresentationSettings:
    key_file: Path | None = setting("VERIFIER_KEY_FILE", None, path)
    """PEM EC P-256 key signing OpenID4VP request objects; None: issued from the development PKI."""
    certificate_file: Path | None = setting("VERIFIER_CERTIFICATE_FILE", None, path)
    """PEM chain (leaf first, root left out) of that key; the leaf names PUBLIC_BASE_URL's host as a dNSName."""
    client_id_prefix: str = setting("VERIFIER_CLIENT_ID_PREFIX", "x509_san_dns", one_of("x509_san_dns", "x509_hash"))
    """How wallets identify the verifier: by the certificate's dNSName, or by its SHA-256 (what HAIP requires)."""
    response_mode: str = setting("VERIFIER_RESPONSE_MODE", "direct_post", one_of("direct_post", "direct_post.jwt"))
    """`direct_post.jwt`: wallets must encrypt their responses (what HAIP requires)."""
    retention_seconds: float = setting("PRESENTATION_RETENTION_SECONDS", 86400.0, seconds)
    """How long a presentation request and its report (the citizen's presented data) are kept after it expired."""


@dataclass(frozen=True)
class Settings:
    env: str = setting("WALLET_ENV", DEVELOPMENT)
    """`development` (embedded stand-ins allowed) or `production`."""
    secret_key: str = setting("SECRET_KEY", _DEV_SECRET)
    """Signs CSRF tokens; the development provider derives its client secret from it."""
    session_redis_url: str = setting("SESSION_REDIS_URL", "")
    """Where login sessions are kept (`redis://...`); empty means files under `instance_path/sessions`
    (development only: they belong to one machine)."""
    forwarded_allow_ips: tuple[str, ...] = setting("FORWARDED_ALLOW_IPS", ("127.0.0.1",), _addresses)
    """Addresses (or networks) of the reverse proxies whose `X-Forwarded-For`/`-Proto` are believed;
    `*` believes anyone. Other callers' forwarding headers are ignored."""
    instance_path: Path = setting("INSTANCE_PATH", Path("instance"), folder)
    """Folder for the SQLite database, documents and the development PKI (never tracked)."""
    database_url: str = setting("DATABASE_URL", "")
    """SQLAlchemy URL; empty means SQLite under `instance_path`."""
    public_base_url: str = setting("PUBLIC_BASE_URL", _DEV_BASE_URL)
    """Address printed in QR codes, credentials and certificates' service URLs."""
    documents_path: Path | None = setting("DOCUMENTS_PATH", None, folder)
    """Where documents are stored; default `instance_path/documents`."""
    max_document_bytes: int = setting("MAX_DOCUMENT_BYTES", 20 * 1024 * 1024, whole)
    """Largest accepted PDF upload."""
    copy_ocr_language: str = setting("COPY_OCR_LANGUAGE", "vie")
    """Tesseract language of a certified copy's text layer; `none` (or Tesseract or its data missing): copies
    are made without text, and their statement says so."""
    client_assertion_max_age: int = setting("CLIENT_ASSERTION_MAX_AGE", 300, whole)
    """Longest lifetime (seconds) of a case system's bearer assertion; at most 300."""
    assertion_cleanup_seconds: float = setting("ASSERTION_CLEANUP_SECONDS", 300.0, seconds, testing=0.0)
    """How often the `jti`s of expired bearer assertions are forgotten (0: never)."""
    audit_checkpoint_seconds: float = setting("AUDIT_CHECKPOINT_SECONDS", 3600.0, seconds, testing=0.0)
    """How often the audit chain's head is timestamped by the TSA (0: never; `audit verify` then
    checks no checkpoint's age)."""
    signature_level: str = setting("SIGNATURE_LEVEL", "B-LTA")
    """PAdES level of the agency seal: B-B, B-T, B-LT or B-LTA."""
    signing_workers: int = setting("SIGNING_WORKERS", 0, whole)
    """Processes for the PDF work of a signing batch; 0 means one per CPU core."""
    keys_config: str = setting("KEYS_CONFIG", "")
    """Path of the TOML file naming each official's and agency's key (PKCS#11, CSC v2, PKCS#12) and the
    TSA (`wallet_service.keys.config`); empty means the development PKI (refused in production)."""
    dev_official_signing: str = setting("DEV_OFFICIAL_SIGNING", "remote", one_of("remote", "server"),
                                        testing="server")
    """Without KEYS_CONFIG (development): `remote`, the demo officials sign through the embedded remote-signing
    service with PIN and one-time code; `server`, the service holds their keys (tests and benchmarks only: such a
    signature is not the official's own act)."""
    archive: ArchiveSettings = group(ArchiveSettings)
    auth: AuthSettings = group(AuthSettings)
    batches: BatchSettings = group(BatchSettings)
    celery: CelerySettings = group(CelerySettings)
    delivery: DeliverySettings = group(DeliverySettings)
    issuer: IssuerSettings = group(IssuerSettings)
    limits: RateLimitSettings = group(RateLimitSettings)
    metrics: MetricsSettings = group(MetricsSettings)
    presentations: PresentationSettings = group(PresentationSettings)
    verify: VerifySettings = group(VerifySettings)
    testing: bool = False
    """create_app was given TESTING: background rounds default to off (not an environment variable)."""
    extra: Mapping[str, object] = field(default_factory=dict)
    """Overrides handed to `create_app` that are not settings of their own (tests, Flask options)."""

    @property
    def is_production(self) -> bool:
        return self.env == PRODUCTION

    @property
    def sqlalchemy_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.instance_path / 'wallet.sqlite3').resolve()}"

    @property
    def documents_dir(self) -> Path:
        return self.documents_path or self.instance_path / "documents"

    @property
    def pki_dir(self) -> Path:
        return self.instance_path / "pki"

    @property
    def clients_dir(self) -> Path:
        """Private keys of development case-system clients (`wallet-service clients add`)."""
        return self.instance_path / "clients"

    @property
    def service_audience(self) -> str:
        """The `aud` a case system's bearer assertion must carry."""
        return self.public_base_url.rstrip("/")

    def check(self) -> None:
        if self.env not in (DEVELOPMENT, PRODUCTION):
            raise ConfigError(f"WALLET_ENV must be '{DEVELOPMENT}' or '{PRODUCTION}', not '{self.env}'.")
        if self.client_assertion_max_age > MAX_ASSERTION_AGE:
            raise ConfigError(f"CLIENT_ASSERTION_MAX_AGE must be at most {MAX_ASSERTION_AGE} seconds, "
                              f"not {self.client_assertion_max_age}.")
        if not self.is_production:
            return
        self._check_production()

    def _check_production(self) -> None:
        missing = [
            name
            for name, unset in (
                ("SECRET_KEY", self.secret_key in ("", _DEV_SECRET) or len(self.secret_key) < 32),
                ("DATABASE_URL", not self.database_url),
                ("KEYS_CONFIG", not self.keys_config),
                ("TRUST_ROOTS_PATH", self.verify.trust_roots_path is None),
                ("CREDENTIAL_ISSUER_KEY_FILE", self.issuer.key_file is None),
                ("SESSION_REDIS_URL", not self.session_redis_url),
                # HAIP: credentials carry x5c, and wallets are attested by providers someone trusts.
                ("CREDENTIAL_ISSUER_CERT_FILE", self.issuer.haip and self.issuer.cert_file is None),
                ("WALLET_ATTESTATION_TRUST_ROOTS", self.issuer.haip and self.issuer.attestation_roots is None),
            )
            if unset
        ]
        if missing:
            raise ConfigError(
                "WALLET_ENV=production refuses to start with development stand-ins; set "
                + ", ".join(missing)
                + " (SECRET_KEY: at least 32 random characters)."
            )
        if self.public_base_url == _DEV_BASE_URL or not self.public_base_url.startswith("https://"):
            shown = "unset" if self.public_base_url == _DEV_BASE_URL else f"'{self.public_base_url}'"
            raise ConfigError("WALLET_ENV=production needs PUBLIC_BASE_URL, the service's public https:// address "
                              f"(printed in QR codes, credentials and login redirects); it is {shown}.")


def _fields(cls: type, role: str = "") -> Iterator[tuple[dataclasses.Field, str | None]]:
    """Each field of `cls` with its environment variable's name (None for groups and plain fields)."""
    for f in dataclasses.fields(cls):
        env = f.metadata.get("env")
        yield f, env.format(ROLE=role) if env else None


def environment_variables(cls: type = Settings, role: str = "") -> set[str]:
    """Every environment variable `load_settings` reads (README's "Configuration" table lists them)."""
    found: set[str] = set()
    for f, env in _fields(cls, role):
        if "group" in f.metadata:
            found |= environment_variables(f.metadata["group"], f.metadata["role"])
        elif env:
            found.add(env)
    return found


class _Source:
    """Where raw values come from: `create_app`'s overrides (under the environment variable's name,
    or a top-level field's name), then the environment. None and "" count as unset."""

    def __init__(self, overrides: Mapping[str, object], environ: Mapping[str, str]):
        self.overrides, self.environ = overrides, environ
        self.used: set[str] = set()

    def raw(self, env: str, alias: str | None) -> object | None:
        for key in (env, alias):
            if key is not None and key in self.overrides:
                self.used.add(key)
                if self.overrides[key] not in (None, ""):
                    return self.overrides[key]
        return self.environ.get(env) or None


def _build(cls: type, source: _Source, testing: bool, role: str = "", top: bool = False) -> Any:
    values: dict[str, object] = {}
    for f, env in _fields(cls, role):
        if "group" in f.metadata:
            values[f.name] = _build(f.metadata["group"], source, testing, f.metadata["role"])
            continue
        if env is None:
            continue
        raw = source.raw(env, f.name if top else None)
        if raw is not None:
            values[f.name] = f.metadata["parse"](env, raw)
        elif testing and f.metadata["testing"] is not NOT_TESTING_ONLY:
            values[f.name] = f.metadata["testing"]
    return cls(**values)


def load_settings(overrides: Mapping[str, object] | None = None, environ: Mapping[str, str] = os.environ) -> Settings:
    """Settings from `overrides` (keys: a field's name such as `database_url`, or any environment
    variable's name such as `DELIVERY_POLL_SECONDS`), else the environment, else the defaults.
    Override keys that name no setting are kept in `extra` (Flask options such as TESTING)."""
    overrides = dict(overrides or {})
    source = _Source(overrides, environ)
    testing = bool(overrides.get("TESTING"))
    settings: Settings = _build(Settings, source, testing, top=True)
    settings = dataclasses.replace(
        settings,
        # Absolute from here on: libraries (certomancer, Alembic) resolve relative paths against their own folders.
        instance_path=settings.instance_path.resolve(),
        auth=finish_auth(settings.auth),
        testing=testing,
        extra={k: v for k, v in overrides.items() if k not in source.used},
    )
    settings.check()
    return settings
