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

The objects the update rewrites are read with pyHanko's own object parser and re-serialised by
pyHanko, so what it carries is what pyHanko would write. Only the layout a
signed file of this service has is handled: a classic xref table, unencrypted,
a form that exists already (the document is signed once) and no field of that
name; anything else returns ``None`` and the caller goes through pyHanko. pyHanko also
rewrites the document information dictionary (and XMP metadata) with a new modification date;
this update leaves them as they are: they describe the document, no validator reads them, and
reading and rewriting them was a third of the update's cost.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from io import BytesIO

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.rw_common import PdfHandler
from pyhanko.pdf_utils.xref import read_object_header

from .dss import xref_sections

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


def _serialise(obj, container: generic.Reference | None = None) -> bytes:
    out = BytesIO()
    obj.write_to_stream(out, None, container)
    return out.getvalue()


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


class _ClassicFile(PdfHandler):
    """Just enough of a reader for the update: the classic xref sections split as text, the few
    objects needed parsed by pyHanko's object parser on demand. ``PdfFileReader`` parses every
    section and trailer of the file first, which cost as much as the rest of the update."""

    def __init__(self, pdf: bytes, startxref: int):
        self._stream = BytesIO(pdf)
        self._entries: dict[int, tuple[int, int, bytes]] = {}
        self._cache: dict[tuple[int, int], generic.PdfObject] = {}
        newest = None
        for entries, trailer in xref_sections(pdf, startxref):  # newest first: its entries win
            for number, entry in entries.items():
                self._entries.setdefault(number, entry)
            newest = trailer if newest is None else newest
        stream = BytesIO(newest.strip())
        self._trailer = generic.read_object(stream, generic.TrailerReference(self))
        if not isinstance(self._trailer, generic.DictionaryObject):
            raise ValueError("the trailer is not a dictionary")

    @property
    def trailer_view(self) -> generic.DictionaryObject:
        return self._trailer

    @property
    def root_ref(self) -> generic.Reference:
        return self._trailer.raw_get("/Root").reference

    def get_object(self, ref, as_metadata_stream: bool = False):
        key = (ref.idnum, ref.generation)
        if key not in self._cache:
            offset, generation, kind = self._entries.get(ref.idnum, (0, 0, b"f"))
            if kind != b"n" or generation != ref.generation:
                raise ValueError(f"object {ref.idnum} {ref.generation} is not in use")
            self._stream.seek(offset)
            if read_object_header(self._stream, strict=True) != key:
                raise ValueError(f"object {ref.idnum} {ref.generation} is not where the xref says")
            self._cache[key] = generic.read_object(self._stream, generic.Reference(*key, self))
        return self._cache[key]


def _container(parent, key: str):
    """(object to rewrite, its reference or None, the value) for ``parent[key]``, following
    one indirection: an indirect value is rewritten itself, an inline one with its parent."""
    raw = parent.raw_get(key)
    if isinstance(raw, generic.IndirectObject):
        return raw.get_object(), raw.reference
    return raw, None


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
        return _append(_ClassicFile(pdf, startxref), pdf, startxref, spec, digest_algorithm,
                       now or datetime.now(timezone.utc))
    except (PdfError, ValueError, KeyError, IndexError, TypeError, AttributeError):
        return None


def _append(reader: _ClassicFile, pdf: bytes, startxref: int, spec: FieldSpec,
            digest_algorithm: str, now: datetime) -> ReservedField | None:
    trailer = reader.trailer_view
    if "/XRefStm" in trailer or "/Encrypt" in trailer:
        return None
    root_ref = trailer.raw_get("/Root").reference
    root = reader.root
    if "/AcroForm" not in root:
        return None
    form, form_ref = _container(root, "/AcroForm")
    form_ref = form_ref or root_ref
    fields, fields_ref = _container(form, "/Fields")
    if fields_ref is None:
        fields_ref = form_ref
    if _may_name_a_field(pdf, spec.name) and any(f.get_object().get("/T") == spec.name for f in fields):
        return None
    page_ref = reader.find_page_for_modification(0)[0]
    page = page_ref.get_object()
    if "/Annots" in page:
        annots, annots_ref = _container(page, "/Annots")
    else:
        annots, annots_ref = generic.ArrayObject(), None
        page["/Annots"] = annots
    annots_ref = annots_ref or page_ref.reference

    update = _Update(pdf, int(trailer["/Size"]))
    field_number, sig_number = update.reserve_number(), update.reserve_number()
    field_value = generic.IndirectObject(field_number, 0, reader)
    fields.append(field_value)
    annots.append(field_value)
    form["/SigFlags"] = generic.NumberObject(3)
    info_raw = trailer.raw_get("/Info") if "/Info" in trailer else None

    rewritten = {}  # the same object may hold several of these (e.g. /Fields inline in the form)
    for ref in (form_ref, fields_ref, annots_ref):
        rewritten[(ref.idnum, ref.generation)] = ref
    for (number, generation), ref in sorted(rewritten.items()):
        update.write(number, generation, _serialise(ref.get_object(), ref))
    update.write(field_number, 0, _serialise(_field_dict(spec, page_ref, sig_number, reader)))
    sig_at = update.write(sig_number, 0, _signature_dict(spec, now))
    contents_start = sig_at + update.out[sig_at:].index(b"<", 3)
    contents_end = contents_start + spec.hex_chars + 2
    update.finish(_trailer(trailer, update.next_number, root_ref, info_raw, startxref))
    out = update.out
    _fill_byte_range(out, sig_at, contents_start, contents_end)
    digest = hashlib.new(digest_algorithm)
    view = memoryview(out)
    digest.update(view[:contents_start])
    digest.update(view[contents_end:])
    return ReservedField(bytes(out), contents_start, contents_end, digest.digest())


