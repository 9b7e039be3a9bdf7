"""The lines of text on a page with their positions, enough to find a document's signing block.

pyHanko writes PDFs but does not read their text, and a text-extraction library (pdfminer) would
be a heavy dependency for reading one page per document; case systems' documents (fpdf2, office
suites) draw text with ``Tf``/``Td``/``Tm``/``Tj``/``TJ`` in the page's own coordinates, which
this reader follows. Positions under a ``cm`` transformation are taken as they are written.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass

from pyhanko.pdf_utils import generic

_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\x0c"}


@dataclass(frozen=True)
class TextLine:
    """Text drawn on one baseline, left to right."""

    text: str
    x0: float
    """Left end in points."""
    x1: float
    """Right end in points (from the font's glyph widths)."""
    y: float
    """Baseline in points."""
    size: float
    """Font size in points."""

    @property
    def centre(self) -> float:
        return (self.x0 + self.x1) / 2


def _literal(data: bytes, i: int) -> tuple[bytes, int]:
    """The literal string starting after ``(`` at ``i``; returns its bytes and the index after ``)``."""
    out, depth = bytearray(), 1
    while i < len(data):
        c = data[i:i + 1]
        if c == b"\\":
            nxt = data[i + 1:i + 2]
            octal = re.match(rb"[0-7]{1,3}", data[i + 1:i + 4])
            if octal:
                out.append(int(octal.group(), 8) & 0xFF)
                i += 1 + len(octal.group())
                continue
            out += _ESCAPES.get(nxt, b"" if nxt in (b"\n", b"\r") else nxt)
            i += 2
            continue
        depth += c == b"("
        depth -= c == b")"
        if depth == 0:
            return bytes(out), i + 1
        out += c
        i += 1
    return bytes(out), i


# One lexeme of a content stream after any whitespace, matched by the regex engine rather than a
# loop over characters in Python (the text of a page is read for every document signed). A literal
# string without escapes or nested parentheses is taken whole; others go through `_literal`.
_LEXEME = re.compile(rb"""[ \t\r\n\x0c\x00]*(?:
    (?P<plain>\([^()\\]*\))
  | (?P<literal>\()
  | (?P<comment>%[^\n]*)
  | (?P<dict><<|>>)
  | (?P<hex><[^>]*>)
  | (?P<open>\[)
  | (?P<close>\])
  | (?P<name>/[^\s()<>\[\]{}/%]*)
  | (?P<word>[^\s()<>\[\]{}/%]+)
  | (?P<other>.)
  | \Z)""", re.X | re.S)


def _hex(text: bytes) -> bytes:
    digits = re.sub(rb"\s", b"", text)
    try:
        return bytes.fromhex((digits + b"0" * (len(digits) % 2)).decode("latin-1"))
    except ValueError:  # not hexadecimal: a malformed stream draws no text there
        return b""


def _tokens(data: bytes):
    """Operands and operators of a content stream: strings as bytes, numbers as floats, arrays as
    lists, names as ``/Name`` strings, operators as str."""
    i, stack, end = 0, [[]], len(data)
    while i < end:
        m = _LEXEME.match(data, i)
        kind, i = m.lastgroup, m.end()
        if kind == "plain":
            stack[-1].append(m.group(kind)[1:-1])
        elif kind == "literal":
            value, i = _literal(data, i)
            stack[-1].append(value)
        elif kind == "hex":
            stack[-1].append(_hex(m.group(kind)[1:-1]))
        elif kind == "open":
            stack.append([])
        elif kind == "close":
            inner = stack.pop() if len(stack) > 1 else []
            stack[-1].append(inner)
        elif kind == "name":
            stack[-1].append(m.group(kind).decode("latin-1"))
        elif kind == "word":
            word = m.group(kind)
            try:
                stack[-1].append(float(word))
            except ValueError:
                if word == b"BI":  # inline image: skip its data
                    found = data.find(b"EI", i)
                    i, stack = (found + 2 if found >= 0 else end), [[]]
                    continue
                yield word.decode("latin-1"), stack[-1]
                stack = [[]]


@dataclass(frozen=True)
class _Font:
    code_bytes: int
    unicode: dict[int, str]
    widths: dict[int, float]
    default_width: float

    def decode(self, raw: bytes) -> tuple[str, float]:
        """Text of a string and its advance in thousandths of the font size."""
        if self.code_bytes == 1:
            codes = raw
            text = "".join([self.unicode.get(c, chr(c)) for c in codes])
        else:
            codes = struct.unpack(f">{len(raw) // 2}H", raw[:len(raw) - len(raw) % 2])
            text = "".join([self.unicode.get(c, "") for c in codes])
        width, default = self.widths.get, self.default_width
        return text, sum([width(c, default) for c in codes])


def _cmap(stream) -> dict[int, str]:
    data = stream.get_object().data if stream is not None else b""
    mapping: dict[int, str] = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", data, re.S):
        for src, dst in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            mapping[int(src, 16)] = bytes.fromhex(dst.decode()).decode("utf-16-be", "ignore")
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", data, re.S):
        for lo, hi, dst in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            start = int(dst, 16)
            for k, code in enumerate(range(int(lo, 16), int(hi, 16) + 1)):
                mapping[code] = chr(start + k)
    return mapping


def _font(font) -> _Font:
    font = font.get_object()
    unicode = _cmap(font.get("/ToUnicode"))
    if font.get("/Subtype") == "/Type0":
        descendant = font["/DescendantFonts"].raw_get(0)
        written = _written_widths(descendant.reference) if isinstance(descendant, generic.IndirectObject) else None
        if written is not None:
            return _Font(2, unicode, *written)
        return _Font(2, unicode, *parsed_widths(descendant.get_object()))
    first = int(font.get("/FirstChar", 0))
    widths = {first + k: float(v) for k, v in enumerate(font.get("/Widths", []))}
    return _Font(1, unicode, widths, 500.0)


def parsed_widths(descendant) -> tuple[dict[int, float], float]:
    """A descendant font's /W and /DW as pyHanko's object parser reads them."""
    widths: dict[int, float] = {}
    w = list(descendant.get("/W", []))
    while w:
        first = int(w.pop(0))
        if isinstance(w[0], generic.ArrayObject):
            widths.update((first + k, float(v)) for k, v in enumerate(w.pop(0)))
        else:
            last, value = int(w.pop(0)), float(w.pop(0))
            widths.update((c, value) for c in range(first, last + 1))
    return widths, float(descendant.get("/DW", 1000))


_W_ARRAY = re.compile(rb"/W\s*\[")
_W_OR_DW_REFERENCE = re.compile(rb"/D?W\s+\d+\s+\d+\s+R")
_DW = re.compile(rb"/DW\s+([-+]?(?:\d+(?:\.\d*)?|\.\d+))(?=[\s/>])")
_W_TOKEN = re.compile(rb"\s*(\[|\]|[-+]?(?:\d+(?:\.\d*)?|\.\d+))")


def _written_widths(reference) -> tuple[dict[int, float], float] | None:
    """A descendant font's /W and /DW read from its bytes in the file: pyHanko's object parser took
    ~1.3 ms a document for an embedded subset's width array (~8 % of a Decree 30 result). None when the
    object is not plainly in the file or its widths are not numbers written in it (pyHanko reads it)."""
    raw = _raw_object(reference)
    if raw is None or _W_OR_DW_REFERENCE.search(raw):
        return None
    default = _DW.search(raw)
    found = _W_ARRAY.search(raw)
    if found is None:
        return None if b"/W" in raw.replace(b"/W2", b"") else ({}, float(default.group(1)) if default else 1000.0)
    tokens, position, depth = [], found.end() - 1, 0
    while True:
        token = _W_TOKEN.match(raw, position)
        if token is None:
            return None  # a name, a reference, a comment...: not plain numbers
        value, position = token.group(1), token.end()
        depth += {b"[": 1, b"]": -1}.get(value, 0)
        if depth == 0:
            break
        tokens.append(value)
    try:
        return _widths_of(tokens[1:]), float(default.group(1)) if default else 1000.0  # tokens[0]: the outer "["
    except ValueError:  # a malformed array: let pyHanko say what is wrong
        return None


def _widths_of(tokens: list[bytes]) -> dict[int, float]:
    """The /W array's entries (`c [w1 w2 ...]` or `c_first c_last w`) as code -> width."""
    widths: dict[int, float] = {}
    items = iter(tokens)
    for first in items:
        following = next(items, None)
        if following == b"[":
            for k, width in enumerate(iter(lambda: next(items, b"]"), b"]")):
                widths[int(first) + k] = float(width)
        elif following is not None:
            width = float(next(items, b"?"))
            widths.update((code, width) for code in range(int(first), int(following) + 1))
        else:
            raise ValueError("a /W entry without its widths")
    return widths


def _raw_object(reference) -> bytes | None:
    """An indirect object's bytes as its file holds them (its latest revision), or None: in an object
    stream, in an encrypted file, not read from a file in memory."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    reader = reference.pdf
    if not isinstance(reader, PdfFileReader) or not hasattr(reader.stream, "getbuffer") or reader.encrypted:
        return None
    start = reader.xrefs[reference]
    if not isinstance(start, int) or isinstance(start, bool):
        return None
    head = b"%d %d obj" % (reference.idnum, reference.generation)
    data = reader.stream.getbuffer()
    chunk = bytes(data[start:start + 262144])
    end = chunk.find(b"endobj")
    return chunk[:end] if chunk.startswith(head) and end > 0 else None


def _contents(page) -> bytes:
    contents = page.get("/Contents")
    if contents is None:
        return b""
    contents = contents.get_object()
    streams = contents if isinstance(contents, generic.ArrayObject) else [contents]
    return b"\n".join(s.get_object().data for s in streams)


def page_lines(page) -> list[TextLine]:
    """The text lines of a page (a pyHanko page dictionary), top to bottom."""
    fonts_dict = page.get("/Resources", generic.DictionaryObject()).get_object().get("/Font", {})
    fonts: dict[str, _Font] = {}
    runs: list[tuple[float, float, float, float, str]] = []
    font, size, leading = None, 0.0, 0.0
    line_x = line_y = x = y = 0.0
    for op, args in _tokens(_contents(page)):
        if op == "Tf" and len(args) >= 2 and args[0] in fonts_dict:
            if args[0] not in fonts:
                fonts[args[0]] = _font(fonts_dict[args[0]])
            font, size = fonts[args[0]], float(args[1])
        elif op == "BT":
            line_x = line_y = x = y = 0.0
        elif op in ("Td", "TD") and len(args) >= 2:
            line_x, line_y = line_x + args[0], line_y + args[1]
            x, y = line_x, line_y
            leading = -args[1] if op == "TD" else leading
        elif op == "Tm" and len(args) >= 6:
            line_x = x = float(args[4])
            line_y = y = float(args[5])
        elif op == "TL" and args:
            leading = float(args[0])
        elif op in ("T*", "'", '"'):
            line_y -= leading
            x, y = line_x, line_y
        if op in ("Tj", "'", '"', "TJ") and font is not None and args:
            parts = args[-1] if op == "TJ" else [args[-1]]
            text, advance = "", 0.0
            for part in parts:
                if isinstance(part, bytes):
                    t, a = font.decode(part)
                    text, advance = text + t, advance + a
                elif isinstance(part, float):
                    advance -= part
            runs.append((y, x, x + advance * size / 1000, size, text))
            x += advance * size / 1000
    return _join(runs)


def _join(runs) -> list[TextLine]:
    """Runs on the same baseline, close together, make one line."""
    lines: list[TextLine] = []
    for y, x0, x1, size, text in sorted(runs, key=lambda r: (-round(r[0], 1), r[1])):
        last = lines[-1] if lines else None
        if last and abs(last.y - y) < 0.5 and x0 - last.x1 < size:
            lines[-1] = TextLine(last.text + text, last.x0, max(last.x1, x1), last.y, max(last.size, size))
        elif text.strip():
            lines.append(TextLine(text, x0, x1, y, size))
    return lines
