"""The mounted development provider, as the app keeps it."""
from __future__ import annotations

from dataclasses import dataclass

from .server import DevClient


@dataclass(frozen=True)
class EmbeddedProvider:
    """The mounted provider, kept in `services(app).devidp`."""

    issuer: str
    """`{PUBLIC_BASE_URL}/dev-oidc`."""
    client: DevClient
    """The service itself as the provider's one relying party."""
    server: object
    """Authlib's AuthorizationServer for this app."""
