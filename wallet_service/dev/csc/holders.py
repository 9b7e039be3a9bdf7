"""The development remote-signing service's secrets: its one client's id and secret (what the
service itself logs in with) and each demo official's TOTP secret. Made by `wallet-service init` in
one file under the instance folder (mode 0600, never committed, never logged); the demo PIN is fixed
and documented, as the demo password is."""
from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

import pyotp

DEMO_PIN = "123456"
"""Every demo official's PIN (README, "Demo accounts")."""
SECRETS_FILE = "dev-csc/secrets.json"


class HolderSecretsMissing(RuntimeError):
    """`wallet-service init` has not made the secrets yet."""


@dataclass(frozen=True)
class DevCscSecrets:
    """What the file holds."""

    client_id: str
    client_secret: str = field(repr=False)
    otp_secrets: dict[str, str] = field(repr=False)
    """Base32 TOTP secret of each credential (by the official's username)."""

    def totp(self, credential_id: str) -> pyotp.TOTP:
        """RFC 6238 with the authenticator defaults: SHA-1, 6 digits, 30-second steps."""
        try:
            return pyotp.TOTP(self.otp_secrets[credential_id])
        except KeyError:
            raise HolderSecretsMissing(f"No one-time-code secret for {credential_id!r}.") from None


def secrets_path(instance_path: Path) -> Path:
    return Path(instance_path) / SECRETS_FILE


def ensure_secrets(instance_path: Path, credential_ids: tuple[str, ...]) -> tuple[Path, bool]:
    """Make the client credentials and a TOTP secret per credential unless the file has them all;
    returns its path and whether it was written. Existing secrets are kept (an official's
    authenticator app stays enrolled)."""
    path = secrets_path(instance_path)
    try:
        current = load_secrets(instance_path)
    except HolderSecretsMissing:
        current = DevCscSecrets("wallet-service-dev", secrets.token_urlsafe(32), {})
    missing = [c for c in credential_ids if c not in current.otp_secrets]
    if path.exists() and not missing:
        return path, False
    otp = dict(current.otp_secrets, **{c: pyotp.random_base32() for c in missing})
    _write_private(path, {"client_id": current.client_id, "client_secret": current.client_secret,
                          "otp_secrets": otp})
    return path, True


def _write_private(path: Path, data: dict) -> None:
    """Write `data` readable by the owner only, replacing any older file in one rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = path.with_suffix(".tmp")
    staging.unlink(missing_ok=True)
    fd = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(data, out)
    staging.replace(path)


def load_secrets(instance_path: Path) -> DevCscSecrets:
    path = secrets_path(instance_path)
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise HolderSecretsMissing(
            f"The development remote-signing service has no secrets at {path}; run `wallet-service init`."
        ) from None
    return DevCscSecrets(data["client_id"], data["client_secret"], dict(data["otp_secrets"]))
