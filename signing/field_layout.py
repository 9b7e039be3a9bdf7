"""What the hand-written field update (:mod:`signing.increment`) needs from the file: the
trailer, the catalog, the form and its fields, the first page, with the new field added to the
form's ``/Fields`` and the page's ``/Annots``.

Read with :mod:`signing.object_reader` where the objects are of the shapes it knows (the files
this service signs), else with pyHanko's object parser, which reads any of them but costs
several times as much.
"""

from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.rw_common import PdfHandler
from pyhanko.pdf_utils.xref import read_object_header

from . import object_reader as objects
from .dss import xref_sections
from .object_reader import Reference, Unreadable


def serialise(obj, container: generic.Reference | None = None) -> bytes:
    out = BytesIO()
    obj.write_to_stream(out, None, container)
    return out.getvalue()


@dataclass(frozen=True)
class Layout:
    """What the update needs from the file, with the new field (number ``size``) already added
    to the form's ``/Fields`` and the first page's ``/Annots``."""

    size: int
    root: Reference
    info: Reference | None
    first_id: bytes | None
    """The first ``/ID`` of the trailer, kept by the update."""
    page: Reference
    rewritten: tuple[tuple[Reference, bytes], ...]
    """The objects holding ``/Fields``, ``/Annots`` and ``/SigFlags`` as the update writes them,
    in the order of their numbers."""


def read_layout(pdf: bytes, startxref: int, name: str) -> Layout | None:
    """The layout of the file whose last xref section is at ``startxref``, for a new field
    ``name``; ``None`` when it is not one the update handles (no form yet, a field of that name).
    The caller has made sure the file is unencrypted and its newest section a classic table
    without ``/XRefStm``."""
    entries, trailer = _newest_entries(pdf, startxref)
    try:
        return _read_directly(pdf, entries, trailer, name)
    except Unreadable:
        return _read_with_pyhanko(_ClassicFile(pdf, entries, trailer), name)


def _newest_entries(pdf: bytes, startxref: int):
    """Each object's newest xref entry (offset, generation, kind), and the newest trailer."""
    entries: dict[int, tuple[int, int, bytes]] = {}
    newest = None
    for section, trailer in xref_sections(pdf, startxref):  # newest first: its entries win
        for number, entry in section.items():
            entries.setdefault(number, entry)
        newest = trailer if newest is None else newest
    return entries, newest


def _read_directly(pdf: bytes, entries, trailer_bytes: bytes, name: str) -> Layout | None:
    """The layout read with :mod:`signing.object_reader`; raises ``Unreadable`` where it cannot
    tell, ``None`` where the file is definitely not of the handled layout."""
    def read(ref: Reference) -> dict[bytes, bytes]:
        return objects.read_object_dictionary(pdf, _offset(entries, ref), ref)

    trailer = objects.dictionary(trailer_bytes)
    size, root_ref = objects.integer(trailer.get(b"/Size")), objects.reference(trailer.get(b"/Root"))
    info = objects.reference(trailer[b"/Info"]) if b"/Info" in trailer else None
    ids = objects.strings(trailer[b"/ID"]) if b"/ID" in trailer else None
    if ids is not None and len(ids) != 2:
        raise Unreadable("an /ID that is not two strings")
    root = read(root_ref)
    if b"/AcroForm" not in root:
        return None
    form_ref, field = objects.reference(root[b"/AcroForm"]), (size, 0)
    form = read(form_ref)
    if b"/Fields" not in form:
        return None
    rewritten: dict[Reference, bytes] = {}
    fields = _add_to_array(pdf, entries, form, b"/Fields", field, rewritten)
    for ref in fields[:-1]:
        existing = read(ref).get(b"/T")
        if existing is not None and objects.text(existing) == name:
            return None
    form[b"/SigFlags"] = b"3"
    _rewrite(rewritten, form_ref, _dictionary(form))
    page_ref = _first_page(read(objects.reference(root.get(b"/Pages"))))
    page = read(page_ref)
    if page.get(b"/Type") != b"/Page":
        raise Unreadable("the first kid of the page tree is not a page")
    if b"/Annots" not in page:
        page[b"/Annots"] = b"[ ]"
    _add_to_array(pdf, entries, page, b"/Annots", field, rewritten)
    if page[b"/Annots"].startswith(b"["):  # inline: the page is rewritten with it
        _rewrite(rewritten, page_ref, _dictionary(page))
    first_id = objects.string_bytes(ids[0]) if ids else None
    return Layout(size, root_ref, info, first_id, page_ref, tuple(sorted(rewritten.items())))


