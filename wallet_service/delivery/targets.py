"""Delivery targets: the external stores a signed result is pushed to, read once from the file named
by `DELIVERY_TARGETS_FILE` (JSON or TOML). No file means no external target: results then live in
the citizen's wallet inside the service only.

    [[targets]]
    name = "national-portal"              # shown on the result; unique; at most 64 characters
    type = "webhook"                      # or "case_system": also told when a dossier is returned
    url = "https://store.example/inbox"
    agencies = ["000.00.15.H40"]          # optional: only these agencies' results (default all)
    procedures = ["1.001612.000.00.00.H40"]  # optional: only these procedures (default all)
    include_document = true               # optional: the signed PDF inside the message (default true)
    authorization_env = "PORTAL_TOKEN"    # optional: env variable whose value is the Authorization header
    max_attempts = 10                     # optional, default 10
    timeout_seconds = 10                  # optional, default 10

Arrival notices to the citizen (sent once a result is in their wallet, never holding up `delivered`):

    [[targets]]
    name = "mail"
    type = "email"                        # to the e-mail address of the citizen's last login
    url = "smtp://127.0.0.1:1025"         # smtps:// for TLS; smtp://user@host:587 logs in (STARTTLS)
    mail_from = "Ví kết quả <no-reply@example.vn>"
    secret_env = "SMTP_PASSWORD"          # optional: env variable holding the SMTP password

    [[targets]]
    name = "sms-zalo"
    type = "notice_webhook"               # an SMS or Zalo gateway: JSON with the citizen's phone number
    url = "https://gateway.example/notices"
    secret_env = "NOTICE_HMAC_SECRET"     # required: env variable holding the HMAC-SHA256 key
"""
from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from ..platform.config import ConfigError

WEBHOOK = "webhook"
CASE_SYSTEM = "case_system"
"""A webhook of the case system the dossiers come from: also told when a dossier is returned unsigned."""
EMAIL = "email"
"""An arrival notice by e-mail to the citizen."""
NOTICE_WEBHOOK = "notice_webhook"
"""An arrival notice through an SMS or Zalo gateway's webhook (HMAC-signed JSON)."""
NOTICE_TYPES = frozenset({EMAIL, NOTICE_WEBHOOK})
TARGET_TYPES = frozenset({WEBHOOK, CASE_SYSTEM}) | NOTICE_TYPES
_KNOWN_KEYS = frozenset(
    {"name", "type", "url", "agencies", "procedures", "include_document", "authorization_env", "max_attempts", "timeout_seconds",
     "mail_from", "secret_env"}
)
_SCHEMES = {EMAIL: (("smtp", "smtps"), "an smtp(s)")}


@dataclass(frozen=True)
class DeliveryTarget:
    """One external store and which results it receives."""

    name: str
    """Stable identifier, stored on each delivery row (`Delivery.target`)."""
    type: str
    """`webhook` (an HTTP POST of a signed JWS) or `case_system` (the same, plus returned dossiers)."""
    url: str
    """Where the webhook posts."""
    agencies: frozenset[str] = frozenset()
    """Agency codes whose results go here; empty means every agency."""
    procedures: frozenset[str] = frozenset()
    """Procedure codes whose results go here; empty means every procedure."""
    include_document: bool = True
    """Put the signed PDF (base64) in the message; otherwise only its hash and link."""
    authorization_env: str | None = None
    """Name of the environment variable holding the Authorization header value (the secret stays out of files)."""
    max_attempts: int = 10
    """Attempts before a delivery is given up as `failed`."""
    timeout_seconds: float = 10.0
    """How long one HTTP attempt may take."""
    mail_from: str = "wallet-service <no-reply@localhost>"
    """An `email` target's From header."""
    secret_env: str | None = None
    """Environment variable holding a notice target's secret: the SMTP password, or the webhook's HMAC key."""

    def wants(self, agency_code: str, procedure_code: str) -> bool:
        return (not self.agencies or agency_code in self.agencies) and (
            not self.procedures or procedure_code in self.procedures
        )

    def authorization(self) -> str | None:
        # A secret the targets file names by design, so that it stays out of the file: not a setting.
        return os.environ.get(self.authorization_env) if self.authorization_env else None

    def secret(self) -> str | None:
        # As `authorization`: the targets file names the variable, the secret stays out of it.
        return os.environ.get(self.secret_env) if self.secret_env else None


