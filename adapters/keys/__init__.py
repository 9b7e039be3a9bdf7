"""Key sources (implementations of :class:`signing.keys.KeySource`) and a spec parser."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote, urlsplit

from signing.errors import InvalidRequest, SigningError
from signing.keys import KeySource

# What each scheme accepts after `?`; anything else is a typo worth refusing (`pin-evn=`).
_PARAMETERS = {
    "pkcs12": frozenset({"passphrase-file", "passphrase-env"}),
    "pkcs11": frozenset({"token", "key", "pin-file", "pin-env"}),
    "csc": frozenset({"credential", "client", "secret-file", "secret-env", "pin-file", "pin-env"}),
    "agent": frozenset(),
}
_SECRETS = {"pkcs12": ("passphrase",), "pkcs11": ("pin",), "csc": ("secret", "pin"), "agent": ()}
_INLINE_SECRETS = frozenset({"passphrase", "pin", "secret", "password"})


def _bad(message: str) -> InvalidRequest:
    return InvalidRequest(message, code="bad_key_source")


@dataclass(frozen=True)
class KeySpec:
    """A parsed spec string: which key, and where its secrets are read from (never the secrets)."""

    scheme: str
    """``pkcs12``, ``pkcs11`` or ``csc``."""
    location: str
    """The PKCS#12 file, the PKCS#11 module, or the CSC service's base URL."""
    params: tuple[tuple[str, str], ...] = ()
    """The query parameters, in the order written."""

    def param(self, name: str) -> str | None:
        return dict(self.params).get(name)

    @property
    def holder_approves(self) -> bool:
        """Whether the key's holder approves each batch themselves (their token through the agent, or a
        remote credential without a PIN held here), as a person's signature requires."""
        held_pin = self.param("pin-env") is not None or self.param("pin-file") is not None
        return self.scheme == "agent" or (self.scheme == "csc" and not held_pin)

    def secret_problems(self) -> list[str]:
        """Why a secret this spec names cannot be read now (variable unset, file unreadable);
        checks presence only, so it is cheap enough for a readiness probe."""
        problems = []
        for name in _SECRETS[self.scheme]:
            env, file = self.param(f"{name}-env"), self.param(f"{name}-file")
            if env is not None and env not in os.environ:
                problems.append(f"environment variable {env} is not set")
            if file is not None and not os.access(file, os.R_OK):
                problems.append(f"{name} file {file} cannot be read")
        return problems

    def read_secret(self, name: str, required: bool = True) -> bytes | None:
        file, env = self.param(f"{name}-file"), self.param(f"{name}-env")
        if file is not None:
            try:
                with open(file, "rb") as f:
                    return f.read().strip()
            except OSError as exc:
                raise _bad(f"Cannot read the {name} file {file}: {exc.strerror}.") from None
        if env is not None:
            value = os.environ.get(env)
            if value is None:
                raise _bad(f"Environment variable {env} is not set.")
            return value.encode()
        if required:
            raise _bad(f"Key source spec needs {name}-file= or {name}-env=.")
        return None


