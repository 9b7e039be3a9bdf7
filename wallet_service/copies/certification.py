"""The certifying official confirms (or corrects) the fields read from a copy; the copy is numbered in
the agency's register of the year and given its certification statement, and the resulting document is
what the batch then signs. A copy cannot be signed before this (`batches.creation`)."""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .kinds import CERTIFIER_ROLE, KIND
from ..access import OFFICIAL, Principal, can_read_result
from ..models import Official, Result, ResultStatus, utcnow
from .models import CertifiedCopy
from ..platform.errors import Conflict, Forbidden, NotFound, Unprocessable
from ..platform.storage import DocumentStore
from ..platform.ui import TIME_ZONE
from ..results import audit
from ..results.formats import PERSONAL_ID, FormatError, check_text
from .catalogue import DATE_FIELDS, DOCUMENT_TYPES, FIELDS
from .statement import Statement, certified_document

CONFIRMABLE = frozenset({ResultStatus.PENDING_SIGNATURE, ResultStatus.FAILED})
_NUMBERING_ATTEMPTS = 3


def book_number(year: int) -> str:
    """Quyển số: one register book of certified copies per year."""
    return f"01/{year}-SCT/BS"


def find_copy(session: Session, principal: Principal, result_id: str) -> CertifiedCopy:
    """The copy, if it is the official's agency's; 404 otherwise."""
    result = session.get(Result, result_id)
    if result is None or result.kind != KIND or not can_read_result(principal, result):
        raise NotFound(_("There is no such certified copy in your agency."))
    return result.certified_copy_record


def parse_fields(form: Mapping[str, str]) -> dict[str, str | None]:
    """The fields as the official entered them (dates dd/mm/yyyy), or `Unprocessable` with a message per field."""
    values: dict[str, str | None] = {}
    errors: dict[str, str] = {}
    for name in FIELDS:
        raw = " ".join(str(form.get(name) or "").split())
        try:
            check_text(raw, name)
        except FormatError as exc:
            errors[name] = exc.message
            continue
        if len(raw) > 255:
            errors[name] = _("At most 255 characters.")
        elif name == "personal_id" and raw and not PERSONAL_ID.fullmatch(raw):
            errors[name] = _("A personal ID number has exactly 12 digits.")
        elif name in DATE_FIELDS and raw:
            try:
                values[name] = dt.datetime.strptime(raw, "%d/%m/%Y").date().isoformat()
            except ValueError:
                errors[name] = _("Enter a date as dd/mm/yyyy.")
            continue
        values[name] = raw or None
    if not errors and not values.get("holder_name"):
        errors["holder_name"] = _("Enter the holder's full name as on the original.")
    if errors:
        raise Unprocessable(_("Some fields are not valid; correct them and confirm again."), "invalid_fields",
                            details=errors)
    return values


def confirm(session: Session, documents: DocumentStore, principal: Principal, result_id: str,
            values: dict[str, str | None]) -> CertifiedCopy:
    """Store the confirmed fields and make the document to sign (scan + statement)."""
    if principal.kind != OFFICIAL or CERTIFIER_ROLE not in principal.roles:
        raise Forbidden(_("Only officials with the certifier role may certify copies."), "not_a_certifier")
    record = find_copy(session, principal, result_id)
    result = record.result
    if result.status not in CONFIRMABLE:
        raise Conflict(_("This copy is being signed or is signed already; its fields can no longer change."),
                       "copy_not_confirmable")
    official = session.get(Official, principal.record_id)
    today = utcnow().astimezone(ZoneInfo(TIME_ZONE)).date()
    for attempt in range(_NUMBERING_ATTEMPTS):
        try:
            with session.begin_nested():
                _number(session, record, today)
            break
        except IntegrityError:
            # Another official took the same number at the same moment: take the next one.
            if attempt == _NUMBERING_ATTEMPTS - 1:
                raise
    statement = Statement(
        certification_number=record.certification_number, book_number=record.book_number, certified_on=today,
        official_name=official.full_name, agency_name=result.agency.name,
        document_name=DOCUMENT_TYPES[record.document_type].name_vi, original_number=values.get("document_number"),
        page_count=record.page_count, text_layer=record.text_layer,
    )
    document = certified_document(documents.get(record.scan_sha256), statement)
    result.original_sha256 = documents.put(document)
    result.original_size = len(document)
    record.confirmed, record.confirmed_at, record.certified_by_id = values, utcnow(), official.id
    audit.record(session, principal.actor, "copy.confirmed", result.id, fields=values,
                 number=record.certification_number, book=record.book_number, sha256=result.original_sha256)
    session.commit()
    return record


def _number(session: Session, record: CertifiedCopy, today: dt.date) -> None:
    """The next number of the agency's register of the year; a copy numbered before keeps its number."""
    if record.certification_number is not None and record.certification_year == today.year:
        return
    last = session.scalar(select(func.max(CertifiedCopy.certification_number)).where(
        CertifiedCopy.agency_id == record.agency_id, CertifiedCopy.certification_year == today.year))
    record.certification_year = today.year
    record.certification_number = (last or 0) + 1
    record.book_number = book_number(today.year)
    session.flush()
