"""Login configuration: which OpenID provider serves citizens and which serves officials, how their
claims are read, and how long a session lives. Read from `create_app`'s config overrides, then the
environment (README "Configuration"; names from DESIGN.md §4)."""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from adapters.oidc import PROFILES

from ..platform.config import ConfigError

CITIZEN = "citizen"
OFFICIAL = "official"


@dataclass(frozen=True)
class ProviderSettings:
    """One role's identity provider."""

    issuer: str | None
    """External provider's issuer URL; None means the embedded development provider."""
    client_id: str | None
    """Our client id there."""
    client_secret: str | None
    """Our client secret there (None: public client with PKCE)."""
    claims: str
    """Claim profile: `standard` or `vneid`."""
    scope: str = "openid profile"
    """Scopes asked for (`OIDC_<ROLE>_SCOPES`); a provider may need its own, e.g. for the ID number."""

    @property
    def embedded(self) -> bool:
        return self.issuer is None


@dataclass(frozen=True)
class AuthSettings:
    """Everything the login needs to know."""

    citizen: ProviderSettings
    """Provider for citizens (`OIDC_CITIZEN_*`)."""
    official: ProviderSettings
    """Provider for officials (`OIDC_OFFICIAL_*`)."""
    citizen_min_level: int = 2
    """Lowest e-ID account level allowed to see results (`OIDC_CITIZEN_MIN_LEVEL`)."""
    official_agency_claim: str = "agency_code"
    """Claim naming an official's agency code (`OIDC_OFFICIAL_AGENCY_CLAIM`; dots reach nested claims)."""
    official_roles_claims: tuple[str, ...] = ("roles", "groups")
    """Claims listing an official's roles (`OIDC_OFFICIAL_ROLES_CLAIM`, comma-separated)."""
    idle_timeout: int = 30 * 60
    """Seconds without a request after which a session ends (`SESSION_IDLE_TIMEOUT`)."""
    absolute_timeout: int = 12 * 60 * 60
    """Seconds after login after which a session ends regardless (`SESSION_ABSOLUTE_TIMEOUT`)."""

    def provider(self, role: str) -> ProviderSettings:
        return self.citizen if role == CITIZEN else self.official


def load_auth_settings(config: Mapping[str, object], environ: Mapping[str, str] = os.environ) -> AuthSettings:
    def value(name: str) -> str | None:
        raw = config.get(name)
        if raw is None:
            raw = environ.get(name)
        return str(raw).strip() if raw not in (None, "") else None

    def number(name: str, default: int) -> int:
        raw = value(name)
        try:
            result = int(raw) if raw is not None else default
        except ValueError:
            raise ConfigError(f"{name} must be a whole number, not '{raw}'.") from None
        if result <= 0:
            raise ConfigError(f"{name} must be positive.")
        return result

    def provider(role: str, default_claims: str) -> ProviderSettings:
        prefix = f"OIDC_{role.upper()}_"
        issuer = value(prefix + "ISSUER")
        claims = value(prefix + "CLAIMS") or (default_claims if issuer is None else "standard")
        if claims not in PROFILES:
            raise ConfigError(f"{prefix}CLAIMS must be one of {', '.join(PROFILES)}, not '{claims}'.")
        client_id = value(prefix + "CLIENT_ID")
        if issuer is not None and client_id is None:
            raise ConfigError(f"{prefix}ISSUER is set, so {prefix}CLIENT_ID must be set too.")
        scope = value(prefix + "SCOPES") or "openid profile"
        if "openid" not in scope.split():
            raise ConfigError(f"{prefix}SCOPES must include 'openid'.")
        return ProviderSettings(issuer, client_id, value(prefix + "CLIENT_SECRET"), claims, scope)

    roles = value("OIDC_OFFICIAL_ROLES_CLAIM")
    return AuthSettings(
        # The embedded provider plays the national e-ID for citizens, so it speaks `vneid` to them.
        citizen=provider(CITIZEN, "vneid"),
        official=provider(OFFICIAL, "standard"),
        citizen_min_level=number("OIDC_CITIZEN_MIN_LEVEL", 2),
        official_agency_claim=value("OIDC_OFFICIAL_AGENCY_CLAIM") or "agency_code",
        official_roles_claims=tuple(r.strip() for r in roles.split(",") if r.strip()) if roles else ("roles", "groups"),
        idle_timeout=number("SESSION_IDLE_TIMEOUT", 30 * 60),
        absolute_timeout=number("SESSION_ABSOLUTE_TIMEOUT", 12 * 60 * 60),
    )
