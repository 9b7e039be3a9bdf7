"""Who is calling, and what they may see. Every route that returns a result asks `can_read_result`;
there is no other path to a result."""
from __future__ import annotations

import enum
from dataclasses import dataclass, field

from flask import request, session

from .client_auth import authenticate_client
from .copies.kinds import KIND as COPY, STATION
from .models import Result, db
from .platform.errors import Forbidden, Unauthorized
from .services import services


class PrincipalKind(enum.StrEnum):
    """Who is calling; stored in the session as its string value."""

    CLIENT = "client"
    """A case system, by its bearer assertion."""
    OFFICIAL = "official"
    CITIZEN = "citizen"


# Short names the routes use: `require_principal(OFFICIAL)`.
CLIENT, OFFICIAL, CITIZEN = PrincipalKind.CLIENT, PrincipalKind.OFFICIAL, PrincipalKind.CITIZEN
SESSION_KEY = "principal"
_CACHE_KEY = "wallet.principal"


@dataclass(frozen=True)
class Principal:
    kind: PrincipalKind
    record_id: int
    """Primary key of the ApiClient, Official or Citizen row."""
    display_name: str
    """For audit events and pages."""
    agency_codes: frozenset[str] = field(default_factory=frozenset)
    """Agencies a client may submit for, or the official's agency."""
    roles: frozenset[str] = field(default_factory=frozenset)
    """An official's roles: `signer`, `annul`, `certifier`; a client's kind: `case_system` or `station`."""
    personal_id: str | None = None
    """A citizen's 12-digit ID number."""

    @property
    def actor(self) -> str:
        return f"{self.kind}:{self.record_id}:{self.display_name}"

    def to_session(self) -> dict:
        return {
            "kind": self.kind,
            "record_id": self.record_id,
            "display_name": self.display_name,
            "agency_codes": sorted(self.agency_codes),
            "roles": sorted(self.roles),
            "personal_id": self.personal_id,
        }

    @classmethod
    def from_session(cls, data: dict) -> Principal:
        return cls(
            kind=PrincipalKind(data["kind"]),
            record_id=data["record_id"],
            display_name=data["display_name"],
            agency_codes=frozenset(data.get("agency_codes", ())),
            roles=frozenset(data.get("roles", ())),
            personal_id=data.get("personal_id"),
        )


def can_read_result(principal: Principal, result: Result) -> bool:
    if principal.kind == CLIENT and STATION in principal.roles and result.kind != COPY:
        return False  # a digitisation station sees the copies it serves, not the agency's results
    if principal.kind in (CLIENT, OFFICIAL):
        return result.agency.code in principal.agency_codes
    if principal.kind == CITIZEN:
        return principal.personal_id is not None and result.citizen.personal_id == principal.personal_id
    return False


def current_principal() -> Principal | None:
    """The bearer assertion's client, else the logged-in person; cached for the request.

    Cached in the request's environ, not `g`: `g` belongs to the app context, which an outer
    context (a worker, a test) can keep alive across requests."""
    if _CACHE_KEY in request.environ:
        return request.environ[_CACHE_KEY]
    principal = None
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        settings = services().settings
        client = authenticate_client(
            db.session, header[7:].strip(), settings.service_audience, settings.client_assertion_max_age
        )
        principal = Principal(CLIENT, client.id, client.name, agency_codes=frozenset(client.agency_codes),
                              roles=frozenset({client.kind}))
    elif header:
        raise Unauthorized("Only 'Bearer' authorization is accepted.", "invalid_request")
    elif SESSION_KEY in session:
        principal = Principal.from_session(session[SESSION_KEY])
    request.environ[_CACHE_KEY] = principal
    return principal


def known_principal() -> Principal | None:
    """The caller if this request already worked it out, without authenticating anything (a log line
    must not spend a bearer assertion's `jti` or read a session the request never used)."""
    return request.environ.get(_CACHE_KEY)


def require_principal(*kinds: PrincipalKind) -> Principal:
    principal = current_principal()
    if principal is None:
        raise Unauthorized("Authentication required: a bearer assertion, or log in.", "unauthorized")
    if kinds and principal.kind not in kinds:
        raise Forbidden(f"This operation is for: {', '.join(kinds)}.")
    return principal
