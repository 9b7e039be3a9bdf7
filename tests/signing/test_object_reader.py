"""The small object reader of the hand-written field update: what it reads means what pyHanko's
parser reads, what it does not know it refuses, and the update it leads to is the one pyHanko's
reading leads to, on the service's layout and on others."""

from __future__ import annotations

import hashlib
import random
from io import BytesIO

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields

from signing import field_layout
from signing import object_reader as objects
from signing.increment import FieldSpec, append_field
from signing.samples import result_pdf


def _parsed(data: bytes):
    return generic.read_object(BytesIO(data), generic.TrailerReference(None))


def _random_value(rng: random.Random, depth: int):
    kind = rng.choice(["int", "real", "name", "ref", "string", "bool", "null"]
                      + (["array", "dict"] if depth < 4 else []))
    if kind == "int":
        return generic.NumberObject(rng.randint(-10**6, 10**6))
    if kind == "real":
        return generic.FloatObject(round(rng.uniform(-1000, 1000), 3))
    if kind == "name":
        return generic.NameObject("/" + "".join(rng.choices("AbZ09.-_#(é", k=rng.randint(0, 6))))
    if kind == "ref":
        return generic.IndirectObject(rng.randint(1, 99), rng.randint(0, 2), None)
    if kind == "string":
        raw = bytes(rng.choices(b"ab()\\\r\n>/%<] \x00\xfe\xff", k=rng.randint(0, 12)))
        return generic.ByteStringObject(raw) if rng.random() < 0.5 else generic.TextStringObject(raw.decode("latin-1"))
    if kind == "bool":
        return generic.BooleanObject(rng.random() < 0.5)
    if kind == "null":
        return generic.NullObject()
    if kind == "array":
        return generic.ArrayObject([_random_value(rng, depth + 1) for _ in range(rng.randint(0, 4))])
    return _random_dict(rng, depth + 1)


def _random_dict(rng: random.Random, depth: int = 0) -> generic.DictionaryObject:
    return generic.DictionaryObject({generic.NameObject(f"/K{i}"): _random_value(rng, depth)
                                     for i in range(rng.randint(0, 6))})


def test_dictionaries_read_as_pyhanko_reads_them_or_not_at_all():
    rng = random.Random(3)
    read = refused = 0
    for _ in range(1500):
        original = _random_dict(rng)
        written = field_layout.serialise(original)
        try:
            entries = objects.dictionary(b" \n" + written + b"\r\n")
        except objects.Unreadable:
            refused += 1
            continue
        read += 1
        assert list(entries) == [key.encode() for key in original]  # in the order written
        for key, value in entries.items():  # each value's bytes mean what pyHanko reads there
            assert _parsed(value) == _parsed(field_layout.serialise(original.raw_get(key.decode()))), (written, key)
    assert read > 500 and refused > 50  # both happen: deep nesting and '#' names are refused


@pytest.mark.parametrize("data", [
    b"<< /A 1 % a comment\n>>",
    b"<< /A#20B 1 >>",                  # a name with an escape: compared as written, so refused
    b"<< /A (a (nested) string) >>",
    b"<< /A 1 /A 2 >>",
    b"<< /A << /B << /C << /D [ 1 ] >> >> >> >>",  # deeper than the reader goes
    b"<< /A 1 0 R0 >>",
    b"<< /A 1 ",
    b"<< /A [ 1 >>",
    b"<< /A {1} >>",
])
def test_unknown_shapes_are_refused(data):
    with pytest.raises(objects.Unreadable):
        objects.dictionary(data)


def test_values_are_kept_whole_and_strings_decoded():
    entries = objects.dictionary(b"<</Kids[3 0 R 10 0 R]/T(Sig2\\055Co\\(Q\\)uan)/S <feff00e9>"
                                 b"/R 1 0 R/N -.5/D<</X(>>)>>>>")
    assert objects.references(entries[b"/Kids"]) == [(3, 0), (10, 0)]
    assert objects.reference(entries[b"/R"]) == (1, 0)
    assert objects.text(entries[b"/T"]) == "Sig2-Co(Q)uan"
    assert objects.text(entries[b"/S"]) == "é"
    assert entries[b"/N"] == b"-.5" and entries[b"/D"] == b"<</X(>>)>>"
    for refused in (b"(caf\\351)", b"(a\\\nb)", b"(\\376\\377\\330)"):  # not ASCII, a continued line, bad UTF-16
        with pytest.raises(objects.Unreadable):
            objects.text(refused)


# --- the field update's reading, both ways ------------------------------------------------


def _with_field(pdf: bytes, name: str = "Sig1-CanBo") -> bytes:
    out = BytesIO(pdf)
    writer = IncrementalPdfFileWriter(out)
    fields.append_signature_field(writer, fields.SigFieldSpec(name, on_page=0, box=(10, 10, 100, 60)))
    writer.write_in_place()
    return out.getvalue()