def _may_name_a_field(pdf: bytes, name: str) -> bool:
    """Whether ``name`` appears in the file as a literal (plain or as pyHanko escapes it) or a hex
    string: reading every field to compare names costs more than the rest of the update."""
    raw = name.encode("utf-8")
    escaped = _serialise(generic.TextStringObject(name))
    return any(form in pdf for form in (raw, escaped, raw.hex().encode(), raw.hex().upper().encode()))


def _field_dict(spec: FieldSpec, page_ref, sig_number: int, reader) -> generic.DictionaryObject:
    entries = {
        "/FT": generic.NameObject("/Sig"),
        "/T": generic.TextStringObject(spec.name),
        "/Type": generic.NameObject("/Annot"),
        "/Subtype": generic.NameObject("/Widget"),
        "/F": generic.NumberObject(132),  # print + locked
        "/Rect": generic.ArrayObject([generic.NumberObject(0)] * 4),
        "/P": page_ref,
    }
    if spec.document_timestamp:
        entries["/TU"] = generic.TextStringObject("Timestamp")
    entries["/V"] = generic.IndirectObject(sig_number, 0, reader)
    return generic.DictionaryObject({generic.NameObject(k): v for k, v in entries.items()})


def _signature_dict(spec: FieldSpec, now: datetime) -> bytes:
    """``/Contents`` first (all zeros), ``/ByteRange`` as spaces to fill in, then the rest."""
    rest = generic.DictionaryObject()
    if spec.document_timestamp:
        rest["/Type"] = generic.NameObject("/DocTimeStamp")
        rest["/Filter"] = generic.NameObject("/Adobe.PPKLite")
        rest["/SubFilter"] = generic.NameObject("/ETSI.RFC3161")
    else:
        rest["/Type"] = generic.NameObject("/Sig")
        rest["/Filter"] = generic.NameObject("/Adobe.PPKLite")
        rest["/SubFilter"] = generic.NameObject("/ETSI.CAdES.detached")
        rest["/M"] = generic.pdf_date(now)
        if spec.reason:
            rest["/Reason"] = generic.TextStringObject(spec.reason)
        if spec.location:
            rest["/Location"] = generic.TextStringObject(spec.location)
    tail = _serialise(rest)
    assert tail.startswith(b"<<\n")
    return (b"<<\n/Contents <" + b"0" * spec.hex_chars + b">\n/ByteRange "
            + b" " * _BYTE_RANGE_WIDTH + b"\n" + tail[3:])


def _fill_byte_range(out: bytearray, sig_at: int, start: int, end: int) -> None:
    at = out.index(b"/ByteRange ", end) + len(b"/ByteRange ")
    value = b"[0 %d %d %d]" % (start, end, len(out) - end)
    out[at:at + _BYTE_RANGE_WIDTH] = value.ljust(_BYTE_RANGE_WIDTH)


def _trailer(trailer, size: int, root_ref, info_raw, startxref: int) -> bytes:
    """New size, same catalog and /Info, the first /ID kept and the second one new, /Prev."""
    out = b"<<\n/Size %d\n/Root %d %d R\n" % (size, root_ref.idnum, root_ref.generation)
    if isinstance(info_raw, generic.IndirectObject):
        out += b"/Info %d %d R\n" % (info_raw.idnum, info_raw.generation)
    if "/ID" in trailer:
        first = bytes(trailer["/ID"][0].original_bytes)
        out += b"/ID [ <%s> <%s> ]\n" % (first.hex().encode(), os.urandom(16).hex().encode())
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
