"""Forged versions of signed documents: what an attacker appends to a signed PDF without
breaking any signature (pyHanko's incremental writer or plain byte edits)."""

from __future__ import annotations

import re
from io import BytesIO

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import pdf_name, pdf_string
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

FIELD_NAME = "SoHoSo"
"""The text field of :func:`with_text_field`."""


def _written(writer: IncrementalPdfFileWriter) -> bytes:
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def _appearance(writer, text: str) -> generic.IndirectObject:
    content = f"BT /Helv 12 Tf 2 6 Td ({text}) Tj ET".encode("latin-1")
    stream = generic.StreamObject(
        {
            pdf_name("/Type"): pdf_name("/XObject"),
            pdf_name("/Subtype"): pdf_name("/Form"),
            pdf_name("/BBox"): generic.ArrayObject(map(generic.NumberObject, (0, 0, 200, 20))),
        },
        stream_data=content,
    )
    return writer.add_object(stream)


def with_text_field(pdf: bytes, value: str) -> bytes:
    """``pdf`` with a filled text field (name :data:`FIELD_NAME`) on its first page (added
    to the document's form when it has one)."""
    writer = IncrementalPdfFileWriter(BytesIO(pdf), strict=False)
    page_ref = writer.root["/Pages"]["/Kids"][0]
    field = generic.DictionaryObject(
        {
            pdf_name("/FT"): pdf_name("/Tx"),
            pdf_name("/T"): pdf_string(FIELD_NAME),
            pdf_name("/V"): pdf_string(value),
            pdf_name("/Type"): pdf_name("/Annot"),
            pdf_name("/Subtype"): pdf_name("/Widget"),
            pdf_name("/Rect"): generic.ArrayObject(map(generic.NumberObject, (50, 700, 250, 720))),
            pdf_name("/P"): page_ref,
            pdf_name("/AP"): generic.DictionaryObject({pdf_name("/N"): _appearance(writer, value)}),
        }
    )
    field_ref = writer.add_object(field)
    page = page_ref.get_object()
    annots = page.get("/Annots")
    annots = annots.get_object() if isinstance(annots, generic.IndirectObject) else annots
    page[pdf_name("/Annots")] = generic.ArrayObject(list(annots or []) + [field_ref])
    writer.update_container(page)
    if "/AcroForm" in writer.root:  # a signed document: keep its signature fields
        acroform = writer.root["/AcroForm"]
        acroform[pdf_name("/Fields")] = generic.ArrayObject(list(acroform["/Fields"]) + [field_ref])
        writer.update_container(acroform)
    else:
        writer.root[pdf_name("/AcroForm")] = generic.DictionaryObject(
            {pdf_name("/Fields"): generic.ArrayObject([field_ref])}
        )
    writer.update_root()
    return _written(writer)


def with_field_refilled(signed: bytes, value: str) -> bytes:
    """The text field of a signed document given a new value and appearance (shadow 'replace')."""
    writer = IncrementalPdfFileWriter(BytesIO(signed), strict=False)
    for ref in writer.root["/AcroForm"]["/Fields"]:
        field = ref.get_object()
        if field.get("/T") == FIELD_NAME:
            field[pdf_name("/V")] = pdf_string(value)
            field[pdf_name("/AP")] = generic.DictionaryObject({pdf_name("/N"): _appearance(writer, value)})
            writer.update_container(field)
    return _written(writer)


def with_info_rewritten(signed: bytes, title: str = "Giấy phép giả", author: str = "Kẻ giả mạo") -> bytes:
    """The document information dictionary's /Title and /Author changed in a new revision."""
    writer = IncrementalPdfFileWriter(BytesIO(signed), strict=False)
    info = writer.trailer["/Info"]
    info[pdf_name("/Title")] = pdf_string(title)
    info[pdf_name("/Author")] = pdf_string(author)
    writer.update_container(info)
    return _written(writer)


XMP = (
    b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
    b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" '
    b'xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title><rdf:Alt><rdf:li xml:lang="x-default">Forged'
    b'</rdf:li></rdf:Alt></dc:title></rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
)


def with_xmp_added(signed: bytes) -> bytes:
    """An XMP metadata stream added to the catalogue in a new revision."""
    writer = IncrementalPdfFileWriter(BytesIO(signed), strict=False)
    stream = generic.StreamObject(
        {pdf_name("/Type"): pdf_name("/Metadata"), pdf_name("/Subtype"): pdf_name("/XML")}, stream_data=XMP
    )
    writer.root[pdf_name("/Metadata")] = writer.add_object(stream)
    writer.update_root()
    return _written(writer)


def with_objects_after_eof(signed: bytes, restate_end: bool = False) -> bytes:
    """A new content stream for an existing object number appended after the last %%EOF,
    with no cross-reference section: readers that rebuild the file take it. ``restate_end``:
    the last ``startxref`` and ``%%EOF`` are repeated after it, so the file still ends cleanly."""
    first_contents = re.search(rb"/Contents\s+(\d+)\s+(\d+)\s+R", signed)
    number, generation = int(first_contents.group(1)), int(first_contents.group(2))
    content = b"BT /F1 24 Tf 72 720 Td (FORGED) Tj ET"
    appended = b"\n%d %d obj\n<< /Length %d >>\nstream\n%s\nendstream\nendobj\n" % (
        number, generation, len(content), content
    )
    if restate_end:
        appended += b"startxref\n%s\n%%%%EOF\n" % re.findall(rb"startxref\s+(\d+)", signed)[-1]
    return signed + appended


def with_duplicate_contents(signed: bytes, field_index: int = 0, first: bool = False) -> bytes:
    """A new revision re-declaring a signature dictionary with a second /Contents key: after
    the original one, or (``first``) before it and long enough to be taken for the signature."""
    matches = list(re.finditer(rb"(\d+) (\d+) obj\s*<<(?:(?!endobj).){0,80000}?/ByteRange", signed, re.DOTALL))
    match = matches[field_index]
    start = match.start()
    end = signed.index(b"endobj", start) + len(b"endobj")
    original = signed[start:end]
    duplicate = b"/Contents <" + b"00" * (700 if first else 64) + b"> "
    if first:
        head = original.index(b"<<") + 2
        redeclared = original[:head] + duplicate + original[head:]
    else:
        tail = original.rindex(b">>")
        redeclared = original[:tail] + duplicate + original[tail:]
    offset = len(signed) + 1
    startxref = re.findall(rb"startxref\s+(\d+)", signed)[-1]
    root = re.findall(rb"/Root\s+(\d+ \d+ R)", signed)[-1]
    size = max(int(s) for s in re.findall(rb"/Size\s+(\d+)", signed))
    xref_at = offset + len(redeclared) + 1
    body = b"\n" + redeclared + b"\n"
    xref = b"xref\n%d 1\n%010d %05d n \n" % (int(match.group(1)), offset, int(match.group(2)))
    trailer = b"trailer\n<< /Size %d /Root %s /Prev %s >>\nstartxref\n%d\n%%%%EOF\n" % (size, root, startxref, xref_at)
    return signed + body + xref + trailer