def _update(pdf: bytes, change) -> bytes:
    out = BytesIO(pdf)
    writer = IncrementalPdfFileWriter(out)
    change(writer)
    writer.write_in_place()
    return out.getvalue()


def _indirect(holder_path: str):
    def change(writer):
        holder = writer.root["/AcroForm"] if holder_path == "/Fields" else writer.root["/Pages"]["/Kids"][0]
        holder[holder_path] = writer.add_object(generic.ArrayObject(holder[holder_path]))
        writer.update_container(holder)
    return change


def _nested_page_tree(writer):
    pages_ref = writer.root.raw_get("/Pages")
    middle = writer.add_object(generic.DictionaryObject({
        generic.NameObject("/Type"): generic.NameObject("/Pages"), generic.NameObject("/Parent"): pages_ref,
        generic.NameObject("/Kids"): generic.ArrayObject(pages_ref.get_object()["/Kids"]),
        generic.NameObject("/Count"): pages_ref.get_object()["/Count"]}))
    pages_ref.get_object()["/Kids"] = generic.ArrayObject([middle])
    writer.update_container(pages_ref.get_object())


def _escaped_name_in_page(writer):
    page = writer.root["/Pages"]["/Kids"][0]
    page["/Tabs"] = generic.NameObject("/An odd name")  # written /An#20odd#20name
    writer.update_container(page)


def _layouts(pdf: bytes, name: str):
    startxref = int(pdf[pdf.rindex(b"startxref") + 9:].split()[0])
    entries, trailer = field_layout._newest_entries(pdf, startxref)
    slow = field_layout._read_with_pyhanko(field_layout._ClassicFile(pdf, entries, trailer), name)
    try:
        return field_layout._read_directly(pdf, entries, trailer, name), slow
    except objects.Unreadable:
        return "unreadable", slow


@pytest.mark.parametrize("variant, change, direct", [
    ("as signed", None, True),
    ("indirect /Fields", _indirect("/Fields"), True),
    ("indirect /Annots", _indirect("/Annots"), True),
    ("page without /Annots", "no annots", True),
    ("nested page tree", _nested_page_tree, False),
    ("name with escapes", _escaped_name_in_page, False),
])
def test_the_update_is_the_one_pyhankos_reading_gives(variant, change, direct):
    if change == "no annots":  # the field's widget on page 0 of a two-page document, the update on page 0
        pdf = result_pdf(1, pages=2)
        pdf = _update(pdf, lambda w: fields.append_signature_field(
            w, fields.SigFieldSpec("Sig1-CanBo", on_page=1, box=(10, 10, 100, 60))))
    else:
        pdf = _with_field(result_pdf(1))
        pdf = _update(pdf, change) if change else pdf
    fast, slow = _layouts(pdf, "Sig2-CoQuan")
    assert slow is not None
    assert fast == slow if direct else fast == "unreadable"
    reserved = append_field(pdf, FieldSpec("Sig2-CoQuan", 64))
    reader = PdfFileReader(BytesIO(reserved.pdf))
    form = reader.root["/AcroForm"]
    names = [f.get_object()["/T"] for f in form["/Fields"]]
    assert names == ["Sig1-CanBo", "Sig2-CoQuan"] and form["/SigFlags"] == 3
    page_ref = reader.root["/Pages"]["/Kids"].raw_get(0)
    if page_ref.get_object()["/Type"] == "/Pages":
        page_ref = page_ref.get_object()["/Kids"].raw_get(0)
    new = form["/Fields"].raw_get(1)
    annots = page_ref.get_object()["/Annots"]
    assert annots.raw_get(len(annots) - 1).reference == new.reference
    assert new.get_object().raw_get("/P").reference == page_ref.reference
    start, end, length = reserved.reserved_start, reserved.reserved_end, len(reserved.pdf)
    assert list(new.get_object()["/V"]["/ByteRange"]) == [0, start, end, length - end]
    assert reserved.document_digest == hashlib.sha256(reserved.pdf[:start] + reserved.pdf[end:]).digest()


def _utf16(text: str) -> generic.TextStringObject:
    value = generic.TextStringObject(text)
    value.force_output_encoding = generic.TextStringEncoding.UTF16BE
    return value


@pytest.mark.parametrize("name", [generic.ByteStringObject(b"Sig2-CoQuan"), _utf16("Sig2-CoQuan"),
                                  generic.TextStringObject("Sig2-CoQuan")])
def test_a_field_of_that_name_however_written_is_left_to_pyhanko(name):
    def rename(writer):
        field = writer.root["/AcroForm"]["/Fields"][0]
        field["/T"] = name
        writer.update_container(field)

    pdf = _update(_with_field(result_pdf(1)), rename)
    assert field_layout.serialise(name) in pdf
    assert append_field(pdf, FieldSpec("Sig2-CoQuan", 64)) is None
    assert append_field(pdf, FieldSpec("Sig3", 64)) is not None
