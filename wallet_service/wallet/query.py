"""What a citizen narrowed their wallet to (search, year, agency, page), read from a query string.
Bad input is reported per field in the reader's language: the API refuses it, the page shows it."""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from flask_babel import gettext as _

from ..official.filters import _WHOLE_NUMBER, _positive_int  # the officials' lists read page numbers the same way

DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 100
MAX_PAGE = 100_000
MAX_SEARCH = 100
FIRST_YEAR = 2000  # before any electronic result; also keeps the year's bounds well inside datetime
_AGENCY_CODE = re.compile(r"[0-9A-Za-z.\-_]{1,64}")


@dataclass(frozen=True)
class WalletQuery:
    """One page of a citizen's results, optionally narrowed."""

    search: str | None = None
    """Part of the title, procedure (name or code), agency name or dossier code (case-insensitive)."""
    year: int | None = None
    """Signed (or, not signed yet, received) in this calendar year, Vietnam time."""
    agency_code: str | None = None
    """Only results of this agency."""
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE

    @property
    def narrowed(self) -> bool:
        return any((self.search, self.year, self.agency_code))

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page

    def query_args(self, **changes) -> dict[str, str]:
        """The query string that reproduces this query (for pagination links), with `changes`."""
        args = {"q": self.search, "year": self.year, "agency": self.agency_code, "page": self.page,
                "per_page": self.per_page if self.per_page != DEFAULT_PER_PAGE else None}
        args.update(changes)
        return {k: str(v) for k, v in args.items() if v not in (None, "")}


@dataclass(frozen=True)
class ParsedQuery:
    query: WalletQuery
    """The valid part (invalid fields are left at their defaults)."""
    errors: Mapping[str, str] = field(default_factory=dict)
    """Message per query-string field that could not be used."""


def _year(args: Mapping[str, str], errors: dict[str, str]) -> int | None:
    raw = (args.get("year") or "").strip()
    if not raw:
        return None
    last = dt.date.today().year + 1
    if not _WHOLE_NUMBER.fullmatch(raw) or not FIRST_YEAR <= int(raw) <= last:
        errors["year"] = _("Enter a year from %(first)s to %(last)s.", first=FIRST_YEAR, last=last)
        return None
    return int(raw)


_NUMBERS = ("year", "page", "per_page")


def parse_query(args: Mapping[str, str], *, blank_is_absent: bool = True) -> ParsedQuery:
    """`blank_is_absent`: a form's empty field (`year=`) means no filter; the API, whose description
    types these as integers, refuses an empty number instead."""
    errors: dict[str, str] = {}
    if not blank_is_absent:
        errors.update({name: _("Enter a number, or leave the parameter out.")
                       for name in _NUMBERS if name in args and not args[name].strip()})
    search = " ".join((args.get("q") or "").split()) or None
    if search is not None and len(search) > MAX_SEARCH:
        errors["q"] = _("Search with at most %(num)s characters.", num=MAX_SEARCH)
        search = None
    agency = (args.get("agency") or "").strip() or None
    if agency is not None and not _AGENCY_CODE.fullmatch(agency):
        errors["agency"] = _("Choose an agency from the list.")
        agency = None
    query = WalletQuery(
        search=search,
        year=_year(args, errors),
        agency_code=agency,
        page=_positive_int(args, "page", 1, errors, upper=MAX_PAGE),
        per_page=_positive_int(args, "per_page", DEFAULT_PER_PAGE, errors, upper=MAX_PER_PAGE),
    )
    return ParsedQuery(query, errors)  # a blank number's message stays: the parsers above skip blanks
