"""Validation of the Vietnamese administrative identifiers the service accepts.

Each check returns nothing or raises `FormatError` with a field name and a message a case-system
developer can act on.
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata

from vietnam_provinces import Ward, WardCode


class FormatError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


# Birth-registration province codes printed in CCCD numbers (Circular 07/2016/TT-BCA). They are the
# 63 pre-2025 provinces; the 2025 merger did not renumber existing ID numbers, so the current
# 34-province table of `vietnam-provinces` cannot be used here. Written out because no package
# carries this legal table.
CCCD_PROVINCE_CODES = frozenset(
    "001 002 004 006 008 010 011 012 014 015 017 019 020 022 024 025 026 027 030 031 033 034 035 "
    "036 037 038 040 042 044 045 046 048 049 051 052 054 056 058 060 062 064 066 067 068 070 072 "
    "074 075 077 079 080 082 083 084 086 087 089 091 092 093 094 095 096".split()
)

# Digits are ASCII only (`re.ASCII`): `\d` would take fullwidth or Arabic-Indic digits, which int() reads.
PERSONAL_ID = re.compile(r"\d{12}", re.ASCII)
# QCVN 102:2016 agency code, e.g. 000.00.15.H40.
AGENCY_CODE = re.compile(r"\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}", re.ASCII)
DOSSIER_CODE = re.compile(rf"(?P<agency>{AGENCY_CODE.pattern})-(?P<date>\d{{6}})-(?P<seq>\d{{4}})", re.ASCII)
# National procedure code (e.g. 1.011442) optionally followed by the publishing agency's code, as in
# 1.011442.000.00.00.H38; case systems send both forms.
PROCEDURE_CODE = re.compile(rf"\d\.\d{{6}}(\.{AGENCY_CODE.pattern})?", re.ASCII)


def cccd_birth_year(number: str) -> int:
    """The birth year a CCCD number encodes (century from the sex/century digit)."""
    century = 1900 + 100 * (int(number[3]) // 2)
    return century + int(number[4:6])


def check_personal_id(number: str, field: str = "citizen_id", today: dt.date | None = None) -> None:
    if not isinstance(number, str) or not PERSONAL_ID.fullmatch(number):
        raise FormatError(field, "A personal ID number (CCCD) has exactly 12 digits.")
    if number[:3] not in CCCD_PROVINCE_CODES:
        raise FormatError(field, f"'{number[:3]}' is not a province code used in personal ID numbers.")
    today = today or dt.date.today()
    if cccd_birth_year(number) > today.year:
        raise FormatError(field, "The century/sex digit and birth year in this ID number give a future birth year.")


def check_agency_code(code: str, field: str = "agency_code") -> None:
    if not isinstance(code, str) or not AGENCY_CODE.fullmatch(code):
        raise FormatError(field, "An agency code follows QCVN 102:2016, e.g. 000.00.15.H40.")


def check_dossier_code(code: str, field: str = "dossier_code") -> None:
    match = DOSSIER_CODE.fullmatch(code) if isinstance(code, str) else None
    if not match:
        raise FormatError(
            field, "A dossier code is <agency code>-<YYMMDD>-<4-digit sequence>, e.g. 000.00.15.H40-251120-0001."
        )
    try:
        dt.datetime.strptime(match["date"], "%y%m%d")
    except ValueError:
        raise FormatError(field, f"'{match['date']}' in the dossier code is not a valid YYMMDD date.") from None


def dossier_agency(code: str) -> str:
    """The receiving agency's code a valid dossier code begins with."""
    return DOSSIER_CODE.fullmatch(code)["agency"]


def check_procedure_code(code: str, field: str = "procedure_code") -> None:
    if not isinstance(code, str) or not PROCEDURE_CODE.fullmatch(code):
        raise FormatError(field, "A procedure code looks like 1.011442 or 1.011442.000.00.00.H38.")


def check_commune_code(code: str, field: str = "commune_code") -> None:
    """A 5-digit commune code of the administrative map in force since 1 July 2025."""
    if not isinstance(code, str) or not re.fullmatch(r"\d{5}", code, re.ASCII):
        raise FormatError(field, "A commune code has 5 digits.")
    try:
        Ward.from_code(WardCode(int(code)))
    except (ValueError, KeyError):
        raise FormatError(field, f"{code} is not a commune code in force since 1 July 2025.") from None


# NUL and the other C0 controls but tab and newlines, DEL, and lone UTF-16 surrogates (JSON's
# "\ud800" decodes to one): none belongs in a name or title, PostgreSQL refuses NUL in text, and a
# lone surrogate cannot be encoded as UTF-8 at all.
_NOT_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def fold(text: str) -> str:
    """Lower case without diacritics (đ as d), spaces collapsed: what accent-free search compares."""
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return " ".join("".join(c for c in text if unicodedata.category(c) != "Mn").lower().split())


def check_text(value: object, field: str) -> None:
    """Free text (names, titles, reasons, and every string inside `extra`): printable characters only."""
    if isinstance(value, str):
        if _NOT_TEXT.search(value):
            raise FormatError(field, "Text may not contain control characters (such as NUL) or unpaired surrogates.")
    elif isinstance(value, dict):
        for key, item in value.items():
            check_text(key, field)
            check_text(item, field)
    elif isinstance(value, list):
        for item in value:
            check_text(item, field)
