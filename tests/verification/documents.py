"""Signed test documents made with real pyHanko signing on the development PKI.

Used by the verification tests and by ``bench/verify_bench.py``. The shape follows the
design (Decree 30/2020): the official's own signature, then the agency seal with a
signature timestamp, embedded revocation data (DSS) and a document timestamp (B-LTA).
"""

from __future__ import annotations

from io import BytesIO

from asn1crypto import pem, x509
from fpdf import FPDF
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers, timestamps
from pyhanko_certvalidator import ValidationContext

from adapters.devpki import DevPki


def load_certificate(path) -> x509.Certificate:
    data = open(path, "rb").read()
    if pem.detect(data):
        _, _, data = pem.unarmor(data)
    return x509.Certificate.load(data)


def unsigned_pdf(title: str = "Giấy chứng nhận", pages: int = 2) -> bytes:
    """A small result document with Vietnamese text (DejaVu Sans, full diacritics)."""
    pdf = FPDF()
    pdf.add_font("DejaVu", "", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    pdf.set_font("DejaVu", size=14)
    for number in range(1, pages + 1):
        pdf.add_page()
        pdf.cell(text=f"{title} — trang {number}")
        pdf.ln(10)
        pdf.multi_cell(0, 8, text="Ủy ban nhân dân tỉnh Quảng Ninh chứng nhận kết quả giải quyết thủ tục hành chính.")
    return bytes(pdf.output())


class DocumentSigner:
    """Signs documents B-LTA with two signatures (official, then agency seal).

    Keeps the loaded keys so a benchmark can make many documents quickly.
    """

    def __init__(self, pki: DevPki, official: str = "official1", agency: str = "000.00.15.H40"):
        passphrase = pki.pkcs12_passphrase()
        self.official = signers.SimpleSigner.load_pkcs12(str(pki.pkcs12_path(official)), passphrase=passphrase)
        self.agency = signers.SimpleSigner.load_pkcs12(str(pki.pkcs12_path(agency)), passphrase=passphrase)
        self.timestamper = timestamps.HTTPTimeStamper(pki.tsa_url)
        self.root = load_certificate(pki.root_cert_path)

    def _context(self) -> ValidationContext:
        return ValidationContext(trust_roots=[self.root], allow_fetching=True)

    def sign_official(self, pdf: bytes) -> bytes:
        meta = signers.PdfSignatureMetadata(
            field_name="ChuKyCanBo",
            md_algorithm="sha256",
            subfilter=fields.SigSeedSubFilter.PADES,
            reason="Ký duyệt kết quả",
            embed_validation_info=True,
            validation_context=self._context(),
        )
        out = signers.PdfSigner(meta, self.official, timestamper=self.timestamper).sign_pdf(
            IncrementalPdfFileWriter(BytesIO(pdf), strict=False)
        )
        return out.getvalue()

    def sign_agency_lta(self, pdf: bytes) -> bytes:
        meta = signers.PdfSignatureMetadata(
            field_name="ConDauCoQuan",
            md_algorithm="sha256",
            subfilter=fields.SigSeedSubFilter.PADES,
            reason="Đóng dấu cơ quan",
            embed_validation_info=True,
            use_pades_lta=True,
            validation_context=self._context(),
        )
        out = signers.PdfSigner(meta, self.agency, timestamper=self.timestamper).sign_pdf(
            IncrementalPdfFileWriter(BytesIO(pdf), strict=False)
        )
        return out.getvalue()

    def sign_b_lta(self, pdf: bytes) -> bytes:
        """Official signature (B-LT), agency seal (B-LT) and a document timestamp."""
        return self.sign_agency_lta(self.sign_official(pdf))

    def add_document_timestamp(self, pdf: bytes) -> bytes:
        """A further document timestamp with its validation data (archive timestamp renewal)."""
        out = signers.PdfTimeStamper(self.timestamper).timestamp_pdf(
            IncrementalPdfFileWriter(BytesIO(pdf), strict=False), "sha256", validation_context=self._context()
        )
        return out.getvalue()
