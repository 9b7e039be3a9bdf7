"""Extending a document's long-term proof with pyHanko: validation data (DSS/VRI) for its newest
document timestamp, then a new document timestamp over everything (ETSI EN 319 142-1, B-LTA
renewal). Plain pyHanko, no database."""
from __future__ import annotations

from io import BytesIO
from pathlib import Path

from asn1crypto import pem, x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.signers.pdf_signer import PdfTimeStamper
from pyhanko.sign.timestamps import HTTPTimeStamper
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.fetchers.requests_fetchers import RequestsFetcherBackend


def load_roots(paths: list[Path]) -> list[x509.Certificate]:
    roots = []
    for path in paths:
        data = path.read_bytes()
        if pem.detect(data):
            roots.extend(x509.Certificate.load(der) for _, _, der in pem.unarmor(data, multiple=True))
        else:
            roots.append(x509.Certificate.load(data))
    return roots


class ProofExtender:
    """One per run: its validation context keeps the OCSP responses and CRLs fetched for the first
    document, and most documents of a run share their TSA certificate."""

    def __init__(self, tsa_url: str, trust_roots: list[x509.Certificate], timeout: float = 20.0):
        self.stamper = PdfTimeStamper(HTTPTimeStamper(tsa_url, timeout=timeout))
        self.context = ValidationContext(
            trust_roots=trust_roots,
            allow_fetching=True,
            revocation_mode="hard-fail",
            fetcher_backend=RequestsFetcherBackend(per_request_timeout=timeout),
        )

    def extend(self, data: bytes) -> bytes:
        """`data` with the newest timestamp's validation data and a new document timestamp appended
        (an incremental update: `data` stays a prefix, byte for byte)."""
        reader = PdfFileReader(BytesIO(data), strict=False)
        output = self.stamper.update_archival_timestamp_chain(reader, self.context, in_place=False)
        return output.getvalue()
