"""Extending a document's long-term proof with pyHanko: validation data (DSS/VRI) for its newest
document timestamp, then a new document timestamp over everything (ETSI EN 319 142-1, B-LTA
renewal). Plain pyHanko, no database."""
from __future__ import annotations

import asyncio
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
    document (most documents of a run share their TSA certificate), and its event loop keeps one HTTP
    session to the TSA (a new one per document cost ~100 ms of TLS setup). Close it after the run."""

    def __init__(self, tsa_url: str, trust_roots: list[x509.Certificate], timeout: float = 20.0):
        self.tsa_url, self.timeout = tsa_url, timeout
        self.context = ValidationContext(
            trust_roots=trust_roots,
            allow_fetching=True,
            revocation_mode="hard-fail",
            fetcher_backend=RequestsFetcherBackend(per_request_timeout=timeout),
        )
        self._runner = asyncio.Runner()
        self._session = None
        self._stamper: PdfTimeStamper | None = None

    def extend(self, data: bytes) -> bytes:
        """`data` with the newest timestamp's validation data and a new document timestamp appended
        (an incremental update: `data` stays a prefix, byte for byte)."""
        return self._runner.run(self._extend(data))

    async def _extend(self, data: bytes) -> bytes:
        if self._stamper is None:
            import aiohttp

            self._session = aiohttp.ClientSession()
            self._stamper = PdfTimeStamper(HTTPTimeStamper(self.tsa_url, timeout=self.timeout, session=self._session))
        reader = PdfFileReader(BytesIO(data), strict=False)
        output = await self._stamper.async_update_archival_timestamp_chain(reader, self.context, in_place=False)
        return output.getvalue()

    def close(self) -> None:
        if self._session is not None:
            self._runner.run(self._session.close())
        self._runner.close()

    def __enter__(self) -> ProofExtender:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
