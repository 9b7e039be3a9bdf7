"""Signing keys from the TOML file named by `KEYS_CONFIG` (production, or any environment that sets it).

    tsa_url = "https://tsa.example.vn/tsa"      # RFC 3161; required unless SIGNATURE_LEVEL is B-B
    http_timeout = 20                           # optional: seconds for the TSA, OCSP and CRL servers
    trust_roots = ["/etc/wallet-service/roots/root-ca.pem"]  # optional: roots our signatures chain to

    [officials]                                 # by Official.key_reference
    official1 = "pkcs11:/usr/lib/softhsm/libsofthsm2.so?token=officials&key=official1&pin-env=PIN_OFFICIAL1"

    [agencies]                                  # by agency code
    "000.00.15.H40" = "csc:https://csc.example.vn/csc/v2?credential=seal-15&client=wallet&secret-env=CSC_SECRET"

Values are key-source specs (`adapters.keys.open_key_source`); secrets only through `-env`/`-file`
parameters. The file is checked when the app starts; each key is opened on first use and kept
for the process, since a PKCS#11 login or a PKCS#12 parse per document would be slow."""
from __future__ import annotations

import logging
import os
import threading
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from cryptography import x509

from adapters.keys import KeySpec, open_key_source, parse_key_spec
from signing.errors import SigningError
from signing.keys import KeySource
from signing.profiles import TrustServices

from ..platform.config import ConfigError
from .errors import KeyUnavailable

log = logging.getLogger(__name__)

_KNOWN_KEYS = frozenset({"tsa_url", "http_timeout", "trust_roots", "officials", "agencies"})
_TABLES = {"officials": "official", "agencies": "agency"}
_TABLE_OF = {kind: table for table, kind in _TABLES.items()}
# A refused PIN is not tried again: tokens lock after a few wrong attempts.
_FINAL_CODES = frozenset({"pin_incorrect", "pin_locked"})


@dataclass(frozen=True)
class KeysConfig:
    """The checked contents of a KEYS_CONFIG file."""

    path: Path
    trust_services: TrustServices
    trust_roots: tuple[Path, ...] = ()
    """Certificate files the service's own signatures chain to."""
    officials: Mapping[str, KeySpec] = field(default_factory=lambda: MappingProxyType({}))
    """By `Official.key_reference`."""
    agencies: Mapping[str, KeySpec] = field(default_factory=lambda: MappingProxyType({}))
    """By agency code."""


def load_keys_config(path: Path, *, needs_timestamp: bool = True, personal_keys_by_holder: bool = False) -> KeysConfig:
    """Read and check `path`; raises ConfigError naming the file and the bad entry. With
    `personal_keys_by_holder` (production) every official's key must be approved by the official at
    signing time: a signature made with a PIN the server holds is not the official's own act."""
    where = f"KEYS_CONFIG {path}"
    try:
        document = tomllib.loads(path.read_bytes().decode())
    except OSError as exc:
        raise ConfigError(f"{where} cannot be read: {exc.strerror}.") from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{where} is not valid TOML: {exc}") from None
    unknown = sorted(set(document) - _KNOWN_KEYS)
    if unknown:
        raise ConfigError(f"{where}: unknown keys {', '.join(unknown)}; known: {', '.join(sorted(_KNOWN_KEYS))}.")

    tsa_url = document.get("tsa_url")
    if tsa_url is None and needs_timestamp:
        raise ConfigError(f"{where}: 'tsa_url' is missing; signatures of B-T and above need a timestamp authority.")
    if tsa_url is not None and (not isinstance(tsa_url, str) or not tsa_url.startswith(("http://", "https://"))):
        raise ConfigError(f"{where}: 'tsa_url' must be an http(s) URL.")
    timeout = document.get("http_timeout", TrustServices.http_timeout)
    if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or not 0 < timeout <= 300:
        raise ConfigError(f"{where}: 'http_timeout' must be a number of seconds above 0, at most 300.")

    roots = document.get("trust_roots", [])
    if not isinstance(roots, list) or not all(isinstance(r, str) for r in roots):
        raise ConfigError(f"{where}: 'trust_roots' must be a list of certificate file paths.")
    # Relative to the file, so that a folder of configuration can move as a whole.
    root_paths = tuple(path.parent / r for r in roots)
    for root in root_paths:
        _check_certificate(where, root)

    tables = {}
    for table, kind in _TABLES.items():
        entries = document.get(table, {})
        if not isinstance(entries, Mapping):
            raise ConfigError(f"{where}: [{table}] must be a table of {kind} name = \"key source spec\".")
        tables[table] = MappingProxyType({name: _spec(where, table, name, spec) for name, spec in entries.items()})
    if personal_keys_by_holder:
        _refuse_server_held(where, tables["officials"])
    return KeysConfig(path, TrustServices(tsa_url=tsa_url, http_timeout=float(timeout)), root_paths,
                      tables["officials"], tables["agencies"])


