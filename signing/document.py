"""One document, one signature, in two halves that may run in different processes and
hours apart (pyHanko's interrupted signing: PdfSigner -> PdfTBSDocument, digest now,
sign later):

- :func:`prepare_documents` adds the signature field (and visible stamp), reserves room
  for the CMS, hashes the ``/ByteRange`` and builds the CMS signed attributes; the hash of
  those attributes is what the key source signs.
- :func:`finish_documents` wraps a signature value into a CMS (with an RFC 3161 timestamp
  from B-T on), writes it into the reserved room, then adds the DSS (B-LT) and a
  document timestamp (B-LTA).

Both take and return plain picklable values so a process pool can run them.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from io import BytesIO
from typing import Sequence

from asn1crypto import algos, x509
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.sign import fields, signers
from pyhanko_certvalidator.registry import SimpleCertificateStore
from pyhanko.sign.signers.pdf_byterange import PreparedByteRangeDigest
from pyhanko.sign.validation.dss import DocumentSecurityStore

from .cms import CmsTemplate
from .dss import DssPayload, append_dss
from .errors import InvalidDocument, SigningError, TrustServiceError
from .increment import FieldSpec, append_field, fill_contents
from .profiles import PadesLevel
from .appearance import StampImage, place_signature
from .stamp import StampFont, StampPlacement, StampText, stamp_style

VIETNAM_TIME = timezone(timedelta(hours=7), "ICT")


@dataclass(frozen=True)
class DocumentToSign:
    """One input document for a signature step."""

    result_id: str
    """Caller's identifier of the result (journal key)."""
    pdf: bytes
    """The PDF as it is before this signature."""
    stamp: StampText | None = None
    """Text of the visible stamp; ``None`` for an invisible signature."""
    qr_url: str | None = None
    """URL in the stamp's QR code (the verification page)."""


@dataclass(frozen=True)
class StepContext:
    """Everything identical for all documents of one signature step (pickled once per chunk)."""

    field_name: str
    """Name of the signature field to create."""
    level: PadesLevel
    """PAdES level of this signature."""
    signer_cert: bytes
    """DER of the signer's certificate."""
    chain: tuple[bytes, ...]
    """DER of the issuer certificates to embed in the CMS."""
    mechanism: str
    """asn1crypto name of the signature algorithm (``sha256_rsa``, ``sha256_ecdsa``)."""
    cms: CmsTemplate
    """Pre-encoded constant parts of this signer's CMS (see :mod:`signing.cms`)."""
    digest_algorithm: str = "sha256"
    """Digest for the document, the signed attributes and timestamps."""
    placement: StampPlacement = StampPlacement()
    """Where a visible stamp goes."""
    font: StampFont | None = None
    """Pre-subset stamp font (required when documents carry stamp text)."""
    image: StampImage | None = None
    """The signer's image at the signing block: the official's signature, or the agency's seal."""
    seal_over: str | None = None
    """Field of the signature whose image this step's seal image covers a third of; None: none."""
    tsa_url: str | None = None
    """RFC 3161 endpoint (B-T and above)."""
    timestamp_size: int = 6144
    """Upper bound of a DER timestamp token from this TSA, for space reservation."""
    validation_material: "ValidationMaterial | None" = None
    """Certificates, OCSP responses and CRLs for the DSS (B-LT and above)."""
    dss: DssPayload | None = None
    """The same, pre-encoded as PDF objects."""
    http_timeout: float = 20.0
    """Seconds to wait for the TSA."""
    reason: str | None = None
    """/Reason of the signature dictionary."""
    location: str | None = None
    """/Location of the signature dictionary."""

    def bytes_reserved(self) -> int:
        """Hex characters to reserve for the CMS: certificates + signature + timestamp."""
        der = len(self.signer_cert) + sum(len(c) for c in self.chain) + 2048
        if self.level.needs_timestamp:
            der += self.timestamp_size + 512
        return 2 * der


@dataclass(frozen=True)
class ValidationMaterial:
    """Revocation data fetched once per batch, embedded in every document's DSS."""

    certificates: tuple[bytes, ...]
    """DER certificates of every path (signers, TSA)."""
    ocsp_responses: tuple[bytes, ...]
    """DER OCSPResponse values."""
    crls: tuple[bytes, ...]
    """DER CertificateList values."""


@dataclass(frozen=True)
class PreparedSignature:
    """A document waiting for its signature value (stored in the batch journal)."""

    result_id: str
    """Caller's identifier of the result."""
    prepared_pdf: bytes
    """The document with the signature placeholder, exactly as it will be signed."""
    document_digest: bytes
    """Digest of the ``/ByteRange``."""
    reserved_start: int
    """Offset of the placeholder ``<...>`` in ``prepared_pdf``."""
    reserved_end: int
    """Offset just after the placeholder."""
    signed_attributes: bytes
    """DER of the CMS signed attributes (SET OF Attribute)."""
    tbs_digest: bytes
    """Digest of ``signed_attributes``: what the key source signs."""


