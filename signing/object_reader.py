"""A small, strict reader for the few objects the hand-written field update looks at: the
trailer, the catalog, the page tree's root, the first page, the form and its fields.

Why by hand: pyHanko's object parser (``generic.read_object``) reads a few bytes at a time in
Python and builds an object for every value, also for the values the update only copies; for
these objects of every document it was most of the update's cost. This reader matches a whole
dictionary with one regular expression, keeps each value as the bytes written, and interprets
only references, arrays of references, integers and the strings the update compares. It is
strict: anything else (comments, names with ``#`` escapes, strings with nested parentheses or
unusual escapes, values nested more than three deep, streams, a key given twice) raises
:class:`Unreadable`, and the caller reads the file with pyHanko instead.
"""

from __future__ import annotations

import re

_WS = b"\x00\t\n\x0c\r "


def _pattern(source: bytes) -> re.Pattern:
    """``source`` with ``~`` standing for PDF whitespace and ``$`` for the end of a number or
    keyword (a delimiter, whitespace or the end of the data)."""
    return re.compile(source.replace(b"~", rb"[\x00\t\n\x0c\r ]")
                      .replace(b"$", rb"(?=[\x00\t\n\x0c\r ()<>\[\]{}/%]|\Z)"), re.DOTALL)


_NAME = rb"/[^\x00\t\n\x0c\r ()<>\[\]{}/%#]*+(?!#)"
_REF = rb"\d+~+\d+~+R$"
_STRING = rb"<[0-9A-Fa-f\x00\t\n\x0c\r ]*+>|\((?:[^()\\]++|\\.)*+\)"
_SIMPLE = _NAME + rb"|" + _REF + rb"|[+-]?(?:\d+(?:\.\d*)?|\.\d+)$|" + _STRING + rb"|true$|false$|null$"


def _nested(depth: int) -> bytes:
    """A value with arrays and dictionaries nested ``depth`` deep at most, matched at once (one
    match per dictionary entry, not one per token). Atomic: a value matches one way only."""
    if depth == 0:
        return rb"(?>" + _SIMPLE + rb")"
    inner = _nested(depth - 1)
    return (rb"(?>" + _SIMPLE + rb"|\[(?:~*" + inner + rb")*~*\]|<<(?:~*" + _NAME + rb"~*" + inner
            + rb")*~*>>)")


_ENTRY = _pattern(rb"~*(" + _NAME + rb")~*(" + _nested(3) + rb")")
_OPEN = _pattern(rb"~*<<")
_CLOSE = _pattern(rb"~*>>")
_OBJECT = _pattern(rb"(\d+)~+(\d+)~+obj")
_ENDOBJ = _pattern(rb"~*endobj$")
_REFERENCE = _pattern(rb"(\d+)~+(\d+)~+R")
_REFERENCES = _pattern(rb"~*\[(?:~*" + _REF + rb")*~*\]")
_STRINGS = _pattern(rb"\[(?:~*(?>" + _STRING + rb"))*~*\]")
_ONE_STRING = _pattern(_STRING)
_ESCAPE = _pattern(rb"\\([0-7]{1,3}|[nrtbf()\\])")
_UNUSUAL_ESCAPE = _pattern(rb"\\(?![0-7nrtbf()\\])")


class Unreadable(ValueError):
    """Not of the shapes this reader knows; read it with pyHanko."""


Reference = tuple[int, int]
"""Object number and generation."""


def read_dictionary(data: bytes, pos: int) -> tuple[dict[bytes, bytes], int]:
    """The dictionary at ``pos``: each key with its value's bytes as written, and where it ends."""
    opening = _OPEN.match(data, pos)
    if opening is None:
        raise Unreadable(f"no dictionary at {pos}")
    entries: dict[bytes, bytes] = {}
    pos = opening.end()
    while (entry := _ENTRY.match(data, pos)) is not None:
        if entry[1] in entries:
            raise Unreadable(f"{entry[1]!r} given twice")
        entries[entry[1]] = entry[2]
        pos = entry.end()
    closing = _CLOSE.match(data, pos)
    if closing is None:  # a value of a shape not known here
        raise Unreadable(f"no entry or end of dictionary at {pos}")
    return entries, closing.end()


