"""Checks on the raw bytes that pyHanko's reader hides: keys declared twice in a signature
or document-timestamp dictionary, and bytes after the last end of file.

pyHanko's parser keeps one value of a duplicated key (and this package's reader, for speed,
the first long /Contents), so two readers can disagree on what was signed; the raw bytes
are the only place where the duplicate is still visible. Likewise pyHanko reads a file from
its last ``startxref``: objects appended after it, with no cross-reference section, are
invisible to it but rebuilt into the document by repairing viewers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SIGNATURE_DICTIONARY = re.compile(rb"/ByteRange\s*\[")
OBJECT_HEADER = re.compile(rb"(\d+)\s+(\d+)\s+obj\b")
HEADER_WINDOW = 200_000
"""How far before a /ByteRange its object header may be (a /Contents hex string lies between)."""
MAX_DICTIONARIES = 200
MAX_HEADER_CANDIDATES = 64
"""``obj`` occurrences looked at backwards from one /ByteRange (hostile files repeat it)."""
MAX_TOKENS = 20_000
MAX_APPENDED_OBJECTS = 32
"""Objects after the end of file looked at (each costs a search of the file before it)."""
_WHITESPACE = b"\x00\t\n\x0c\r "
_REGULAR = re.compile(rb"[^\x00\t\n\x0c\r ()<>\[\]{}/%]+")
_NAME = re.compile(rb"/[^\x00\t\n\x0c\r ()<>\[\]{}/%]*")
_HEX = re.compile(rb"<[0-9A-Fa-f\x00\t\n\x0c\r ]*>")
_SKIP = re.compile(rb"(?:[\x00\t\n\x0c\r ]+|%[^\r\n]*)+")
_REFERENCE_TAIL = re.compile(rb"[\x00\t\n\x0c\r ]+\d+[\x00\t\n\x0c\r ]+R(?![^\x00\t\n\x0c\r ()<>\[\]{}/%])")


@dataclass(frozen=True)
class DuplicateKeys:
    """A signature dictionary in which some keys are declared more than once."""

    object_number: int
    generation: int
    keys: tuple[str, ...]


def duplicate_keys(data: bytes) -> list[DuplicateKeys]:
    """Every signature / document-timestamp dictionary of ``data`` (found by its /ByteRange,
    in any revision) that declares a key twice."""
    found: dict[tuple[int, int, int], DuplicateKeys] = {}
    for count, match in enumerate(SIGNATURE_DICTIONARY.finditer(data)):
        if count >= MAX_DICTIONARIES:
            break
        header = _header_before(data, match.start())
        if header is None:
            continue
        start = data.find(b"<<", header.end(), match.start())
        keys = _top_level_keys(data, start) if start >= 0 else []
        repeated = tuple(sorted({k for k in keys if keys.count(k) > 1}))
        if repeated:
            number, generation = int(header.group(1)), int(header.group(2))
            found[(header.start(), number, generation)] = DuplicateKeys(number, generation, repeated)
    return list(found.values())


def _header_before(data: bytes, position: int):
    """The last ``N G obj`` header before ``position`` (within the window)."""
    window_start = max(0, position - HEADER_WINDOW)
    at = data.rfind(b"obj", window_start, position)
    for _ in range(MAX_HEADER_CANDIDATES):
        if at < 0:
            break
        line_start = max(window_start, at - 24)
        header = None
        for header in OBJECT_HEADER.finditer(data, line_start, at + 3):
            pass
        if header is not None and header.end() == at + 3:
            return header
        at = data.rfind(b"obj", window_start, at)
    return None


def _top_level_keys(data: bytes, start: int) -> list[str]:
    """The keys of the dictionary opening at ``start`` (``<<``), in order, with repeats."""
    keys: list[str] = []
    depth, expect_key, position = 0, True, start + 2
    for _ in range(MAX_TOKENS):
        skip = _SKIP.match(data, position)
        position = skip.end() if skip else position
        if position >= len(data):
            break
        token, position = _token(data, position)
        if token in (b"<<", b"["):
            depth += 1
            continue
        if token in (b">>", b"]"):
            if depth == 0:
                break
            depth -= 1
            if depth == 0:
                expect_key = True
            continue
        if depth > 0:
            continue
        if expect_key:
            keys.append(token.decode("latin-1"))
            expect_key = False
            continue
        reference = _REFERENCE_TAIL.match(data, position) if token.isdigit() else None
        position = reference.end() if reference else position
        expect_key = True
    return keys


def _token(data: bytes, position: int) -> tuple[bytes, int]:
    """The token at ``position`` (dictionary and array brackets, names, strings, other)."""
    two = data[position : position + 2]
    if two in (b"<<", b">>"):
        return two, position + 2
    char = data[position : position + 1]
    if char in (b"[", b"]", b"{", b"}", b")", b">"):
        return char, position + 1
    if char == b"(":
        return b"()", _string_end(data, position)
    if char == b"<":
        hex_string = _HEX.match(data, position)
        return b"<>", hex_string.end() if hex_string else position + 1
    match = (_NAME if char == b"/" else _REGULAR).match(data, position)
    return match.group(0), match.end()


def _string_end(data: bytes, position: int) -> int:
    """Just after the literal string opening at ``position`` (nested parentheses, escapes)."""
    depth, index = 0, position
    while index < len(data):
        char = data[index]
        if char == 0x5C:  # backslash: the next byte is escaped
            index += 2
            continue
        depth += 1 if char == 0x28 else -1 if char == 0x29 else 0
        index += 1
        if depth == 0:
            return index
    return index


_STARTXREF = re.compile(rb"startxref\s+(\d+)")


def bytes_after_last_revision(data: bytes) -> int:
    """How many bytes other than whitespace no revision accounts for at the end of ``data``:
    those after the ``%%EOF`` that ends the last revision, and those between the end of the
    revision the last ``startxref`` points to and that ``startxref`` (objects appended with
    the old ``startxref`` restated after them, so that the file still opens cleanly)."""
    return sum(len(data[start:end].strip(_WHITESPACE)) for start, end in _unaccounted(data))


def objects_redeclared_after_last_revision(data: bytes) -> tuple[str, ...]:
    """``"N G"`` of each object in those bytes that re-declares an object the file already
    has: what a viewer rebuilding the file would show instead of the signed one."""
    headers = [
        (start, header)
        for start, end in _unaccounted(data)
        for header in OBJECT_HEADER.finditer(data, start, end)
    ]
    found: list[str] = []
    for start, header in headers[:MAX_APPENDED_OBJECTS]:
        number, generation = header.group(1), header.group(2)
        earlier = re.compile(rb"(?<![0-9])" + number + rb"\s+" + generation + rb"\s+obj\b")
        name = f"{int(number)} {int(generation)}"
        if name not in found and earlier.search(data, 0, start):
            found.append(name)
    return tuple(found)


def _unaccounted(data: bytes) -> list[tuple[int, int]]:
    """The (start, end) spans of ``data`` no revision accounts for (see above)."""
    last = data.rfind(b"startxref")
    if last < 0:
        return []
    eof = data.find(b"%%EOF", last)
    spans = [(eof + len(b"%%EOF"), len(data))] if eof >= 0 else []
    pointer = _STARTXREF.match(data, last)
    section = int(pointer.group(1)) if pointer else -1
    if 0 <= section < last:
        section_end = data.find(b"%%EOF", section)
        own = _STARTXREF.match(data, max(section, data.rfind(b"startxref", section, max(section, section_end))))
        # only when that revision ends with its own startxref (a linearized file's first
        # page section ends with "startxref 0" and its body follows: not an appended tail)
        if 0 <= section_end < last and own is not None and int(own.group(1)) == section:
            spans.append((section_end + len(b"%%EOF"), last))
    return spans
