"""An invisible signature or document-timestamp field with its reserved ``/Contents``, appended
as one incremental update written by hand.

Why by hand: pyHanko's ``PdfSigner`` and ``PdfTimeStamper`` open the file with an
``IncrementalPdfFileWriter`` (which re-reads the cross-reference sections and object streams),
resolve the signature field through its form-filling logic and serialise every touched object
through its generic writer, for every document: with the DSS and the document timestamp that
is most of the seal's cost, once per signature of a Decree 30 result. The update itself is
small and always the same shape, and the one pyHanko writes was copied object for object:

- a field merged with its widget (``/FT /Sig``, ``/Rect [0 0 0 0]``, ``/F 132``, ``/P`` the
  first page) whose ``/V`` is a new signature dictionary with ``/Contents`` reserved and a
  ``/ByteRange`` filled in once the update's length is known;
- the form's ``/Fields`` and the first page's ``/Annots`` with the field added;
- a classic cross-reference section and a trailer whose ``/Prev`` is the previous section.

The objects the update rewrites are read as :mod:`signing.field_layout` describes and written
as pyHanko writes them, their other values as they were. Only the layout a signed file of this
service has is handled: a classic xref table, unencrypted, a form that exists already (the
document is signed once) and no field of that name; anything else returns ``None`` and the
caller goes through pyHanko. pyHanko also
rewrites the document information dictionary (and XMP metadata) with a new modification date;
this update leaves them as they are: they describe the document, no validator reads them, and
reading and rewriting them was a third of the update's cost.
"""

from __future__ import annotations

import codecs
import hashlib
import os
from dataclasses import dataclass
from datetime import datetime, timezone

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.misc import PdfError

from .field_layout import Layout, Reference, read_layout, serialise

_ESCAPED = tuple(bytes([b]) if bytes([b]).isalnum() or b == 0x20 else b"\\%03o" % b for b in range(256))
"""Each byte as :func:`_text` writes it."""
_BYTE_RANGE_WIDTH = 48
"""Room for ``[0 a b c]`` with three ten-digit numbers, padded with spaces."""


@dataclass(frozen=True)
class ReservedField:
    """A file with a new, still empty signature field, and where its ``/Contents`` goes."""

    pdf: bytes
    """The file with the update appended."""
    reserved_start: int
    """Offset of ``<`` of the reserved ``/Contents``."""
    reserved_end: int
    """Offset just after its ``>``."""
    document_digest: bytes
    """Digest of the ``/ByteRange`` (everything but the reserved hex string)."""


@dataclass(frozen=True)
class FieldSpec:
    """What the new field and its signature dictionary say."""

    name: str
    """Field name (``/T``)."""
    hex_chars: int
    """Size of the reserved ``/Contents`` in hex characters."""
    document_timestamp: bool = False
    """``/DocTimeStamp`` with RFC 3161 content instead of a CAdES signature."""
    reason: str | None = None
    """``/Reason`` of a signature."""
    location: str | None = None
    """``/Location`` of a signature."""


class _Update:
    """The objects of one incremental update, numbered from the previous ``/Size``."""

    def __init__(self, pdf: bytes, size: int):
        self.out = bytearray(pdf)
        if not self.out.endswith(b"\n"):
            self.out += b"\n"
        self.next_number = size
        self.offsets: list[tuple[int, int, int]] = []

    def reserve_number(self) -> int:
        number, self.next_number = self.next_number, self.next_number + 1
        return number

    def write(self, number: int, generation: int, body: bytes) -> int:
        """Write the object; the offset of its body."""
        self.offsets.append((number, generation, len(self.out)))
        self.out += b"%d %d obj\n" % (number, generation)
        at = len(self.out)
        self.out += body + b"\nendobj\n"
        return at

    def finish(self, trailer: bytes) -> None:
        xref_at = len(self.out)
        self.out += b"xref\n"
        run: list[tuple[int, int, int]] = []
        for entry in sorted(self.offsets) + [(-1, 0, 0)]:  # the sentinel flushes the last run
            if run and entry[0] != run[-1][0] + 1:
                self.out += b"%d %d\n" % (run[0][0], len(run))
                for _, gen, off in run:
                    self.out += b"%010d %05d n\r\n" % (off, gen)
                run = []
            run.append(entry)
        self.out += b"trailer\n" + trailer + b"\nstartxref\n%d\n%%%%EOF\n" % xref_at


def append_field(pdf: bytes, spec: FieldSpec, digest_algorithm: str = "sha256",
                 now: datetime | None = None) -> ReservedField | None:
    """``pdf`` with an update adding the empty field of ``spec``, or ``None`` when its layout is
    not the one handled here (the caller then uses pyHanko)."""
    try:
        startxref = int(pdf[pdf.rindex(b"startxref") + 9:].split()[0])
        if pdf[startxref:startxref + 4] != b"xref":
            return None
        if b"/Encrypt" in pdf[startxref:] or b"/XRefStm" in pdf[startxref:]:
            return None
        layout = read_layout(pdf, startxref, spec.name)
        if layout is None:
            return None
        return _write(pdf, startxref, layout, spec, digest_algorithm, now or datetime.now(timezone.utc))
    except (PdfError, ValueError, KeyError, IndexError, TypeError, AttributeError):
        return None


