"""Verification of one PDF in the current process. Pool workers call :func:`verify_document`.

pyHanko does the PDF parsing, the CMS/timestamp checks, the path validation and the
difference analysis; this package decides the ETSI EN 319 102-1 indications from those
facts, adds the checks pyHanko leaves to its caller (DER signed attributes, timestamps in
/Sig dictionaries, pages concerned by changes) and turns any failure of a hostile file
into a report or a :class:`~verification.errors.VerificationError`. This module is the
entry point: it opens the file, finds the signatures and hands each to
:mod:`verification.signature_check` or :mod:`verification.timestamp_check`.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from dataclasses import dataclass, field, replace

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import enumerate_sig_fields
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature

from verification import errors
from verification.caches import WorkerCaches
from verification.damaged import damaged_report, find_raw_signatures
from verification.document import Document, is_timestamp
from verification.document_checks import check_document
from verification.existence import existence_proof
from verification.policy import VerificationPolicy
from verification.reader import open_pdf
from verification.report import ISSUED_DOCUMENT, SIGNER_PERMISSIONS, VerificationReport, worst
from verification.signature_check import verify_signature
from verification.signature_facts import signer_certificate_readable
from verification.timestamp_check import verify_timestamp

logger = logging.getLogger(__name__)

PDF_HEADER_WINDOW = 1024
"""Readers accept a %PDF- header within the first KiB (ISO 32000 implementation note)."""


def check_input(data: bytes, policy: VerificationPolicy) -> None:
    """Refuse what is not worth parsing: empty, too large, no PDF header."""
    if not data:
        raise errors.EmptyDocument()
    if len(data) > policy.max_document_bytes:
        raise errors.DocumentTooLarge(size=len(data), limit=policy.max_document_bytes)
    if b"%PDF-" not in data[:PDF_HEADER_WINDOW]:
        raise errors.NotAPdf()


def verify_document(
    data: bytes,
    policy: VerificationPolicy,
    caches: WorkerCaches | None = None,
    strict_after_last_signature: bool = False,
    issued_as_is: bool = False,
) -> VerificationReport:
    """Verify ``data`` against ``policy``. Raises only :class:`VerificationError` subclasses.

    ``strict_after_last_signature``: the caller knows the document was issued by its own
    service (the issued-document policy): after a signature or document timestamp nothing
    but further signatures, document timestamps and validation data may be added.
    ``issued_as_is``: moreover the whole file is byte for byte a document the service issued
    (its SHA-256 is registered), so every revision after a signature was written by the
    service itself (see :func:`verification.changes_after_signing.analyse_changes`)."""
    check_input(data, policy)
    caches = caches or WorkerCaches()
    strict = strict_after_last_signature or issued_as_is
    try:
        return asyncio.run(_verify(data, policy, caches, strict, issued_as_is))
    except errors.VerificationError:
        raise
    except RecursionError as exc:
        raise errors.UnreadablePdf(reason="reason.nesting") from exc
    except Exception as exc:  # a hostile file must give a clear answer, never a 500
        logger.warning("unreadable PDF", exc_info=True)
        raise errors.UnreadablePdf(reason="reason.structure") from exc


async def _verify(
    data: bytes, policy: VerificationPolicy, caches: WorkerCaches, strict: bool = False, issued_as_is: bool = False
) -> VerificationReport:
    try:
        reader = open_pdf(data)
    except errors.UnreadablePdf:
        raw = find_raw_signatures(data)
        if not raw:
            raise
        report = await damaged_report(data, policy, caches, raw)
        return replace(report, policy=ISSUED_DOCUMENT) if strict else report
    found = _signatures(reader)
    if not found.embedded and not found.unreadable:
        raise errors.NoSignatureFound(fields_note="")
    embedded = sorted(found.embedded, key=lambda e: e.signed_revision)
    doc = Document(data, reader, policy, caches, embedded, strict=strict, issued_as_is=issued_as_is)
    doc.read_dss()
    # document timestamps first: those that pass are the times the signatures are proven to exist at
    timestamps = [await verify_timestamp(emb, doc) for emb in embedded if is_timestamp(emb)]
    doc.existence_proofs = tuple(p for p in map(existence_proof, timestamps) if p is not None)
    signatures = [await verify_signature(emb, doc) for emb in embedded if not is_timestamp(emb)]
    document = check_document(data, found.field_of_object, found.unreadable, strict)
    indication, sub_indication = worst(signatures + timestamps + [document])
    return VerificationReport(
        indication=indication,
        sub_indication=sub_indication,
        signatures=tuple(signatures),
        document_timestamps=tuple(timestamps),
        file_sha256=hashlib.sha256(data).hexdigest(),
        file_size=len(data),
        policy=ISSUED_DOCUMENT if strict else SIGNER_PERMISSIONS,
        document_findings=tuple(document.findings),
        bytes_after_end=document.bytes_after_end,
    )


@dataclass
class _Found:
    """The filled signature fields of a document."""

    embedded: list[EmbeddedPdfSignature] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)
    """Names of the fields whose signature cannot be read."""
    field_of_object: dict[int, str] = field(default_factory=dict)
    """Object number of each signature dictionary → its field name."""


def _signatures(reader: PdfFileReader) -> _Found:
    """The filled signature fields that hold a usable signature, and those that do not."""
    found = _Found()
    for fq_name, _sig_obj, sig_field in enumerate_sig_fields(reader, filled_status=True):
        name = str(fq_name)
        try:
            value = sig_field.get_object().raw_get("/V")
            if isinstance(value, generic.IndirectObject):
                found.field_of_object[value.reference.idnum] = name
        except Exception:  # no usable /V: the signature below fails to read too
            pass
        try:
            emb = EmbeddedPdfSignature(reader, sig_field, fq_name)
            if not signer_certificate_readable(emb):
                raise ValueError("signer certificate is not valid DER")
            found.embedded.append(emb)
        except Exception:  # not CMS, zero placeholder, broken dictionary: a failed signature
            logger.info("unreadable signature field %s", fq_name, exc_info=True)
            found.unreadable.append(name)
    return found
