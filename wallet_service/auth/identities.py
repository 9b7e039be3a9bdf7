"""From a validated login to the service's own records: a citizen is found (or created) by personal
ID number; an official by (issuer, subject), else by the login name an administrator registered them
under at that issuer (`wallet-service officials add`), else, first time, by the agency named in the claims."""
from __future__ import annotations

from adapters.oidc import CitizenIdentity, IdentityRefused, OfficialIdentity
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..access import CITIZEN, OFFICIAL, Principal
from ..admin.officials import ADMIN_ROLE
from ..models import Agency, Citizen, Official
from ..results import audit
from ..results.formats import FormatError, check_personal_id


def citizen_principal(session: Session, identity: CitizenIdentity, min_level: int) -> Principal:
    if identity.account_level is None or identity.account_level < min_level:
        stated = "does not state its level" if identity.account_level is None else f"is level {identity.account_level}"
        raise IdentityRefused(
            f"Results can only be received with a level-{min_level} electronic identification account; "
            f"your account {stated}. Upgrade it (e.g. in the VNeID app) and log in again.",
            "account_level_too_low",
        )
    try:
        check_personal_id(identity.personal_id, "personal_id")
    except FormatError as exc:
        raise IdentityRefused(f"The personal ID number from the identity provider is not valid: {exc.message}", "personal_id_invalid") from None
    citizen = session.scalar(select(Citizen).where(Citizen.personal_id == identity.personal_id))
    if citizen is None:
        citizen = Citizen(personal_id=identity.personal_id, full_name=identity.full_name)
        session.add(citizen)
    citizen.full_name = identity.full_name
    if identity.birth_date is not None:
        citizen.birth_date = identity.birth_date
    if identity.email is not None:
        citizen.email = identity.email
    if identity.phone is not None:
        citizen.phone = identity.phone
    session.flush()
    principal = Principal(CITIZEN, citizen.id, citizen.full_name, personal_id=citizen.personal_id)
    audit.record(session, principal.actor, "auth.login")
    session.commit()
    return principal


def _registered_official(session: Session, identity: OfficialIdentity) -> Official | None:
    """The official's record; a record registered by username gets the subject bound on first login."""
    official = session.scalar(
        select(Official).where(Official.issuer == identity.issuer, Official.subject == identity.subject)
    )
    if official is not None or identity.username is None:
        return official
    official = session.scalar(select(Official).where(
        Official.issuer == identity.issuer, Official.username == identity.username, Official.subject.is_(None)
    ))
    if official is not None:
        official.subject = identity.subject
        session.flush()
        audit.record(session, f"{OFFICIAL}:{official.id}:{official.full_name}", "official.bound",
                     issuer=identity.issuer, subject=identity.subject, username=identity.username)
    return official


def official_principal(session: Session, identity: OfficialIdentity, agency_claim: str) -> Principal:
    official = _registered_official(session, identity)
    agency = None
    if identity.agency_code is not None:
        agency = session.scalar(select(Agency).where(Agency.code == identity.agency_code))
        if agency is None:
            raise IdentityRefused(
                f"Your account is not mapped to this service: agency '{identity.agency_code}' is not registered here.",
                "official_not_mapped",
            )
    if official is None:
        if agency is None:
            raise IdentityRefused(
                f"Your account is not mapped to this service: it has no record here and the identity provider "
                f"named no agency (claim '{agency_claim}').",
                "official_not_mapped",
            )
        official = Official(
            issuer=identity.issuer, subject=identity.subject, username=identity.username,
            full_name=identity.full_name, agency=agency, roles=sorted(identity.roles or ()),
        )
        session.add(official)
        session.flush()
        audit.record(session, f"{OFFICIAL}:{official.id}:{official.full_name}", "official.mapped",
                     issuer=identity.issuer, subject=identity.subject, agency=agency.code, roles=official.roles)
    else:
        # The identity provider is the authority on name, agency and roles whenever it states them.
        official.full_name = identity.full_name
        if agency is not None:
            official.agency = agency
        if identity.roles is not None:  # except `admin`, granted here only (see admin.officials.ADMIN_ROLE)
            official.roles = sorted(set(identity.roles) | ({ADMIN_ROLE} & set(official.roles)))
        session.flush()
    principal = Principal(
        OFFICIAL, official.id, official.full_name,
        agency_codes=frozenset({official.agency.code}), roles=frozenset(official.roles),
    )
    audit.record(session, principal.actor, "auth.login")
    session.commit()
    return principal