def _refuse_server_held(where: str, officials: Mapping[str, KeySpec]) -> None:
    held = sorted(name for name, spec in officials.items() if not spec.holder_approves)
    if held:
        raise ConfigError(
            f"{where}: [officials] {', '.join(held)}: an official's key must be under the official's sole control "
            "when signing, so WALLET_ENV=production refuses a key whose PIN or file the service holds. Use "
            "csc:...?credential=ID&client=NAME&secret-env=VAR without pin-env/pin-file (the official gives PIN and "
            "one-time code for each batch) or agent:/path/official-cert.pem (their USB token through "
            "`wallet-service agent`). Server-held keys are for agency seals ([agencies]).")


def _check_certificate(where: str, path: Path) -> None:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{where}: trust root {path} cannot be read: {exc.strerror}.") from None
    try:
        if b"-----BEGIN" in data:
            x509.load_pem_x509_certificates(data)
        else:
            x509.load_der_x509_certificate(data)
    except ValueError:
        raise ConfigError(f"{where}: trust root {path} is not a PEM or DER certificate.") from None


def _spec(where: str, table: str, name: str, spec: object) -> KeySpec:
    if not isinstance(spec, str):
        raise ConfigError(f"{where}: [{table}] {name}: the value must be a key source spec text.")
    try:
        return parse_key_spec(spec)
    except SigningError as exc:  # its message names parameters, never their values
        raise ConfigError(f"{where}: [{table}] {name}: {exc.message}") from None


class _Entry:
    """One configured key: opened at most once at a time, then kept."""

    def __init__(self, kind: str, name: str, spec: KeySpec):
        self.kind, self.name, self.spec = kind, name, spec
        self.lock = threading.Lock()
        self.source: KeySource | None = None
        self.refused: str | None = None
        self.pid: int | None = None


class ConfigKeyDirectory:
    """The `KeyDirectory` of a KEYS_CONFIG file. Thread-safe; a forked process opens its own keys
    (token sessions and HTTP connections do not survive a fork)."""

    def __init__(self, config: KeysConfig):
        self.config = config
        self.trust_services = config.trust_services
        self._entries = {
            (kind, name): _Entry(kind, name, spec)
            for table, kind in _TABLES.items()
            for name, spec in getattr(config, table).items()
        }

    @classmethod
    def from_file(cls, path: Path, *, needs_timestamp: bool = True,
                  personal_keys_by_holder: bool = False) -> ConfigKeyDirectory:
        return cls(load_keys_config(path, needs_timestamp=needs_timestamp,
                                    personal_keys_by_holder=personal_keys_by_holder))

    def official_key(self, key_reference: str) -> KeySource:
        return self._key("official", key_reference)

    def agency_key(self, agency_code: str) -> KeySource:
        return self._key("agency", agency_code)

    def trust_root_paths(self) -> list[Path]:
        return list(self.config.trust_roots)

    def names(self) -> list[tuple[str, str]]:
        """(`official` or `agency`, name) of every configured key, in the file's order, officials first."""
        return list(self._entries)

    def check(self) -> None:
        """Readiness: every secret the file names can be read. Opens no token: a probe must not log in."""
        problems = [
            f"{entry.kind} {entry.name}: {problem}"
            for entry in self._entries.values()
            for problem in entry.spec.secret_problems()
        ]
        if problems:
            raise KeyUnavailable(f"KEYS_CONFIG {self.config.path}: " + "; ".join(problems) + ".")

    def _key(self, kind: str, name: str) -> KeySource:
        entry = self._entries.get((kind, name))
        if entry is None:
            raise KeyUnavailable(f"No signing key for {kind} '{name}': KEYS_CONFIG {self.config.path} has no "
                                 f"such entry in [{_TABLE_OF[kind]}].")
        with entry.lock:
            if entry.pid != os.getpid():
                entry.source, entry.refused, entry.pid = None, None, os.getpid()
            if entry.refused:
                raise KeyUnavailable(entry.refused)
            if entry.source is None:
                entry.source = self._open(entry)
            return entry.source

    def _open(self, entry: _Entry) -> KeySource:
        source = None
        try:
            source = open_key_source(entry.spec)
            source.check_credentials()
            return source
        except Exception as exc:
            if source is not None:
                source.close()
            where = f"The signing key of {entry.kind} '{entry.name}' (KEYS_CONFIG {self.config.path}) cannot be opened"
            if not isinstance(exc, SigningError):  # a library's own message might quote anything: keep it in the log
                log.exception("%s", where)
                raise KeyUnavailable(f"{where}: unexpected {type(exc).__name__}; see the service log.") from None
            # Key sources' messages carry no secret (open_key_source sees to it).
            message = f"{where}: {exc.code}: {exc.message}"
            if exc.code in _FINAL_CODES:
                entry.refused = message + " Not tried again until the service restarts."
            raise KeyUnavailable(message) from None
