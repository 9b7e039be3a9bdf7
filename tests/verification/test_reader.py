"""The verifier's reader decodes signature /Contents in one step; it must read exactly
what pyHanko's own reader reads, on every signed file we have."""

from __future__ import annotations

from io import BytesIO

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import enumerate_sig_fields

from verification.reader import LenientReader
from tests.corpus import DSS_PADES

CORPUS = DSS_PADES
READABLE = [
    "PAdES-LT.pdf",
    "Signature-P-SK-6.pdf",
    "dss-1188__Test.pdf",
    "hello_signed_INCSAVE_signed_EDITED.pdf",
    "pades-spoofing-replaced-reason.pdf",
    "pdf-byterange-overlap.pdf",
    "pkcs7.pdf",
]


def _signature_dictionaries(reader):
    return {
        name: dict(sig_obj.get_object().items())
        for name, sig_obj, _ in enumerate_sig_fields(reader, filled_status=True)
    }


@pytest.mark.parametrize("name", READABLE)
def test_signature_dictionaries_read_identically(name):
    data = (CORPUS / name).read_bytes()
    ours = _signature_dictionaries(LenientReader(BytesIO(data), strict=False))
    theirs = _signature_dictionaries(PdfFileReader(BytesIO(data), strict=False))
    assert ours.keys() == theirs.keys() and ours
    for field, expected in theirs.items():
        assert ours[field].keys() == expected.keys()
        assert ours[field]["/Contents"].original_bytes == expected["/Contents"].original_bytes
        assert ours[field]["/ByteRange"] == expected["/ByteRange"]


def test_dev_pki_document_reads_identically(signed_document):
    ours = _signature_dictionaries(LenientReader(BytesIO(signed_document), strict=False))
    theirs = _signature_dictionaries(PdfFileReader(BytesIO(signed_document), strict=False))
    assert len(ours) == 3
    for field, expected in theirs.items():
        assert ours[field]["/Contents"].original_bytes == expected["/Contents"].original_bytes