@dataclass(frozen=True)
class DeliveryTargets:
    """Every configured target, by name."""

    targets: tuple[DeliveryTarget, ...] = ()
    """In the order of the configuration file."""

    def for_result(self, agency_code: str, procedure_code: str) -> list[DeliveryTarget]:
        return [t for t in self.targets if t.wants(agency_code, procedure_code)]

    def get(self, name: str) -> DeliveryTarget | None:
        return next((t for t in self.targets if t.name == name), None)


def load_targets(path: Path | None) -> DeliveryTargets:
    """The targets in `path` (`.toml` or `.json`); no path means none. Raises ConfigError naming the problem."""
    if path is None:
        return DeliveryTargets()
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"DELIVERY_TARGETS_FILE {path} cannot be read: {exc.strerror}.") from None
    try:
        document = tomllib.loads(raw.decode()) if path.suffix == ".toml" else json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ConfigError(f"DELIVERY_TARGETS_FILE {path} is not valid {path.suffix.lstrip('.').upper() or 'JSON'}: {exc}") from None
    entries = document.get("targets", []) if isinstance(document, Mapping) else None
    if not isinstance(entries, list):
        raise ConfigError(f"DELIVERY_TARGETS_FILE {path}: expected a top-level 'targets' list.")
    targets = tuple(_target(path, number, entry) for number, entry in enumerate(entries, start=1))
    names = [t.name for t in targets]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ConfigError(f"DELIVERY_TARGETS_FILE {path}: target names must be unique ({', '.join(duplicates)}).")
    return DeliveryTargets(targets)


def _target(path: Path, number: int, entry: object) -> DeliveryTarget:
    where = f"DELIVERY_TARGETS_FILE {path}, target {number}"
    if not isinstance(entry, Mapping):
        raise ConfigError(f"{where}: must be a table/object.")
    unknown = sorted(set(entry) - _KNOWN_KEYS)
    if unknown:
        raise ConfigError(f"{where}: unknown keys {', '.join(unknown)}.")
    name = entry.get("name")
    if not isinstance(name, str) or not 1 <= len(name) <= 64:
        raise ConfigError(f"{where}: 'name' must be a text of 1 to 64 characters.")
    kind = entry.get("type", WEBHOOK)
    if kind not in TARGET_TYPES:
        raise ConfigError(f"{where} ({name}): unknown type '{kind}'; known: {', '.join(sorted(TARGET_TYPES))}.")
    url = entry.get("url")
    schemes, described = _SCHEMES.get(kind, (("http", "https"), "an http(s)"))
    if not isinstance(url, str) or urlsplit(url).scheme not in schemes or not urlsplit(url).netloc:
        raise ConfigError(f"{where} ({name}): 'url' must be {described} URL.")
    notice = _notice_keys(where, name, kind, entry)
    lists = {}
    for key in ("agencies", "procedures"):
        value = entry.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{where} ({name}): '{key}' must be a list of codes.")
        lists[key] = frozenset(value)
    max_attempts = entry.get("max_attempts", 10)
    timeout = entry.get("timeout_seconds", 10)
    if not isinstance(max_attempts, int) or isinstance(max_attempts, bool) or not 1 <= max_attempts <= 100:
        raise ConfigError(f"{where} ({name}): 'max_attempts' must be a whole number from 1 to 100.")
    if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or not 0 < timeout <= 300:
        raise ConfigError(f"{where} ({name}): 'timeout_seconds' must be a number above 0, at most 300.")
    include = entry.get("include_document", True)
    authorization_env = entry.get("authorization_env")
    if not isinstance(include, bool):
        raise ConfigError(f"{where} ({name}): 'include_document' must be true or false.")
    if authorization_env is not None and not isinstance(authorization_env, str):
        raise ConfigError(f"{where} ({name}): 'authorization_env' must name an environment variable.")
    return DeliveryTarget(
        name=name,
        type=kind,
        url=url,
        agencies=lists["agencies"],
        procedures=lists["procedures"],
        include_document=include,
        authorization_env=authorization_env,
        max_attempts=max_attempts,
        timeout_seconds=float(timeout),
        **notice,
    )


def _notice_keys(where: str, name: str, kind: str, entry: Mapping) -> dict:
    """`mail_from` and `secret_env`, checked: a gateway webhook must name its HMAC key's variable."""
    keys = {key: entry[key] for key in ("mail_from", "secret_env") if key in entry}
    if any(not isinstance(v, str) or not v.strip() for v in keys.values()):
        raise ConfigError(f"{where} ({name}): 'mail_from' and 'secret_env' must be texts.")
    if kind == NOTICE_WEBHOOK and "secret_env" not in keys:
        raise ConfigError(f"{where} ({name}): a notice_webhook needs 'secret_env', the variable holding its HMAC key.")
    return keys
