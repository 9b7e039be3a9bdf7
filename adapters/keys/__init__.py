"""Key sources (implementations of :class:`signing.keys.KeySource`) and a spec parser."""

from __future__ import annotations

from urllib.parse import parse_qs, unquote, urlsplit

from signing.errors import InvalidRequest
from signing.keys import KeySource


def open_key_source(spec: str) -> KeySource:
    """Build a key source from an operator's spec string.

    - ``pkcs12:/path/file.p12?passphrase-file=/path/pass`` (or ``passphrase-env=VAR``)
    - ``pkcs11:/path/module.so?token=LABEL&key=LABEL&pin-env=VAR`` (or ``pin-file=``)
    - ``csc:https://host/csc/v2?credential=ID&client=NAME&secret-env=VAR&pin-env=VAR``

    Secrets are read from files or environment variables, never from the spec itself.
    """
    import os

    scheme, _, rest = spec.partition(":")
    parts = urlsplit("x:" + rest) if scheme != "csc" else urlsplit(rest)
    params = {k: v[0] for k, v in parse_qs(parts.query).items()}

    def secret(name: str, required: bool = True) -> bytes | None:
        if f"{name}-file" in params:
            with open(params[f"{name}-file"], "rb") as f:
                return f.read().strip()
        if f"{name}-env" in params:
            value = os.environ.get(params[f"{name}-env"])
            if value is None:
                raise InvalidRequest(f"Environment variable {params[f'{name}-env']} is not set.",
                                     code="bad_key_source")
            return value.encode()
        if required:
            raise InvalidRequest(f"Key source spec needs {name}-file= or {name}-env=.",
                                 code="bad_key_source")
        return None

    if scheme == "pkcs12":
        from .pkcs12 import Pkcs12KeySource

        return Pkcs12KeySource.from_file(unquote(parts.path), secret("passphrase", False))
    if scheme == "pkcs11":
        from .pkcs11 import Pkcs11KeySource

        return Pkcs11KeySource(
            module_path=unquote(parts.path), token_label=params.get("token", ""),
            key_label=params.get("key", ""), pin=secret("pin").decode(),
        )
    if scheme == "csc":
        from .csc import CscKeySource

        base = f"{parts.scheme}://{parts.netloc}{parts.path}"
        return CscKeySource(
            base_url=base, credential_id=params.get("credential"),
            client_id=params.get("client", ""), client_secret=(secret("secret", False) or b"").decode(),
            pin=(secret("pin", False) or b"").decode() or None,
        )
    raise InvalidRequest(
        f"Unknown key source {scheme!r}; use pkcs12:, pkcs11: or csc:.", code="bad_key_source"
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
