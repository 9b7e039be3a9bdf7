"""OpenID Connect relying party and claim profiles (plain Python, no web framework)."""
from .claims import (
    OFFICIAL_ROLES,
    PROFILES,
    STANDARD,
    VNEID,
    CitizenIdentity,
    ClaimProfile,
    OfficialIdentity,
    profile_named,
    read_citizen,
    read_official,
)
from .errors import IdentityRefused, InvalidIdToken, LoginRequestError, OidcError, ProviderUnavailable
from .relying_party import AuthorizationRequest, Login, ProviderConfig, RelyingParty

__all__ = [
    "OFFICIAL_ROLES", "PROFILES", "STANDARD", "VNEID", "CitizenIdentity", "ClaimProfile", "OfficialIdentity",
    "profile_named", "read_citizen", "read_official", "IdentityRefused", "InvalidIdToken", "LoginRequestError",
    "OidcError", "ProviderUnavailable", "AuthorizationRequest", "Login", "ProviderConfig", "RelyingParty",
]
