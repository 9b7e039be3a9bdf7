"""Officials registered ahead of their first login: an administrator names the login name their
identity provider sends (`preferred_username`), their agency and roles; the first login with that name
at that provider binds the record to the provider's subject identifier. Each change is audited."""
from __future__ import annotations

import re
from dataclasses import dataclass

from adapters.oidc.claims import OFFICIAL_ROLES
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Official
from ..results import audit
from ..results.formats import FormatError, check_text
from . import agencies
from .errors import AdminError, N_

ADMIN_ROLE = "admin"
"""Administers agencies and officials on the administrator's pages. Granted only here (`officials
roles`, or by another administrator), never by an identity provider's roles claim, whose group names
("admin" is common) belong to the provider."""
ROLES = OFFICIAL_ROLES | {ADMIN_ROLE}

# What a provider's login name looks like: no spaces or control characters, at most the column's 64.
_USERNAME = re.compile(r"[^\s]{1,64}")


@dataclass(frozen=True)
class OfficialView:
    """An official as administration shows it."""

    username: str | None
    full_name: str
    agency_code: str
    roles: tuple[str, ...]
    key_reference: str | None
    issuer: str
    logged_in: bool
    """Bound to the provider's subject identifier (they have logged in at least once)."""


def view(official: Official) -> OfficialView:
    return OfficialView(official.username, official.full_name, official.agency.code, tuple(sorted(official.roles)),
                        official.key_reference, official.issuer, official.subject is not None)


def parse_roles(text: str) -> tuple[str, ...]:
    """`signer,annul` -> the roles, checked; an empty text means no role."""
    roles = {r for r in re.split(r"[\s,]+", text.strip()) if r}
    unknown = sorted(roles - ROLES)
    if unknown:
        raise AdminError(N_("unknown role(s) %(unknown)s; the roles are %(known)s"), unknown=", ".join(unknown), known=", ".join(sorted(ROLES)))
    return tuple(sorted(roles))


def add_official(session: Session, actor: str, issuer: str, username: str, name: str, agency_code: str,
                 roles: tuple[str, ...], key_reference: str | None = None) -> OfficialView:
    if not _USERNAME.fullmatch(username):
        raise AdminError(N_("a username has 1 to 64 characters and no spaces"))
    if session.scalar(select(Official).where(Official.issuer == issuer, Official.username == username)):
        raise AdminError(N_("official '%(username)s' exists already at %(issuer)s (change roles with `wallet-service officials roles`)"), username=username, issuer=issuer)
    name = name.strip()
    try:
        check_text(name, "name")
        check_text(key_reference or "", "key_reference")
    except FormatError as exc:
        raise AdminError(N_("%(field)s: %(problem)s"), field=exc.field, problem=exc.message) from None
    if not name or len(name) > 255:
        raise AdminError(N_("name: an official's full name has 1 to 255 characters"))
    official = Official(issuer=issuer, subject=None, username=username, full_name=name,
                        agency=agencies.find(session, agency_code), roles=list(roles), key_reference=key_reference or None)
    session.add(official)
    session.flush()
    added = view(official)
    audit.record(session, actor, "official.registered", username=username, issuer=issuer, agency=agency_code,
                 roles=list(roles), key_reference=added.key_reference)
    session.commit()
    return added


def find(session: Session, username: str) -> Official:
    found = session.scalars(select(Official).where(Official.username == username)).all()
    if not found:
        raise AdminError(N_("no official '%(username)s' (see `wallet-service officials list`)"), username=username)
    if len(found) > 1:
        raise AdminError(f"'{username}' names officials at several identity providers: "
                         + ", ".join(sorted(o.issuer for o in found)))
    return found[0]


def set_roles(session: Session, actor: str, username: str, roles: tuple[str, ...]) -> OfficialView:
    return set_roles_of(session, actor, find(session, username), roles)


def find_by_id(session: Session, official_id: int) -> Official:
    official = session.get(Official, official_id)
    if official is None:
        raise AdminError(N_("There is no such official."))
    return official


def set_roles_of(session: Session, actor: str, official: Official, roles: tuple[str, ...]) -> OfficialView:
    username = official.username
    before = sorted(official.roles)
    official.roles = list(roles)
    audit.record(session, actor, "official.roles_set", username=username, issuer=official.issuer,
                 before=before, roles=list(roles))
    session.commit()
    return view(official)


def list_officials(session: Session, agency_code: str | None = None) -> list[OfficialView]:
    query = select(Official)
    if agency_code is not None:
        query = query.where(Official.agency_id == agencies.find(session, agency_code).id)
    officials = session.scalars(query).all()
    return sorted((view(o) for o in officials), key=lambda v: (v.agency_code, v.username or "", v.full_name))
