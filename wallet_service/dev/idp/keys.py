"""The embedded provider's signing key: made by `wallet-service init` under the instance folder
(mode 0600, never committed), read when tokens are signed or the JWKS is served."""
from __future__ import annotations

import json
import os
from pathlib import Path

from joserfc.jwk import RSAKey

KEY_FILE = "dev-oidc/signing-key.jwk.json"


class SigningKeyMissing(RuntimeError):
    """The key has not been made yet."""


def key_path(instance_path: Path) -> Path:
    return Path(instance_path) / KEY_FILE


def ensure_signing_key(instance_path: Path) -> tuple[Path, bool]:
    """Make the RSA-2048 signing key unless it exists; returns its path and whether it was made."""
    path = key_path(instance_path)
    if path.exists():
        return path, False
    key = RSAKey.generate_key(2048, parameters={"use": "sig", "alg": "RS256"}, private=True)
    key.ensure_kid()  # RFC 7638 thumbprint: a new key gets a new kid, so relying parties refetch
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(key.as_dict(private=True), out)
    return path, True


def load_signing_key(instance_path: Path) -> RSAKey:
    path = key_path(instance_path)
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise SigningKeyMissing(
            f"The development OpenID provider has no signing key at {path}; run `wallet-service init`."
        ) from None
    return RSAKey.import_key(data)


def public_jwks(key: RSAKey) -> dict:
    return {"keys": [key.as_dict(private=False)]}
