"""Appending the Document Security Store (validation data for B-LT) to a signed PDF.

Every document of a batch gets the *same* certificates, OCSP responses and CRLs, so their
PDF stream objects are encoded once (:class:`DssPayload`) and each document only gets a
small incremental update: those objects, a /DSS dictionary, the catalog with /DSS added,
an xref section and a trailer. Written by hand because pyHanko's ``add_dss`` re-parses
the whole file and re-serialises every object for each document (~5 ms, the largest cost
of B-LT). Only the common layout is handled (classic xref tables, unencrypted, no DSS
yet); anything else returns ``None`` and the caller uses pyHanko.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class DssPayload:
    """Validation data as PDF stream objects, encoded once per batch."""

    certificates: tuple[bytes, ...]
    """Stream object bodies holding DER certificates."""
    ocsp_responses: tuple[bytes, ...]
    """Stream object bodies holding DER OCSP responses."""
    crls: tuple[bytes, ...]
    """Stream object bodies holding DER CRLs."""

    @classmethod
    def build(cls, certificates, ocsp_responses, crls) -> "DssPayload":
        def stream(der: bytes) -> bytes:
            return b"<< /Length %d >>\nstream\n%s\nendstream" % (len(der), der)

        return cls(tuple(map(stream, certificates)), tuple(map(stream, ocsp_responses)),
                   tuple(map(stream, crls)))


_TRAILER_INT = re.compile(rb"/(Size|Prev)\s+(\d+)")
_TRAILER_REF = re.compile(rb"/(Root|Info)\s+(\d+)\s+(\d+)\s+R")
_TRAILER_ID = re.compile(rb"/ID\s*(\[[^\]]*\])")


def xref_sections(pdf: bytes, start: int):
    """Yield (entries, trailer bytes) of each classic xref section, newest first."""
    offset, seen = start, set()
    while offset is not None:
        if offset in seen or pdf[offset:offset + 4] != b"xref":
            raise ValueError("not a classic xref table")
        seen.add(offset)
        trailer_at = pdf.find(b"trailer", offset)
        if trailer_at < 0:
            raise ValueError("no trailer")
        entries: dict[int, tuple[int, int, bytes]] = {}
        lines = pdf[offset + 4:trailer_at].split()
        i = 0
        while i < len(lines):
            first, count = int(lines[i]), int(lines[i + 1])
            i += 2
            for n in range(count):
                off, gen, kind = lines[i:i + 3]
                entries.setdefault(first + n, (int(off), int(gen), kind))
                i += 3
        end = pdf.find(b"startxref", trailer_at)
        trailer = pdf[trailer_at + 7:end if end > 0 else None]
        yield entries, trailer
        prev = dict((k.decode(), int(v)) for k, v in _TRAILER_INT.findall(trailer)).get("Prev")
        offset = prev


@dataclass(frozen=True)
class _LastRevision:
    """What the incremental update needs from the file's newest revision."""

    startxref: int
    trailer: bytes
    size: int
    root: tuple[int, int]
    """Object number and generation of the catalog."""
    root_body: bytes
    """The catalog dictionary as written, ``<<`` to ``>>``."""
    info: tuple[int, int] | None


def _last_revision(pdf: bytes) -> _LastRevision | None:
    """The newest trailer and its catalog, or ``None`` when the layout is not the simple one
    handled here (no classic xref table, encrypted, catalog not found, /DSS already there)."""
    try:
        startxref = int(pdf[pdf.rindex(b"startxref") + 9:].split()[0])
        sections = xref_sections(pdf, startxref)
        entries, trailer = next(sections)
        if b"/Encrypt" in trailer:
            return None
        ints = dict((k.decode(), int(v)) for k, v in _TRAILER_INT.findall(trailer))
        refs = {k.decode(): (int(a), int(b)) for k, a, b in _TRAILER_REF.findall(trailer)}
        size, (root_num, root_gen) = ints["Size"], refs["Root"]
        entry = entries.get(root_num)
        for older, _ in sections:
            if entry is not None:
                break
            entry = older.get(root_num)
        if entry is None or entry[2] != b"n" or entry[1] != root_gen:
            return None
        obj_start = pdf.index(b"obj", entry[0]) + 3
        body = pdf[obj_start:pdf.index(b"endobj", obj_start)].strip()
        if not (body.startswith(b"<<") and body.endswith(b">>")) or b"/DSS" in body:
            return None
    except (ValueError, IndexError, KeyError, StopIteration):
        return None
    return _LastRevision(startxref, trailer, size, (root_num, root_gen), body, refs.get("Info"))


def append_dss(pdf: bytes, payload: DssPayload) -> bytes | None:
    """``pdf`` plus an incremental update adding ``payload`` as its /DSS, or ``None`` when
    the file's layout is not the simple one handled here."""
    last = _last_revision(pdf)
    if last is None:
        return None
    root_num, root_gen = last.root

    out = bytearray(pdf)
    if not out.endswith(b"\n"):
        out += b"\n"
    offsets: list[tuple[int, int]] = []
    number = last.size

    def add(body_bytes: bytes, num: int | None = None, gen: int = 0) -> int:
        nonlocal number
        if num is None:
            num, number = number, number + 1
        offsets.append((num, len(out)))
        out.extend(b"%d %d obj\n" % (num, gen) + body_bytes + b"\nendobj\n")
        return num

    def refs_array(bodies) -> bytes:
        return b"[" + b" ".join(b"%d 0 R" % add(b) for b in bodies) + b"]"

    certs, ocsps, crls = (refs_array(payload.certificates), refs_array(payload.ocsp_responses),
                          refs_array(payload.crls))
    dss = add(b"<< /Type /DSS /Certs %s /OCSPs %s /CRLs %s >>" % (certs, ocsps, crls))
    add(last.root_body[:-2] + b" /DSS %d 0 R >>" % dss, root_num, root_gen)

    xref_at = len(out)
    out += _xref(sorted(offsets), last.root) + b"trailer\n" + _trailer(last, number)
    out += b"\nstartxref\n%d\n%%%%EOF\n" % xref_at
    return bytes(out)


def _xref(offsets: list[tuple[int, int]], root: tuple[int, int]) -> bytes:
    """A classic xref section for the (number, offset) pairs, in ascending order."""
    root_num, root_gen = root
    xref = bytearray(b"xref\n")
    run: list[tuple[int, int]] = []
    for num, off in offsets + [(-1, 0)]:  # sentinel flushes the last run
        if run and num != run[-1][0] + 1:
            xref += b"%d %d\n" % (run[0][0], len(run))
            for n, o in run:
                gen = root_gen if n == root_num else 0
                xref += b"%010d %05d n\r\n" % (o, gen)
            run = []
        run.append((num, off))
    return bytes(xref)


def _trailer(last: _LastRevision, size: int) -> bytes:
    """The update's trailer: new size, same catalog, /Info and /ID, /Prev to the last xref."""
    trailer_out = b"<< /Size %d /Root %d %d R" % ((size,) + last.root)
    if last.info is not None:
        trailer_out += b" /Info %d %d R" % last.info
    id_match = _TRAILER_ID.search(last.trailer)
    if id_match:
        trailer_out += b" /ID " + id_match.group(1)
    trailer_out += b" /Prev %d >>" % last.startxref
    return trailer_out
