"""What workers parse once instead of again must read what pyHanko reads: the DSS of every
corpus file (many hostile) as pyHanko's own reader gives it, and a CMS object's certificates
with the same answer every time, failures included."""

from __future__ import annotations

import pytest
from io import BytesIO

from asn1crypto import cms
from pyhanko.pdf_utils import generic, misc
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign.validation import errors as pyhanko_errors
from pyhanko.sign.validation import generic_cms
from pyhanko.sign.validation.dss import DocumentSecurityStore

from tests.corpus import DSS_PADES
from verification import VerificationPolicy, errors
from verification.caches import WorkerCaches
from verification.document import Document
from verification.reader import open_pdf
from verification.signed_data_certs import memoise_signed_data_certs

CORPUS_FILES = sorted(p for p in DSS_PADES.glob("*.pdf"))


def _pyhanko_dss(reader) -> tuple[list[bytes], list[bytes], list[bytes]]:
    try:
        dss = DocumentSecurityStore.read_dss(reader)
        return (
            [ref.get_object().data for ref in dss.certs.values()],
            [ref.get_object().data for ref in dss.ocsps],
            [ref.get_object().data for ref in dss.crls],
        )
    except (KeyError, ValueError, TypeError, misc.PdfError):
        return [], [], []


@pytest.mark.parametrize("path", CORPUS_FILES, ids=[p.name for p in CORPUS_FILES])
def test_the_dss_is_read_as_pyhanko_reads_it(path):
    data = path.read_bytes()
    try:
        reader = open_pdf(data)
    except errors.VerificationError:
        pytest.skip("not readable as a PDF")
    expected = _pyhanko_dss(open_pdf(data))
    doc = Document(data, reader, VerificationPolicy(), WorkerCaches(), [])
    doc.read_dss()
    read = ([c.dump() for c in doc.dss_certs], [o.dump() for o in doc.dss_ocsps], [c.dump() for c in doc.dss_crls])
    assert read == expected


def test_corpus_holds_documents_with_a_dss():
    with_dss = 0
    for path in CORPUS_FILES:
        try:
            with_dss += bool(_pyhanko_dss(open_pdf(path.read_bytes()))[0])
        except errors.VerificationError:
            continue
    assert with_dss >= 5  # the comparison above is not vacuous


def _dss_edited(document: bytes, edit) -> bytes:
    """``document`` with an incremental update in which ``edit(writer, dss)`` changed its DSS."""
    writer = IncrementalPdfFileWriter(BytesIO(document), strict=False)
    dss_ref = writer.root.raw_get("/DSS")
    edit(writer, dss_ref.get_object())
    writer.mark_update(dss_ref)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def _append_stream(writer, dss, key: str, data: bytes) -> None:
    refs = dss[key]
    refs.append(writer.add_object(generic.StreamObject(stream_data=data)))


def _recoded(der: bytes) -> bytes:
    """The same certificate (issuer, serial number) in other bytes: its signature's last byte changed."""
    return der[:-1] + bytes([der[-1] ^ 1])


@pytest.mark.parametrize("case", ["duplicate_certificate", "vri_not_a_dictionary", "garbage_ocsp"])
def test_odd_dss_entries_are_read_as_pyhanko_reads_them(signed_document, case):
    first_cert = DocumentSecurityStore.read_dss(open_pdf(signed_document))
    first_der = next(iter(first_cert.certs.values())).get_object().data
    edits = {
        "duplicate_certificate": lambda w, dss: _append_stream(w, dss, "/Certs", _recoded(first_der)),
        "vri_not_a_dictionary": lambda w, dss: dss.__setitem__("/VRI", generic.NumberObject(7)),
        "garbage_ocsp": lambda w, dss: _append_stream(w, dss, "/OCSPs", b"not an OCSP response"),
    }
    data = _dss_edited(signed_document, edits[case])
    expected = _pyhanko_dss(open_pdf(data))
    doc = Document(data, open_pdf(data), VerificationPolicy(), WorkerCaches(), [])
    doc.read_dss()
    read = ([c.dump() for c in doc.dss_certs], [o.dump() for o in doc.dss_ocsps], [c.dump() for c in doc.dss_crls])
    assert read == expected
    if case == "duplicate_certificate":  # pyHanko keeps one per issuer and serial: the last filed
        assert _recoded(first_der) in read[0] and first_der not in read[0]
    else:  # pyHanko refuses the whole DSS
        assert read == ([], [], [])


@pytest.fixture
def memoised_certs(monkeypatch):
    monkeypatch.setattr(generic_cms, "extract_certs_for_validation", generic_cms.extract_certs_for_validation)
    memoise_signed_data_certs()


def test_a_cms_objects_certificates_are_read_once_and_failures_every_time(memoised_certs, signed_document):
    signed_data = open_pdf(signed_document).embedded_signatures[0].signed_data
    first = generic_cms.extract_certs_for_validation(signed_data)
    assert generic_cms.extract_certs_for_validation(signed_data) is first
    assert first.signer_cert.subject.native["common_name"]

    stripped = signed_data.untag()  # the same CMS object without the signer's certificate
    stripped["certificates"] = cms.CertificateSet(
        [c.untag() for c in signed_data["certificates"] if c.chosen.sha256 != first.signer_cert.sha256]
    )
    stripped = cms.SignedData.load(stripped.dump())
    for _ in range(2):
        with pytest.raises(pyhanko_errors.SignatureValidationError):
            generic_cms.extract_certs_for_validation(stripped)
