"""Agencies: registered, listed and corrected by an administrator, each change audited. Codes follow
QCVN 102:2016; province and commune codes are those of the administrative map in force since
1 July 2025 (`vietnam-provinces`)."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session
from vietnam_provinces import Province, ProvinceCode, Ward, WardCode

from ..models import Agency
from ..results import audit
from ..results.formats import FormatError, check_agency_code, check_commune_code, check_text
from .errors import AdminError, N_

_UNCHANGED = object()
"""`update_agency`'s default: leave the field as it is (None clears the optional ones)."""


@dataclass(frozen=True)
class AgencyView:
    """An agency as administration shows it."""

    code: str
    name: str
    province_code: str
    province_name: str
    commune_code: str | None
    parent_code: str | None


def view(agency: Agency) -> AgencyView:
    return AgencyView(agency.code, agency.name, agency.province_code, _province_name(agency.province_code),
                      agency.commune_code, agency.parent.code if agency.parent else None)


def _province_name(code: str) -> str:
    try:
        return Province.from_code(ProvinceCode(int(code))).name
    except ValueError:
        return "?"  # a code stored before the 2025 map; shown, not refused


def find(session: Session, code: str) -> Agency:
    agency = session.scalar(select(Agency).where(Agency.code == code))
    if agency is None:
        raise AdminError(N_("unknown agency code '%(code)s' (see `wallet-service agencies list`)"), code=code)
    return agency


def _checked_province(code: str) -> str:
    try:
        Province.from_code(ProvinceCode(int(code)))
    except ValueError:
        raise AdminError(N_("'%(code)s' is not a province code in force since 1 July 2025 (e.g. 22 for Quảng Ninh)"), code=code) from None
    return f"{int(code):02d}"


def _checked_commune(code: str) -> str:
    """The commune's province code; raises when the commune code is not in force."""
    try:
        check_commune_code(code, "commune_code")
    except FormatError as exc:
        raise AdminError(N_("commune code: %(problem)s"), problem=exc.message) from None
    return f"{int(Ward.from_code(WardCode(int(code))).province_code):02d}"


def _checked_name(name: str) -> str:
    name = name.strip()
    try:
        check_text(name, "name")
    except FormatError as exc:
        raise AdminError(N_("name: %(problem)s"), problem=exc.message) from None
    if not name or len(name) > 255:
        raise AdminError(N_("name: an agency's name has 1 to 255 characters"))
    return name


def _province_of(province: str | None, commune: str | None, parent: Agency | None) -> str:
    """The province given, else the commune's, else the parent's; a commune must lie in the province given."""
    from_commune = _checked_commune(commune) if commune else None
    chosen = _checked_province(province) if province else from_commune or (parent.province_code if parent else None)
    if chosen is None:
        raise AdminError(N_("give the province (or the commune code, or the parent agency) so the agency's province is known"))
    if from_commune and from_commune != chosen:
        raise AdminError(N_("commune %(commune)s is in province %(actual)s, not %(chosen)s"), commune=commune, actual=from_commune, chosen=chosen)
    return chosen


def add_agency(session: Session, actor: str, code: str, name: str, *, parent: str | None = None,
               province: str | None = None, commune: str | None = None) -> AgencyView:
    try:
        check_agency_code(code)
    except FormatError as exc:
        raise AdminError(N_("'%(code)s': %(problem)s"), code=code, problem=exc.message) from None
    if session.scalar(select(Agency).where(Agency.code == code)):
        raise AdminError(N_("agency '%(code)s' exists already (change it with `wallet-service agencies update`)"), code=code)
    parent_row = find(session, parent) if parent else None
    agency = Agency(code=code, name=_checked_name(name), province_code=_province_of(province, commune, parent_row),
                    commune_code=commune, parent=parent_row)
    session.add(agency)
    session.flush()
    added = view(agency)
    audit.record(session, actor, "agency.added", **_details(added))
    session.commit()
    return added


def update_agency(session: Session, actor: str, code: str, *, name=_UNCHANGED, parent=_UNCHANGED,
                  province=_UNCHANGED, commune=_UNCHANGED) -> AgencyView:
    """Change the fields given; `parent=None` or `commune=None` clears them."""
    agency = find(session, code)
    before = view(agency)
    if name is not _UNCHANGED:
        agency.name = _checked_name(name)
    if parent is not _UNCHANGED:
        agency.parent = _checked_parent(session, agency, parent)
    if commune is not _UNCHANGED:
        agency.commune_code = commune
    if province is not _UNCHANGED or commune is not _UNCHANGED:
        given = None if province is _UNCHANGED else province
        if given is None and agency.commune_code is None:
            given = agency.province_code
        agency.province_code = _province_of(given, agency.commune_code, None)
    after = view(agency)
    changed = {k: v for k, v in _details(after).items() if _details(before)[k] != v}
    if not changed:
        raise AdminError(N_("nothing to change for agency '%(code)s' (give a new name, parent, province or commune code)"), code=code)
    audit.record(session, actor, "agency.updated", code=code, **{f"new_{k}": v for k, v in changed.items()})
    session.commit()
    return after


def _checked_parent(session: Session, agency: Agency, parent: str | None) -> Agency | None:
    if parent is None:
        return None
    found = find(session, parent)
    ancestor = found
    while ancestor is not None:  # a parent may not be the agency itself or one of its descendants
        if ancestor.id == agency.id:
            raise AdminError(N_("agency '%(parent)s' cannot be the parent of '%(code)s': that would make a cycle"), parent=parent, code=agency.code)
        ancestor = ancestor.parent
    return found


def list_agencies(session: Session) -> list[AgencyView]:
    return [view(a) for a in session.scalars(select(Agency).order_by(Agency.code))]


def _details(agency: AgencyView) -> dict:
    return {"code": agency.code, "name": agency.name, "province": agency.province_code,
            "commune": agency.commune_code, "parent": agency.parent_code}