def read_object_dictionary(data: bytes, offset: int, ref: Reference) -> dict[bytes, bytes]:
    """Object ``ref``, written at ``offset``: a dictionary (not a stream's)."""
    entries, end = read_dictionary(data, _object_start(data, offset, ref))
    _check_end(data, end, ref)
    return entries


def read_object_references(data: bytes, offset: int, ref: Reference) -> list[Reference]:
    """Object ``ref``, written at ``offset``: an array of references."""
    array = _REFERENCES.match(data, _object_start(data, offset, ref))
    if array is None:
        raise Unreadable(f"object {ref} is not an array of references")
    _check_end(data, array.end(), ref)
    return references(array[0].strip(_WS))


def _object_start(data: bytes, offset: int, ref: Reference) -> int:
    header = _OBJECT.match(data, offset)
    if header is None or (int(header[1]), int(header[2])) != ref:
        raise Unreadable(f"object {ref} is not at {offset}")
    return header.end()


def _check_end(data: bytes, end: int, ref: Reference) -> None:
    if _ENDOBJ.match(data, end) is None:
        raise Unreadable(f"object {ref} is a stream or does not end")


def dictionary(value: bytes) -> dict[bytes, bytes]:
    """The dictionary ``value`` (whitespace around it allowed), as :func:`read_dictionary`."""
    entries, end = read_dictionary(value, 0)
    if value[end:].strip(_WS):
        raise Unreadable("not a dictionary")
    return entries


def reference(value: bytes | None) -> Reference:
    match = _REFERENCE.fullmatch(value or b"")
    if match is None:
        raise Unreadable(f"not a reference: {value!r}")
    return int(match[1]), int(match[2])


def references(value: bytes) -> list[Reference]:
    if _REFERENCES.fullmatch(value) is None:
        raise Unreadable(f"not an array of references: {value[:40]!r}")
    return [(int(n), int(g)) for n, g in _REFERENCE.findall(value)]


def integer(value: bytes | None) -> int:
    if value is None or not value.isdigit():
        raise Unreadable(f"not a non-negative integer: {value!r}")
    return int(value)


def strings(value: bytes) -> list[bytes]:
    """The strings of an array of strings, each as written."""
    if _STRINGS.fullmatch(value) is None:
        raise Unreadable(f"not an array of strings: {value[:40]!r}")
    return _ONE_STRING.findall(value, 1, len(value) - 1)


def string_bytes(value: bytes) -> bytes:
    """The bytes of a hex string, or of a literal one with only the common escapes."""
    if _ONE_STRING.fullmatch(value) is None:
        raise Unreadable(f"not a string: {value[:40]!r}")
    if value.startswith(b"<"):
        digits = value[1:-1].translate(None, _WS)
        if len(digits) % 2:
            raise Unreadable("a hex string of odd length")
        return bytes.fromhex(digits.decode())
    body = value[1:-1]
    if b"\r" in body or _UNUSUAL_ESCAPE.search(body):  # a line end inside is read as \n
        raise Unreadable("a string with line ends or unusual escapes")
    return _ESCAPE.sub(_unescape, body)


def _unescape(match: re.Match) -> bytes:
    escaped = match[1]
    if escaped in b"()\\":
        return escaped
    letter = b"nrtbf".find(escaped)
    return b"\n\r\t\b\f"[letter:letter + 1] if letter >= 0 else bytes([int(escaped, 8) & 0xFF])


def text(value: bytes) -> str:
    """A text string in UTF-16BE with a byte order mark, or in plain ASCII (where PDFDocEncoding
    agrees with it); other bytes are refused rather than decoded wrongly."""
    raw = string_bytes(value)
    if raw.startswith(b"\xfe\xff"):
        try:
            return raw[2:].decode("utf-16-be")
        except UnicodeDecodeError as e:
            raise Unreadable("not UTF-16") from e
    if any(b < 0x20 or b > 0x7E for b in raw):
        raise Unreadable("not plain ASCII")
    return raw.decode("ascii")
