"""The filters of the officials' lists, read from a page's query string. Bad input is reported
per field in the page's language, never a crash."""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from flask_babel import gettext as _

DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 100
_PERSONAL_ID = re.compile(r"\d{12}", re.ASCII)  # ASCII digits: `\d` alone takes fullwidth ones too
_WHOLE_NUMBER = re.compile(r"\d{1,9}", re.ASCII)
_DOSSIER_PART = re.compile(r"[0-9A-Za-z.\-]{1,64}")
MAX_SEARCH = 100
KINDS = ("result", "certified_copy")
"""What a list can be narrowed to: case systems' results or certified copies."""
SORT_KEYS = ("received", "signed", "dossier", "citizen", "procedure")
"""What a list can be sorted by; `-key` sorts descending."""


@dataclass(frozen=True)
class ResultFilters:
    """What an official narrowed a list of results to."""

    procedure_code: str | None = None
    """Only results of this procedure."""
    date_from: dt.date | None = None
    """First day (Vietnam time) of the range: received for the queue, signed for the history."""
    date_to: dt.date | None = None
    """Last day (Vietnam time, inclusive) of the range."""
    citizen_id: str | None = None
    """The citizen's 12-digit personal ID number (exact)."""
    dossier_code: str | None = None
    """A dossier code or part of one (case-insensitive)."""
    search: str | None = None
    """Part of the citizen's name or of the document's title (case-insensitive)."""
    sort: str | None = None
    """One of SORT_KEYS, `-` first for descending; None: the list's own order."""
    page: int = 1
    """1-based page number."""
    per_page: int = DEFAULT_PER_PAGE
    """Results per page."""
    kind: str | None = None
    """Only results (`result`) or only certified copies (`certified_copy`); None: both."""

    def query_args(self, **changes) -> dict[str, str]:
        """The query string that reproduces these filters (for pagination links), with `changes`."""
        args = {
            "procedure": self.procedure_code,
            "from": self.date_from.isoformat() if self.date_from else None,
            "to": self.date_to.isoformat() if self.date_to else None,
            "citizen_id": self.citizen_id,
            "dossier_code": self.dossier_code,
            "q": self.search,
            "sort": self.sort,
            "per_page": str(self.per_page) if self.per_page != DEFAULT_PER_PAGE else None,
            "kind": self.kind,
        }
        args.update(changes)
        return {k: str(v) for k, v in args.items() if v not in (None, "")}

    @property
    def active(self) -> bool:
        return any((self.procedure_code, self.date_from, self.date_to, self.citizen_id, self.dossier_code,
                    self.search, self.kind))

    def sorted_by(self, key: str) -> str | None:
        """'ascending' or 'descending' when the list is sorted by `key`, else None (for aria-sort)."""
        if self.sort == key:
            return "ascending"
        return "descending" if self.sort == f"-{key}" else None


@dataclass(frozen=True)
class ParsedFilters:
    """Filters read from a query string, and what was wrong with it."""

    filters: ResultFilters
    """The valid part (invalid fields are left out)."""
    errors: Mapping[str, str] = field(default_factory=dict)
    """Message per query-string field that could not be used."""


def _date(args: Mapping[str, str], name: str, errors: dict[str, str]) -> dt.date | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        errors[name] = _("Enter a date as YYYY-MM-DD.")
        return None


def _positive_int(args: Mapping[str, str], name: str, default: int, errors: dict[str, str], upper: int) -> int:
    raw = (args.get(name) or "").strip()
    if not raw:
        return default
    if not _WHOLE_NUMBER.fullmatch(raw) or not 1 <= int(raw) <= upper:
        errors[name] = _("Enter a whole number from 1 to %(upper)s.", upper=upper)
        return default
    return int(raw)


def parse_filters(args: Mapping[str, str]) -> ParsedFilters:
    errors: dict[str, str] = {}
    procedure = (args.get("procedure") or "").strip() or None
    if procedure is not None and len(procedure) > 64:
        errors["procedure"] = _("Choose a procedure from the list.")
        procedure = None
    date_from = _date(args, "from", errors)
    date_to = _date(args, "to", errors)
    if date_from and date_to and date_from > date_to:
        errors["to"] = _("The end date is before the start date.")
        date_to = None
    citizen_id = (args.get("citizen_id") or "").strip().replace(" ", "") or None
    if citizen_id is not None and not _PERSONAL_ID.fullmatch(citizen_id):
        errors["citizen_id"] = _("A personal ID number has exactly 12 digits.")
        citizen_id = None
    dossier = (args.get("dossier_code") or "").strip() or None
    if dossier is not None and not _DOSSIER_PART.fullmatch(dossier):
        errors["dossier_code"] = _("A dossier code has only letters, digits, dots and hyphens.")
        dossier = None
    search = " ".join((args.get("q") or "").split()) or None
    if search is not None and len(search) > MAX_SEARCH:
        errors["q"] = _("Search with at most %(num)s characters.", num=MAX_SEARCH)
        search = None
    sort = (args.get("sort") or "").strip() or None
    if sort is not None and sort.removeprefix("-") not in SORT_KEYS:
        sort = None  # a stale or hand-made link: the list's own order, no error to show
    page = _positive_int(args, "page", 1, errors, upper=1_000_000)
    per_page = _positive_int(args, "per_page", DEFAULT_PER_PAGE, errors, upper=MAX_PER_PAGE)
    kind = (args.get("kind") or "").strip() or None
    if kind is not None and kind not in KINDS:
        errors["kind"] = _("Choose results or certified copies from the list.")
        kind = None
    filters = ResultFilters(procedure, date_from, date_to, citizen_id, dossier, search, sort, page, per_page, kind)
    return ParsedFilters(filters, errors)