@dataclass(frozen=True)
class ItemError:
    """A per-document failure, as a value."""

    result_id: str
    """Caller's identifier of the result."""
    code: str
    """Machine-readable error code."""
    message: str
    """Human-readable explanation."""

    @classmethod
    def of(cls, result_id: str, exc: Exception) -> "ItemError":
        if isinstance(exc, SigningError):
            return cls(result_id, exc.code, exc.message)
        return cls(result_id, "signing_failed", f"{type(exc).__name__}: {exc}")


def _signer(step: StepContext) -> signers.ExternalSigner:
    """pyHanko signer object for the preparation half (certificate info, field setup)."""
    chain = [x509.Certificate.load(c) for c in step.chain]
    return signers.ExternalSigner(
        signing_cert=x509.Certificate.load(step.signer_cert),
        cert_registry=SimpleCertificateStore.from_certs(chain),
        signature_value=256,
        signature_mechanism=algos.SignedDigestAlgorithm({"algorithm": step.mechanism}),
        embed_roots=True,
    )


def _prepared(doc: DocumentToSign, step: StepContext, pdf: bytes, document_digest: bytes,
              start: int, end: int) -> PreparedSignature:
    attrs_der = step.cms.signed_attributes(document_digest)
    return PreparedSignature(
        result_id=doc.result_id, prepared_pdf=pdf, document_digest=document_digest,
        reserved_start=start, reserved_end=end, signed_attributes=attrs_der,
        tbs_digest=hashlib.new(step.digest_algorithm, attrs_der).digest(),
    )


async def _prepare_one(doc: DocumentToSign, step: StepContext, signer, style, signed_at) -> PreparedSignature:
    if doc.stamp is None and step.seal_over is None:  # an invisible field: see signing.increment
        reserved = append_field(doc.pdf, FieldSpec(
            step.field_name, step.bytes_reserved(), reason=step.reason, location=step.location),
            step.digest_algorithm)
        if reserved is not None:
            return _prepared(doc, step, reserved.pdf, reserved.document_digest,
                             reserved.reserved_start, reserved.reserved_end)
    try:
        writer = IncrementalPdfFileWriter(BytesIO(doc.pdf))
    except (PdfError, ValueError, KeyError, IndexError, TypeError) as e:
        raise InvalidDocument(f"Not a readable PDF: {e}") from e
    if writer.security_handler is not None:
        raise InvalidDocument("Encrypted PDFs cannot be signed here.", code="encrypted_document")
    if doc.stamp is not None and step.font is None:
        raise SigningError("A stamp was requested but no stamp font is configured.")
    field_spec, style, text_params = place_signature(writer, doc, step, signed_at, style)
    meta = signers.PdfSignatureMetadata(
        field_name=step.field_name,
        md_algorithm=step.digest_algorithm,
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=step.reason,
        location=step.location,
    )
    pdf_signer = signers.PdfSigner(
        meta, signer=signer, stamp_style=style,
        new_field_spec=field_spec,
    )
    try:
        prepared, _tbs, output = await pdf_signer.async_digest_doc_for_signing(
            writer, bytes_reserved=step.bytes_reserved(), appearance_text_params=text_params,
        )
    except PdfError as e:
        raise InvalidDocument(f"Cannot add a signature to this PDF: {e}") from e
    return _prepared(doc, step, output.getvalue(), prepared.document_digest,
                     prepared.reserved_region_start, prepared.reserved_region_end)


def prepare_documents(
    step: StepContext, docs: Sequence[DocumentToSign]
) -> list[PreparedSignature | ItemError]:
    """Prepare a chunk of documents (run in a worker process)."""

    async def run():
        signer = _signer(step)
        style = stamp_style(step.font) if step.font is not None else None
        out: list[PreparedSignature | ItemError] = []
        for doc in docs:
            try:
                signed_at = datetime.now(VIETNAM_TIME).replace(microsecond=0)
                out.append(await _prepare_one(doc, step, signer, style, signed_at))
            except Exception as e:  # noqa: BLE001 - per-item errors are values
                out.append(ItemError.of(doc.result_id, e))
        return out

    return run_coroutine(run())


def run_coroutine(coroutine):
    """Run ``coroutine`` on a fresh event loop. Not ``asyncio.run``: in a pool worker's main thread
    it swaps the SIGINT handler, and restoring it formats the handler's repr, which holds the
    running task and so every document of the chunk (~1 ms a result)."""
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(coroutine)
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.run_until_complete(loop.shutdown_default_executor())
        loop.close()


