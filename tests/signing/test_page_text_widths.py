"""The glyph widths of a page's composite fonts, read from the font's bytes in the file (fast), are those
pyHanko's object parser reads: for the service's own documents, for every signed PDF of the DSS corpus
(other producers), and for the ranged form of the width array."""
from __future__ import annotations

import re
from io import BytesIO

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader

from signing.page_text import _written_widths, parsed_widths
from tests.corpus import DSS_PADES
from wallet_service.dev.demo import result_pdf


def _descendants(pdf: bytes):
    reader = PdfFileReader(BytesIO(pdf), strict=False)
    for index in range(int(reader.root["/Pages"]["/Count"])):
        page = reader.find_page_for_modification(index)[0].get_object()
        resources = page["/Resources"] if "/Resources" in page else generic.DictionaryObject()
        fonts = resources["/Font"] if "/Font" in resources else generic.DictionaryObject()
        for name in fonts:
            font = fonts[name]
            if font.get("/Subtype") == "/Type0":
                yield f"page {index} {name}", font["/DescendantFonts"].raw_get(0)


def _compare(pdf: bytes) -> int:
    read = 0
    for where, descendant in _descendants(pdf):
        written = _written_widths(descendant.reference) if isinstance(descendant, generic.IndirectObject) else None
        if written is not None:
            assert written == parsed_widths(descendant.get_object()), where
            read += 1
    return read


def test_the_service_documents_widths_are_read_from_their_bytes():
    pdf = result_pdf("Ủy ban nhân dân phường Hạ Long", "Giấy chứng nhận", "Lê Thị Hoa", "000.00.15.H40-251201-0001",
                     ("Tên hộ kinh doanh: Hộ kinh doanh số 1",))
    assert _compare(pdf) >= 2  # both fonts (regular and bold) read the fast way


@pytest.mark.skipif(not DSS_PADES.is_dir(), reason="the DSS corpus is not beside the checkout")
def test_other_producers_widths_read_from_bytes_are_the_parsed_ones():
    compared = 0
    for path in sorted(DSS_PADES.rglob("*.pdf")):
        try:
            compared += _compare(path.read_bytes())
        except (generic.PdfError, KeyError, ValueError, IndexError):
            continue  # a damaged file of the corpus: nothing to compare
    assert compared >= 5  # the corpus's fonts were read the fast way, not all left to pyHanko


def test_the_ranged_form_of_the_width_array_is_read_too():
    pdf = result_pdf("Ủy ban nhân dân phường Hạ Long", "Giấy chứng nhận", "Lê Thị Hoa", "000.00.15.H40-251201-0002",
                     ("Tên hộ kinh doanh: Hộ kinh doanh số 2",))
    found = re.search(rb"/W \[.*?\]\s*\]", pdf, re.S)
    ranged = b"/W [ 0 3 500 4 [ 250 260.5 ] 7 9 -1 ]"
    pdf = pdf[:found.start()] + ranged.ljust(found.end() - found.start()) + pdf[found.end():]  # offsets kept
    assert _compare(pdf) >= 1
    (where, descendant), *_ = _descendants(pdf)
    assert _written_widths(descendant.reference) == (
        {0: 500.0, 1: 500.0, 2: 500.0, 3: 500.0, 4: 250.0, 5: 260.5, 7: -1.0, 8: -1.0, 9: -1.0}, 600.0)


def test_a_malformed_width_array_is_left_to_pyhanko():
    pdf = result_pdf("Ủy ban nhân dân phường Hạ Long", "Giấy chứng nhận", "Lê Thị Hoa", "000.00.15.H40-251201-0003",
                     ("Tên hộ kinh doanh: Hộ kinh doanh số 3",))
    found = re.search(rb"/W \[.*?\]\s*\]", pdf, re.S)
    for broken in (b"/W [ 0 3 ]", b"/W [ 0 [ 500 [ 1 ] ] ]", b"/W [ 0 /X ]"):
        changed = pdf[:found.start()] + broken.ljust(found.end() - found.start()) + pdf[found.end():]
        (_, descendant), *_ = _descendants(changed)
        assert _written_widths(descendant.reference) is None, broken
