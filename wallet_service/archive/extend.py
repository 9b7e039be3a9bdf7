"""Extending a document's long-term proof with pyHanko: validation data (DSS/VRI) for its newest
document timestamp, then a new document timestamp over everything (ETSI EN 319 142-1, B-LTA
renewal). Plain pyHanko, no database."""
from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime, timezone
from io import BytesIO
from pathlib import Path

from asn1crypto import pem, x509
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation.ades import ades_timestamp_validation_internal
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.sign.general import extract_certificate_info
from pyhanko.sign.signers.pdf_signer import PdfTimeStamper
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.fetchers.requests_fetchers import RequestsFetcherBackend

from signing.timestamps import CheckedTimeStamper

from .proofs import NewestTimestamp, newest_timestamp


class ProofNotRenewable(Exception):
    """The document's newest timestamp cannot be validated now (expired, revoked, altered): adding
    another on top would prove nothing. Reported per result; the run goes on."""


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

    def extend_many(self, documents: Sequence[bytes]) -> list[bytes | BaseException]:
        """`extend` of each document, the renewed bytes or the exception it raised, in order. They
        run concurrently on the one event loop: the CPU work is one at a time, but each waits for the
        TSA (and any revocation fetch) while the others compute."""
        return self._runner.run(self._extend_all(documents))

    async def _extend_all(self, documents: Sequence[bytes]) -> list[bytes | BaseException]:
        return await asyncio.gather(*(self._extend(data) for data in documents), return_exceptions=True)

    async def _extend(self, data: bytes) -> bytes:
        if self._stamper is None:
            import aiohttp

            self._session = aiohttp.ClientSession()
            self._stamper = PdfTimeStamper(CheckedTimeStamper(self.tsa_url, timeout=self.timeout, session=self._session))
        try:
            newest = newest_timestamp(data)
        except ValueError:
            newest = None
        if newest is None:  # no document timestamp yet, or an unusual layout: pyHanko's own chain update
            reader = PdfFileReader(BytesIO(data), strict=False)
            output = await self._stamper.async_update_archival_timestamp_chain(reader, self.context, in_place=False)
            return output.getvalue()
        return await self._extend_after(data, newest)

    async def _extend_after(self, data: bytes, newest: NewestTimestamp) -> bytes:
        """What pyHanko's `update_archival_timestamp_chain` does, from the timestamp found in the
        bytes; and a timestamp that does not validate is refused instead of being built upon."""
        token = newest.token
        expiry = extract_certificate_info(token).signer_cert["tbs_certificate"]["validity"]["not_after"].native
        if expiry <= datetime.now(timezone.utc):  # pyHanko judges a timestamp at its own time; its proof ends here
            raise ProofNotRenewable(f"the newest document timestamp does not validate: its TSA certificate "
                                    f"expired on {expiry.isoformat()}, so its proof has lapsed")
        checked = await ades_timestamp_validation_internal(
            token, validation_context=self.context, ts_qualification_requirements=None,
            expected_tst_imprint=lambda algorithm: newest.digest(data, algorithm))
        status = checked.api_status
        if status is None or not (status.intact and status.valid) or status.validation_path is None:
            raise ProofNotRenewable(f"the newest document timestamp does not validate ({checked.ades_subindic})")
        output = BytesIO(data)
        writer = IncrementalPdfFileWriter(output, strict=False)
        DocumentSecurityStore.supply_dss_in_writer(writer, newest.contents, paths=(status.validation_path,),
                                                   validation_context=self.context)
        await self._stamper.async_timestamp_pdf(writer, status.md_algorithm, self.context, in_place=True)
        return output.getvalue()

    def close(self) -> None:
        if self._session is not None:
            self._runner.run(self._session.close())
        self._runner.close()

    def __enter__(self) -> ProofExtender:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
