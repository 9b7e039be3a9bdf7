"""Login settings: which OpenID provider serves citizens and which serves officials, how their
claims are read, and how long a session lives (`settings.auth`)."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from adapters.oidc import PROFILES

from .config_values import ConfigError, group, names, positive_whole, setting

CITIZEN = "citizen"
OFFICIAL = "official"


@dataclass(frozen=True)
class ProviderSettings:
    """One role's identity provider (`OIDC_CITIZEN_*` or `OIDC_OFFICIAL_*`)."""

    issuer: str | None = setting("OIDC_{ROLE}_ISSUER")
    """External provider's issuer URL; None means the embedded development provider."""
    client_id: str | None = setting("OIDC_{ROLE}_CLIENT_ID")
    """Our client id there."""
    client_secret: str | None = setting("OIDC_{ROLE}_CLIENT_SECRET")
    """Our client secret there (None: public client with PKCE)."""
    claims: str | None = setting("OIDC_{ROLE}_CLAIMS")
    """Claim profile: `standard` or `vneid`; `finish_auth` fills in the role's default."""
    scope: str = setting("OIDC_{ROLE}_SCOPES", "openid profile")
    """Scopes asked for; a provider may need its own, e.g. for the ID number."""

    @property
    def embedded(self) -> bool:
        return self.issuer is None


@dataclass(frozen=True)
class AuthSettings:
    """Everything the login needs to know."""

    citizen: ProviderSettings = group(ProviderSettings, "CITIZEN")
    official: ProviderSettings = group(ProviderSettings, "OFFICIAL")
    citizen_min_level: int = setting("OIDC_CITIZEN_MIN_LEVEL", 2, positive_whole)
    """Lowest e-ID account level allowed to see results."""
    official_agency_claim: str = setting("OIDC_OFFICIAL_AGENCY_CLAIM", "agency_code")
    """Claim naming an official's agency code (dots reach nested claims)."""
    official_roles_claims: tuple[str, ...] = setting("OIDC_OFFICIAL_ROLES_CLAIM", ("roles", "groups"), names)
    """Claims listing an official's roles (comma-separated)."""
    idle_timeout: int = setting("SESSION_IDLE_TIMEOUT", 30 * 60, positive_whole)
    """Seconds without a request after which a session ends."""
    absolute_timeout: int = setting("SESSION_ABSOLUTE_TIMEOUT", 12 * 60 * 60, positive_whole)
    """Seconds after login after which a session ends regardless."""

    def provider(self, role: str) -> ProviderSettings:
        return self.citizen if role == CITIZEN else self.official


def _finish_provider(role: str, provider: ProviderSettings, embedded_claims: str) -> ProviderSettings:
    prefix = f"OIDC_{role.upper()}_"
    claims = provider.claims or (embedded_claims if provider.embedded else "standard")
    if claims not in PROFILES:
        raise ConfigError(f"{prefix}CLAIMS must be one of {', '.join(PROFILES)}, not '{claims}'.")
    if not provider.embedded and provider.client_id is None:
        raise ConfigError(f"{prefix}ISSUER is set, so {prefix}CLIENT_ID must be set too.")
    if "openid" not in provider.scope.split():
        raise ConfigError(f"{prefix}SCOPES must include 'openid'.")
    return dataclasses.replace(provider, claims=claims)


def finish_auth(auth: AuthSettings) -> AuthSettings:
    """Checked, with each provider's claim profile filled in: the embedded provider plays the
    national e-ID for citizens, so it speaks `vneid` to them; otherwise `standard` unless set."""
    return dataclasses.replace(
        auth,
        citizen=_finish_provider(CITIZEN, auth.citizen, "vneid"),
        official=_finish_provider(OFFICIAL, auth.official, "standard"),
    )