async def _finish_one(prepared: PreparedSignature, signature: bytes, step: StepContext,
                      timestamper) -> bytes:
    token = None
    if step.level.needs_timestamp:
        try:  # RFC 3161 signature timestamp over the signature value (CAdES/PAdES B-T)
            token = (await timestamper.async_timestamp(
                hashlib.new(step.digest_algorithm, signature).digest(), step.digest_algorithm)).dump()
        except Exception as e:  # noqa: BLE001 - any TSA failure is a trust-service error
            raise TrustServiceError(f"The timestamp authority failed: {e}") from e
    signed_data = step.cms.content_info(prepared.signed_attributes, signature, token)
    output = BytesIO(prepared.prepared_pdf)
    PreparedByteRangeDigest(
        prepared.document_digest, prepared.reserved_start, prepared.reserved_end
    ).fill_with_cms(output, signed_data)
    if not step.level.needs_revocation_data:
        return output.getvalue()

    material = step.validation_material
    if material is None or step.dss is None:
        raise SigningError("B-LT needs revocation data, but none was collected.")
    with_dss = append_dss(output.getvalue(), step.dss)
    if with_dss is None:  # unusual file layout: let pyHanko write the DSS
        DocumentSecurityStore.add_dss(
            output, None, force_write=True,
            certs=[x509.Certificate.load(c) for c in material.certificates],
            ocsps=[_load_ocsp(o) for o in material.ocsp_responses],
            crls=[_load_crl(c) for c in material.crls])
    else:
        output = BytesIO(with_dss)
    if not step.level.needs_document_timestamp:
        return output.getvalue()
    return await _document_timestamp(output, step, timestamper)


async def _document_timestamp(output: BytesIO, step: StepContext, timestamper) -> bytes:
    """The B-LTA document timestamp over everything so far, DSS included."""
    name, hex_chars = f"{step.field_name}-ts", 2 * (step.timestamp_size + 512)
    try:
        reserved = append_field(output.getvalue(), FieldSpec(name, hex_chars, document_timestamp=True),
                                step.digest_algorithm)
        if reserved is None:  # unusual file layout: let pyHanko write it
            writer = IncrementalPdfFileWriter(output)
            await signers.PdfTimeStamper(timestamper, field_name=name).async_timestamp_pdf(
                writer, step.digest_algorithm, bytes_reserved=hex_chars, in_place=True)
            return output.getvalue()
        token = await timestamper.async_timestamp(reserved.document_digest, step.digest_algorithm)
    except (SigningError, PdfError):
        raise
    except Exception as e:  # noqa: BLE001 - any TSA failure is a trust-service error
        raise TrustServiceError(f"The timestamp authority failed: {e}") from e
    return fill_contents(reserved.pdf, reserved, token.dump())


def _load_ocsp(der: bytes):
    from asn1crypto import ocsp

    return ocsp.OCSPResponse.load(der)


def _load_crl(der: bytes):
    from asn1crypto import crl

    return crl.CertificateList.load(der)


def finish_documents(
    step: StepContext, items: Sequence[tuple[PreparedSignature, bytes]]
) -> list[tuple[str, bytes] | ItemError]:
    """Finish a chunk of signed documents (run in a worker process).

    Timestamp requests of the chunk run concurrently; the PDF work is sequential.
    """

    async def run():
        import aiohttp
        from .timestamps import CheckedTimeStamper

        async def finish_all(timestamper):
            async def one(prepared, signature):
                try:
                    return prepared.result_id, await _finish_one(prepared, signature, step, timestamper)
                except Exception as e:  # noqa: BLE001 - per-item errors are values
                    return ItemError.of(prepared.result_id, e)

            return await asyncio.gather(*(one(p, s) for p, s in items))

        if not step.level.needs_timestamp:
            return await finish_all(None)
        # one HTTP session per chunk: the chunk's timestamp requests share connections
        async with aiohttp.ClientSession() as session:
            return await finish_all(
                CheckedTimeStamper(step.tsa_url, timeout=step.http_timeout, session=session))

    return run_coroutine(run())


def finish_and_prepare(
    step: StepContext, items: Sequence[tuple[PreparedSignature, bytes]],
    next_step: StepContext, next_docs: Sequence[DocumentToSign],
) -> tuple[list[tuple[str, bytes] | ItemError], list[PreparedSignature | ItemError]]:
    """Finish a chunk, then prepare the next step of its finished documents (``next_docs``: the
    same results, their PDFs still empty) in the same worker: the finished files need not travel
    to the main process and back, and the next step starts without waiting for the whole batch."""
    finished = finish_documents(step, items)
    docs = {d.result_id: d for d in next_docs}
    ready = [replace(docs[r[0]], pdf=r[1]) for r in finished if not isinstance(r, ItemError)]
    return finished, prepare_documents(next_step, ready) if ready else []
