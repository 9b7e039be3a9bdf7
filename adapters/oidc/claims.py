"""Claim profiles: how a provider names the facts we need about a person.

`standard` reads OpenID Connect's standard claims (`name`, `birthdate` as YYYY-MM-DD, `acr` for the
assurance level) plus `personal_id` for the ID number, for which OIDC has no standard claim.
`vneid` reads the national e-ID's names: `citizenPid`/`SoDinhDanh` (12-digit ID number),
`fullName`/`HoVaTen`, `birthDate`/`NgayThangNamSinh` as YYYYMMDD and `accountLevel`/`MucDoDinhDanh`
(level 1 or 2 of the electronic identification account).
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from .errors import IdentityRefused

OFFICIAL_ROLES = frozenset({"signer", "annul", "certifier", "leader", "province"})
"""The roles the service knows; other values in a roles claim are ignored."""


@dataclass(frozen=True)
class ClaimProfile:
    """Claim names for one family of providers; for each fact, the names are tried in order."""

    name: str
    """`standard` or `vneid`."""
    personal_id: tuple[str, ...]
    """Claims carrying the 12-digit personal ID number (CCCD)."""
    full_name: tuple[str, ...]
    """Claims carrying the person's full name."""
    birth_date: tuple[str, ...]
    """Claims carrying the date of birth."""
    birth_date_format: str
    """`strptime` format of the date of birth."""
    account_level: tuple[str, ...]
    """Claims carrying the account's identity assurance level (a number, or text ending in one)."""
    username: tuple[str, ...]
    """Claims carrying a login name (for officials' records)."""
    email: tuple[str, ...] = ("email",)
    """Claims carrying the person's e-mail address (arrival notices)."""
    phone: tuple[str, ...] = ("phone_number",)
    """Claims carrying the person's phone number (arrival notices by SMS or Zalo)."""


STANDARD = ClaimProfile(
    name="standard",
    personal_id=("personal_id",),
    full_name=("name",),
    birth_date=("birthdate",),
    birth_date_format="%Y-%m-%d",
    account_level=("acr",),
    username=("preferred_username",),
)
VNEID = ClaimProfile(
    name="vneid",
    personal_id=("citizenPid", "SoDinhDanh"),
    full_name=("fullName", "HoVaTen"),
    birth_date=("birthDate", "NgayThangNamSinh"),
    birth_date_format="%Y%m%d",
    account_level=("accountLevel", "MucDoDinhDanh"),
    username=("preferred_username", "userName"),
)
PROFILES: Mapping[str, ClaimProfile] = MappingProxyType({p.name: p for p in (STANDARD, VNEID)})


def profile_named(name: str) -> ClaimProfile:
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(f"unknown claim profile '{name}' (known: {', '.join(PROFILES)})") from None


@dataclass(frozen=True)
class CitizenIdentity:
    """What a citizen's login tells us."""

    personal_id: str
    """12-digit personal ID number: the citizen's identity in this service (not `sub`)."""
    full_name: str
    """Full name with diacritics."""
    birth_date: dt.date | None
    """Date of birth, when the provider gives it."""
    account_level: int | None
    """Identity assurance level of the account (VNeID: 1 or 2); None when not stated."""
    email: str | None = None
    """E-mail address, when given and well-formed."""
    phone: str | None = None
    """Phone number (digits, with a leading + for an international one), when given and well-formed."""


@dataclass(frozen=True)
class OfficialIdentity:
    """What an official's login tells us."""

    issuer: str
    """The provider that authenticated the official."""
    subject: str
    """`sub` at that provider: with `issuer`, the key of the official's record."""
    full_name: str
    """Full name with diacritics."""
    username: str | None
    """Login name, when given."""
    agency_code: str | None
    """Agency code from the agency claim, when given."""
    roles: frozenset[str] | None
    """Known roles (`signer`, `annul`, `certifier`) found in the roles claim; None when no roles claim was sent."""


def claim(claims: Mapping[str, object], path: str) -> object | None:
    """A claim by name; a dotted name reaches into nested objects (e.g. `realm_access.roles`)."""
    value: object = claims
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def _first(claims: Mapping[str, object], names: tuple[str, ...]) -> object | None:
    for name in names:
        value = claim(claims, name)
        if value not in (None, ""):
            return value
    return None


def read_citizen(profile: ClaimProfile, claims: Mapping[str, object]) -> CitizenIdentity:
    personal_id = _first(claims, profile.personal_id)
    if personal_id is None:
        raise IdentityRefused(
            f"The identity provider did not give your personal ID number (claim {' or '.join(profile.personal_id)}).",
            "personal_id_missing",
        )
    personal_id = str(personal_id).strip()
    if not re.fullmatch(r"\d{12}", personal_id, re.ASCII):  # ASCII digits only
        raise IdentityRefused("The personal ID number given by the identity provider is not 12 digits.", "personal_id_invalid")
    full_name = _first(claims, profile.full_name)
    if not isinstance(full_name, str) or not full_name.strip():
        raise IdentityRefused("The identity provider did not give your full name.", "name_missing")
    return CitizenIdentity(
        personal_id=personal_id,
        full_name=full_name.strip(),
        birth_date=_date(_first(claims, profile.birth_date), profile.birth_date_format),
        account_level=_level(_first(claims, profile.account_level)),
        email=_contact(_first(claims, profile.email), r"[^@\s]{1,64}@[^@\s]+\.[^@\s]+", 254),
        phone=_contact(_first(claims, profile.phone), r"\+?[0-9]{8,15}", 32, strip=" .-()"),
    )


def _contact(value: object, pattern: str, longest: int, strip: str = "") -> str | None:
    """An optional contact claim, or None when absent or malformed: a login never fails for it."""
    if not isinstance(value, str):
        return None
    value = value.strip().translate({ord(c): None for c in strip})
    return value if len(value) <= longest and re.fullmatch(pattern, value, re.ASCII) else None


def read_official(
    profile: ClaimProfile,
    claims: Mapping[str, object],
    *,
    issuer: str,
    agency_claim: str,
    roles_claims: tuple[str, ...],
) -> OfficialIdentity:
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise IdentityRefused("The identity provider gave no subject identifier.", "subject_missing")
    full_name = _first(claims, profile.full_name + STANDARD.full_name)
    username = _first(claims, profile.username)
    agency = claim(claims, agency_claim)
    if isinstance(agency, list) and len(agency) == 1:
        agency = agency[0]
    if agency is not None and not isinstance(agency, str):
        raise IdentityRefused(f"The '{agency_claim}' claim must name one agency code.", "agency_claim_invalid")
    return OfficialIdentity(
        issuer=issuer,
        subject=subject,
        full_name=str(full_name or username or subject).strip(),
        username=str(username) if username else None,
        agency_code=agency or None,
        roles=_roles(claims, roles_claims),
    )


def _roles(claims: Mapping[str, object], names: tuple[str, ...]) -> frozenset[str] | None:
    found: set[str] | None = None
    for name in names:
        value = claim(claims, name)
        if isinstance(value, str):
            value = re.split(r"[\s,]+", value)
        if isinstance(value, list):
            found = (found or set()) | {v for v in value if isinstance(v, str)}
    return None if found is None else frozenset(found & OFFICIAL_ROLES)


def _date(value: object, fmt: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.datetime.strptime(str(value), fmt).date()
    except ValueError:
        raise IdentityRefused(f"The date of birth '{value}' given by the identity provider is not a valid date.", "birth_date_invalid") from None


def _level(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    match = re.search(r"(\d+)$", str(value), re.ASCII) if value is not None else None
    return int(match.group(1)) if match else None