def _write(pdf: bytes, startxref: int, layout: Layout, spec: FieldSpec, digest_algorithm: str,
           now: datetime) -> ReservedField:
    update = _Update(pdf, layout.size)
    field_number, sig_number = update.reserve_number(), update.reserve_number()
    for (number, generation), body in layout.rewritten:
        update.write(number, generation, body)
    update.write(field_number, 0, _field_dict(spec, layout.page, sig_number))
    sig_at = update.write(sig_number, 0, _signature_dict(spec, now))
    contents_start = sig_at + update.out[sig_at:].index(b"<", 3)
    contents_end = contents_start + spec.hex_chars + 2
    update.finish(_trailer(layout, update.next_number, startxref))
    out = update.out
    _fill_byte_range(out, contents_start, contents_end)
    digest = hashlib.new(digest_algorithm)
    view = memoryview(out)
    digest.update(view[:contents_start])
    digest.update(view[contents_end:])
    return ReservedField(bytes(out), contents_start, contents_end, digest.digest())


def _field_dict(spec: FieldSpec, page: Reference, sig_number: int) -> bytes:
    """A field merged with its widget, as pyHanko writes it: print + locked (``/F 132``)."""
    tooltip = b"/TU (Timestamp)\n" if spec.document_timestamp else b""
    return (b"<<\n/FT /Sig\n/T %s\n/Type /Annot\n/Subtype /Widget\n/F 132\n/Rect [ 0 0 0 0 ]\n"
            b"/P %d %d R\n%s/V %d 0 R\n>>" % (_text(spec.name), page[0], page[1], tooltip, sig_number))


def _signature_dict(spec: FieldSpec, now: datetime) -> bytes:
    """``/Contents`` first (all zeros), ``/ByteRange`` as spaces to fill in, then the rest as
    pyHanko writes it."""
    if spec.document_timestamp:
        rest = b"/Type /DocTimeStamp\n/Filter /Adobe.PPKLite\n/SubFilter /ETSI.RFC3161\n"
    else:
        rest = (b"/Type /Sig\n/Filter /Adobe.PPKLite\n/SubFilter /ETSI.CAdES.detached\n/M %s\n"
                % serialise(generic.pdf_date(now)))
        if spec.reason:
            rest += b"/Reason %s\n" % _text(spec.reason)
        if spec.location:
            rest += b"/Location %s\n" % _text(spec.location)
    return (b"<<\n/Contents <" + b"0" * spec.hex_chars + b">\n/ByteRange "
            + b" " * _BYTE_RANGE_WIDTH + b"\n" + rest + b">>")


def _text(value: str) -> bytes:
    """A text string as pyHanko's ``TextStringObject`` writes it: PDFDocEncoding where it can,
    else UTF-16BE with a byte order mark, every byte but letters, digits and spaces as an octal
    escape. By hand (the escaping only) because pyHanko writes it a byte at a time, which for
    the Vietnamese ``/Reason`` cost more than the rest of the signature dictionary."""
    try:
        encoded = generic.encode_pdfdocencoding(value)
    except UnicodeEncodeError:
        encoded = codecs.BOM_UTF16_BE + value.encode("utf-16-be")
    return b"(" + b"".join([_ESCAPED[byte] for byte in encoded]) + b")"


def _fill_byte_range(out: bytearray, start: int, end: int) -> None:
    at = out.index(b"/ByteRange ", end) + len(b"/ByteRange ")
    value = b"[0 %d %d %d]" % (start, end, len(out) - end)
    out[at:at + _BYTE_RANGE_WIDTH] = value.ljust(_BYTE_RANGE_WIDTH)


def _trailer(layout: Layout, size: int, startxref: int) -> bytes:
    """New size, same catalog and /Info, the first /ID kept and the second one new, /Prev."""
    out = b"<<\n/Size %d\n/Root %d %d R\n" % (size, *layout.root)
    if layout.info is not None:
        out += b"/Info %d %d R\n" % layout.info
    if layout.first_id is not None:
        out += b"/ID [ <%s> <%s> ]\n" % (layout.first_id.hex().encode(), os.urandom(16).hex().encode())
    return out + b"/Prev %d\n>>" % startxref


def fill_contents(pdf: bytes, field: ReservedField, der: bytes) -> bytes:
    """The reserved ``/Contents`` of ``field`` filled with ``der`` (hex, zero-padded)."""
    hex_value = der.hex().encode()
    room = field.reserved_end - field.reserved_start - 2
    if len(hex_value) > room:
        raise ValueError(f"{len(der)} bytes do not fit in the {room // 2} reserved")
    out = bytearray(pdf)
    out[field.reserved_start + 1:field.reserved_start + 1 + len(hex_value)] = hex_value
    return bytes(out)