def parse_key_spec(spec: str) -> KeySpec:
    """Check an operator's spec string without opening anything (see :func:`open_key_source`).

    Messages name parameters, never their values: a mistyped spec may hold a secret.
    """
    scheme, colon, rest = spec.partition(":")
    if not colon or scheme not in _PARAMETERS:
        # Echo the scheme only when it looks like one: without a colon it is the whole spec.
        shown = f" {scheme!r}" if colon and re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]{0,15}", scheme) else ""
        raise _bad(f"Unknown key source{shown}; use pkcs12:, pkcs11:, csc: or agent:.")
    parts = urlsplit(rest) if scheme == "csc" else urlsplit("x:" + rest)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    names = [name for name, _ in pairs]
    inline = sorted(set(names) & _INLINE_SECRETS)
    if inline:
        raise _bad(f"A {scheme}: spec must not hold secrets ({', '.join(inline)}=); "
                   f"use {inline[0]}-env= or {inline[0]}-file=.")
    unknown = sorted(set(names) - _PARAMETERS[scheme])
    if unknown:
        raise _bad(f"Unknown {scheme}: parameter(s) {', '.join(unknown)}; "
                   f"known: {', '.join(sorted(_PARAMETERS[scheme]))}.")
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise _bad(f"Parameter(s) {', '.join(repeated)} given twice.")
    empty = sorted(name for name, value in pairs if not value)
    if empty:
        raise _bad(f"Parameter(s) {', '.join(empty)} need a value.")
    if scheme == "csc":
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise _bad("A csc: spec needs the service's https:// address, e.g. csc:https://host/csc/v2?....")
        location = f"{parts.scheme}://{parts.netloc}{parts.path}"
    else:
        location = unquote(parts.path)
        if not location:
            raise _bad(f"A {scheme}: spec needs a file path after the colon.")
    key_spec = KeySpec(scheme, location, tuple(pairs))
    if scheme == "pkcs11":
        missing = [p for p in ("token", "key") if key_spec.param(p) is None]
        if key_spec.param("pin-env") is None and key_spec.param("pin-file") is None:
            missing.append("pin-env or pin-file")
        if missing:
            raise _bad(f"A pkcs11: spec needs {', '.join(missing)}.")
    for name in _SECRETS[scheme]:
        if key_spec.param(f"{name}-env") is not None and key_spec.param(f"{name}-file") is not None:
            raise _bad(f"Give {name}-env= or {name}-file=, not both.")
    return key_spec


def open_key_source(spec: "str | KeySpec") -> KeySource:
    """Build a key source from an operator's spec string.

    - ``pkcs12:/path/file.p12?passphrase-file=/path/pass`` (or ``passphrase-env=VAR``)
    - ``pkcs11:/path/module.so?token=LABEL&key=LABEL&pin-env=VAR`` (or ``pin-file=``)
    - ``csc:https://host/csc/v2?credential=ID&client=NAME&secret-env=VAR&pin-env=VAR`` (without
      ``pin-``: the holder gives PIN and one-time code for each batch)
    - ``agent:/path/official-cert.pem`` (the holder signs on their own token through their agent)

    Secrets are read from files or environment variables, never from the spec itself.
    """
    key_spec = spec if isinstance(spec, KeySpec) else parse_key_spec(spec)
    secrets: list[bytes] = []

    def secret(name: str, required: bool = True) -> bytes | None:
        value = key_spec.read_secret(name, required)
        if value:
            secrets.append(value)
        return value

    try:
        return _open(key_spec, secret)
    except SigningError as exc:
        # Token and service messages are passed on to operators; no secret may travel with them.
        message = exc.message
        for value in secrets:
            message = message.replace(value.decode(errors="replace"), "***")
        exc.message, exc.args = message, (message,)
        raise


def _open(key_spec: KeySpec, secret) -> KeySource:
    if key_spec.scheme == "agent":
        from .agent import AgentKeySource

        return AgentKeySource.from_file(key_spec.location)
    if key_spec.scheme == "pkcs12":
        from .pkcs12 import Pkcs12KeySource

        return Pkcs12KeySource.from_file(key_spec.location, secret("passphrase", False))
    if key_spec.scheme == "pkcs11":
        from .pkcs11 import Pkcs11KeySource

        return Pkcs11KeySource(
            module_path=key_spec.location, token_label=key_spec.param("token") or "",
            key_label=key_spec.param("key") or "", pin=secret("pin").decode(),
        )
    from .csc import CscKeySource

    return CscKeySource(
        base_url=key_spec.location, credential_id=key_spec.param("credential"),
        client_id=key_spec.param("client") or "", client_secret=(secret("secret", False) or b"").decode(),
        pin=(secret("pin", False) or b"").decode() or None,
    )


def sign_file_with_spec(in_path, out_path, level, key_source_spec: str, **options):
    """:func:`signing.operator.sign_file` with the key source given as a spec string
    (see :func:`open_key_source`); what the ``wallet-service sign`` command calls."""
    from signing.operator import sign_file

    key_source = open_key_source(key_source_spec)
    try:
        return sign_file(in_path, out_path, level, key_source, **options)
    finally:
        key_source.close()