def _offset(entries, ref: Reference) -> int:
    offset, generation, kind = entries.get(ref[0], (0, 0, b"f"))
    if kind != b"n" or generation != ref[1]:
        raise Unreadable(f"object {ref} is not in use")
    return offset


def _first_page(pages: dict[bytes, bytes]) -> Reference:
    """The first kid of the page tree's root: the first page, when the tree is flat."""
    if pages.get(b"/Type") != b"/Pages" or objects.integer(pages.get(b"/Count")) < 1:
        raise Unreadable("not a page tree with pages")
    kids = objects.references(pages.get(b"/Kids", b""))
    if not kids:
        raise Unreadable("a page tree without kids")
    return kids[0]


def _add_to_array(pdf: bytes, entries, holder: dict[bytes, bytes], key: bytes, field: Reference,
                  rewritten: dict[Reference, bytes]) -> list[Reference]:
    """``field`` added to the array of references ``holder[key]``: in ``holder`` when inline,
    to ``rewritten`` when indirect. The array's references, ``field`` last."""
    value = holder[key]
    if value.startswith(b"["):
        refs = objects.references(value) + [field]
        holder[key] = _array(refs)
        return refs
    ref = objects.reference(value)
    refs = objects.read_object_references(pdf, _offset(entries, ref), ref) + [field]
    _rewrite(rewritten, ref, _array(refs))
    return refs


def _rewrite(rewritten: dict[Reference, bytes], ref: Reference, body: bytes) -> None:
    if ref in rewritten:  # e.g. one array as both /Fields and /Annots: pyHanko's reading decides
        raise Unreadable(f"object {ref} would be rewritten twice")
    rewritten[ref] = body


def _dictionary(entries: dict[bytes, bytes]) -> bytes:
    """As pyHanko writes a dictionary, the values as read."""
    return b"<<\n" + b"".join(key + b" " + value + b"\n" for key, value in entries.items()) + b">>"


def _array(refs: list[Reference]) -> bytes:
    """As pyHanko writes an array of references."""
    return b"[" + b"".join(b" %d %d R" % ref for ref in refs) + b" ]"


class _ClassicFile(PdfHandler):
    """Just enough of a reader for the update where :func:`_read_directly` cannot tell: the
    objects needed parsed by pyHanko's object parser on demand. ``PdfFileReader`` parses every
    section and trailer of the file first, which cost as much as the rest of the update."""

    def __init__(self, pdf: bytes, entries, trailer: bytes):
        self._stream = BytesIO(pdf)
        self._entries = entries
        self._cache: dict[tuple[int, int], generic.PdfObject] = {}
        self._trailer = generic.read_object(BytesIO(trailer.strip()), generic.TrailerReference(self))
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


def _read_with_pyhanko(reader: _ClassicFile, name: str) -> Layout | None:
    trailer = reader.trailer_view
    root_ref = trailer.raw_get("/Root").reference
    root = reader.root
    if "/AcroForm" not in root:
        return None
    form, form_ref = _container(root, "/AcroForm")
    form_ref = form_ref or root_ref
    fields, fields_ref = _container(form, "/Fields")
    if fields_ref is None:
        fields_ref = form_ref
    if any(f.get_object().get("/T") == name for f in fields):
        return None
    page_ref = reader.find_page_for_modification(0)[0]
    page = page_ref.get_object()
    if "/Annots" in page:
        annots, annots_ref = _container(page, "/Annots")
    else:
        annots, annots_ref = generic.ArrayObject(), None
        page["/Annots"] = annots
    annots_ref = annots_ref or page_ref.reference

    size = int(trailer["/Size"])
    field_value = generic.IndirectObject(size, 0, reader)
    fields.append(field_value)
    annots.append(field_value)
    form["/SigFlags"] = generic.NumberObject(3)
    info_raw = trailer.raw_get("/Info") if "/Info" in trailer else None
    rewritten = {}  # the same object may hold several of these (e.g. /Fields inline in the form)
    for ref in (form_ref, fields_ref, annots_ref):
        rewritten[(ref.idnum, ref.generation)] = serialise(ref.get_object(), ref)
    info = (info_raw.idnum, info_raw.generation) if isinstance(info_raw, generic.IndirectObject) else None
    first_id = bytes(trailer["/ID"][0].original_bytes) if "/ID" in trailer else None
    return Layout(size, (root_ref.idnum, root_ref.generation), info, first_id,
                   (page_ref.idnum, page_ref.generation), tuple(sorted(rewritten.items())))
