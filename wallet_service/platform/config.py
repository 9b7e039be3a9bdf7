"""Configuration: environment variables -> one frozen `Settings`, read once by the app factory.

Every variable is listed in README.md ("Configuration"). Development defaults make `make run` work
with nothing set; production refuses to start while any development stand-in would be used.
"""
from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

DEVELOPMENT = "development"
PRODUCTION = "production"
_DEV_SECRET = "development-only-secret-key"


class ConfigError(RuntimeError):
    """The configuration cannot be used; the message says which variable to set."""


@dataclass(frozen=True)
class Settings:
    env: str = DEVELOPMENT
    """`development` (embedded stand-ins allowed) or `production`."""
    secret_key: str = _DEV_SECRET
    """Signs session cookies and CSRF tokens."""
    instance_path: Path = Path("instance")
    """Folder for the SQLite database, documents and the development PKI (never tracked)."""
    database_url: str = ""
    """SQLAlchemy URL; empty means SQLite under `instance_path`."""
    public_base_url: str = "http://127.0.0.1:5000"
    """Address printed in QR codes, credentials and certificates' service URLs."""
    documents_path: Path | None = None
    """Where documents are stored; default `instance_path/documents`."""
    max_document_bytes: int = 20 * 1024 * 1024
    """Largest accepted PDF upload."""
    client_assertion_max_age: int = 300
    """Longest lifetime (seconds) of a case system's bearer assertion."""
    signature_level: str = "B-LTA"
    """PAdES level of the agency seal: B-B, B-T, B-LT or B-LTA."""
    signing_workers: int = 0
    """Processes for the PDF work of a signing batch; 0 means one per CPU core."""
    keys_config: str = ""
    """Path of the TOML file naming each official's and agency's key (PKCS#11, CSC v2, PKCS#12) and the
    TSA (`wallet_service.keys.config`); empty means the development PKI (refused in production)."""
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
        if not self.is_production:
            return
        missing = [
            name
            for name, unset in (
                ("SECRET_KEY", self.secret_key in ("", _DEV_SECRET) or len(self.secret_key) < 32),
                ("DATABASE_URL", not self.database_url),
                ("KEYS_CONFIG", not self.keys_config),
            )
            if unset
        ]
        if missing:
            raise ConfigError(
                "WALLET_ENV=production refuses to start with development stand-ins; set "
                + ", ".join(missing)
                + " (SECRET_KEY: at least 32 random characters)."
            )


_ENV_NAMES = {
    "env": "WALLET_ENV",
    "secret_key": "SECRET_KEY",
    "instance_path": "INSTANCE_PATH",
    "database_url": "DATABASE_URL",
    "public_base_url": "PUBLIC_BASE_URL",
    "documents_path": "DOCUMENTS_PATH",
    "max_document_bytes": "MAX_DOCUMENT_BYTES",
    "client_assertion_max_age": "CLIENT_ASSERTION_MAX_AGE",
    "keys_config": "KEYS_CONFIG",
    "signature_level": "SIGNATURE_LEVEL",
    "signing_workers": "SIGNING_WORKERS",
}


def load_settings(overrides: Mapping[str, object] | None = None, environ: Mapping[str, str] = os.environ) -> Settings:
    """Settings from the environment, then `overrides` (keys are field names, e.g. `database_url`)."""
    overrides = dict(overrides or {})
    values: dict[str, object] = {}
    for f in dataclasses.fields(Settings):
        name = _ENV_NAMES.get(f.name)
        if name and environ.get(name):
            values[f.name] = environ[name]
    values.update({k: v for k, v in overrides.items() if k in _ENV_NAMES})
    values["extra"] = {k: v for k, v in overrides.items() if k not in _ENV_NAMES}
    # Absolute from here on: libraries (certomancer, Alembic) resolve relative paths against their own folders.
    values["instance_path"] = Path(values.get("instance_path") or Settings.instance_path).resolve()
    if values.get("documents_path") is not None:
        values["documents_path"] = Path(values["documents_path"]).resolve()
    for key in ("max_document_bytes", "client_assertion_max_age", "signing_workers"):
        if key in values:
            values[key] = int(values[key])
    settings = Settings(**values)
    settings.check()
    return settings
