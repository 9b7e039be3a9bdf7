"""Reading the fields of a digitised document out of its text layer: per document type, the line that
starts with a field's label gives the value after it. Regular expressions and not a trained model: the
papers are forms with printed labels, and an official confirms every value before it counts."""
from __future__ import annotations

import datetime as dt
import re
import unicodedata

from .catalogue import DATE_FIELDS, FIELDS, DocumentType

_VALUE = r"\b\s*(?P<sep>[:;.]?)\s*(?P<rest>.*)$"
_DATE_NUMERIC = re.compile(r"(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{4})")
_DATE_WORDS = re.compile(r"ngay\s*(\d{1,2})\s*thang\s*(\d{1,2})\s*nam\s*(\d{4})")
_DIGIT_RUN = re.compile(r"[0-9OoIl| .]{12,24}")
_TWELVE = re.compile(r"(?<!\d)\d{12}(?!\d)")
# Letters OCR reads in place of digits inside a number.
_DIGIT_SLIPS = str.maketrans({"O": "0", "o": "0", "I": "1", "l": "1", "|": "1"})
MAX_VALUE = 255


def fold(text: str) -> str:
    """Lower case without diacritics, one character for one, so positions in the folded text are
    positions in the original."""
    return "".join(_fold_char(c) for c in text)


def _fold_char(c: str) -> str:
    if c in "đĐ":
        return "d"
    return unicodedata.normalize("NFD", c)[0].lower()


def extract_fields(document_type: DocumentType, text: str) -> dict[str, str | None]:
    """Each field of `FIELDS`: its value (dates as YYYY-MM-DD), or None when not found."""
    lines = [" ".join(line.split()) for line in unicodedata.normalize("NFC", text).splitlines()]
    lines = [line for line in lines if line]
    folded = [fold(line) for line in lines]
    # Any label of the type followed by a colon ends the value before it: papers put two fields on a line.
    next_label = re.compile(r"\s(?:" + "|".join(l for ls in document_type.labels.values() for l in ls
                                                if not l.startswith("^")) + r")\s*:")
    found: dict[str, str | None] = {}
    for name in FIELDS:
        found[name] = _first_value(name, document_type.labels.get(name, ()), lines, folded, next_label)
    if found["personal_id"] is None:
        # A paper whose label the OCR garbled: a number of exactly twelve digits is the ID when it is the only one.
        numbers = set(_TWELVE.findall(text))
        found["personal_id"] = numbers.pop() if len(numbers) == 1 else None
    return found


def _first_value(name: str, labels: tuple[str, ...], lines: list[str], folded: list[str],
                 next_label: re.Pattern) -> str | None:
    """The value after the first line's label: at the start of a line, or after another field with a colon."""
    for label in labels:
        pattern = re.compile(r"(?:^\W*|\s)(?:" + label + ")" + _VALUE)
        for line, low in zip(lines, folded):
            match = pattern.search(low)
            if match is None or (match.start() > 0 and match["sep"] != ":"):
                continue  # a label within a line counts only with its colon
            start = match.start("rest")
            end = (cut.start() + start) if (cut := next_label.search(low[start:])) else len(low)
            value = normalise(name, line[start:end], low[start:end])
            if value:
                return value
    return None


def normalise(name: str, value: str, folded_value: str | None = None) -> str | None:
    """A field's value in its stored form, or None if it has none: names in capitals, ID numbers as
    twelve digits, dates as YYYY-MM-DD."""
    value = " ".join(value.split()).strip(" .,;:")
    if not value:
        return None
    if name == "personal_id":
        return _personal_id(value)
    if name in DATE_FIELDS:
        return _date(folded_value if folded_value is not None else fold(value))
    if name == "holder_name":
        value = value.upper()
    return value[:MAX_VALUE]


def _personal_id(value: str) -> str | None:
    for run in _DIGIT_RUN.findall(value):
        digits = re.sub(r"[ .]", "", run.translate(_DIGIT_SLIPS))
        if len(digits) == 12 and digits.isascii() and digits.isdigit():
            return digits
    return None


def _date(folded_value: str) -> str | None:
    match = _DATE_NUMERIC.search(folded_value) or _DATE_WORDS.search(folded_value)
    if match is None:
        return None
    day, month, year = (int(part) for part in match.groups())
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None
