"""Independent checks of produced PDFs: poppler's pdfsig (NSS trust store holding the
development root) and pyHanko's validator."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from asn1crypto import pem, x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import (
    DocumentSecurityStore,
    async_validate_pdf_signature,
    async_validate_pdf_timestamp,
)
from pyhanko_certvalidator import ValidationContext


def load_root(path: Path) -> x509.Certificate:
    return x509.Certificate.load(pem.unarmor(path.read_bytes())[2])


def make_nss_db(directory: Path, root_pem: Path) -> str:
    """A fresh NSS database trusting the development root; returns the ``sql:`` spec."""
    directory.mkdir(parents=True, exist_ok=True)
    spec = f"sql:{directory}"
    subprocess.run(["certutil", "-N", "-d", spec, "--empty-password"], check=True,
                   capture_output=True)
    subprocess.run(["certutil", "-A", "-d", spec, "-n", "wallet-dev-root", "-t", "CT,C,C",
                    "-i", str(root_pem)], check=True, capture_output=True)
    return spec


@dataclass(frozen=True)
class PdfsigSignature:
    field: str
    signature_valid: bool
    certificate_trusted: bool
    raw: str


def pdfsig(pdf_path: Path, nss_spec: str) -> list[PdfsigSignature]:
    """Run poppler's pdfsig (no network: -no-ocsp) and parse each signature's verdicts."""
    out = subprocess.run(["pdfsig", "-nssdir", nss_spec, "-no-ocsp", str(pdf_path)],
                         capture_output=True, text=True, timeout=60)
    blocks = re.split(r"^Signature #\d+:\n", out.stdout, flags=re.M)[1:]
    result = []
    for block in blocks:
        field = re.search(r"Signature Field Name: (.*)", block)
        result.append(PdfsigSignature(
            field=field.group(1).strip() if field else "",
            signature_valid="Signature Validation: Signature is Valid." in block,
            certificate_trusted="Certificate Validation: Certificate is Trusted." in block,
            raw=block,
        ))
    return result


def offline_context(root: x509.Certificate) -> ValidationContext:
    """Trust the root, never fetch: revocation must come from the document itself."""
    return ValidationContext(trust_roots=[root], allow_fetching=False, revocation_mode="hard-fail")


async def validate_all(pdf: bytes, root: x509.Certificate, level: str):
    """pyHanko validation of every signature (and document timestamp).

    For B-LT/B-LTA validation runs *offline* with revocation checking mandatory, using only
    what the document's DSS holds: it passes only if the revocation data is embedded.
    Returns (signature statuses, document-timestamp statuses, reader).
    """
    reader = PdfFileReader(BytesIO(pdf))
    if level in ("B-LT", "B-LTA"):
        context = DocumentSecurityStore.read_dss(reader).as_validation_context(
            {"trust_roots": [root], "allow_fetching": False, "revocation_mode": "hard-fail"})
    else:
        context = ValidationContext(trust_roots=[root], allow_fetching=False,
                                    revocation_mode="soft-fail")
    statuses = [await async_validate_pdf_signature(sig, context, ts_validation_context=context)
                for sig in reader.embedded_regular_signatures]
    ts_statuses = [await async_validate_pdf_timestamp(ts, validation_context=context)
                   for ts in reader.embedded_timestamp_signatures]
    return statuses, ts_statuses, reader
