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

from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import enumerate_sig_fields
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature

from verification import errors
from verification.caches import WorkerCaches
from verification.damaged import damaged_report, find_raw_signatures
from verification.document import Document, is_timestamp
from verification.policy import VerificationPolicy
from verification.reader import open_pdf
from verification.report import Message, VerificationReport, worst
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
    data: bytes, policy: VerificationPolicy, caches: WorkerCaches | None = None
) -> VerificationReport:
    """Verify ``data`` against ``policy``. Raises only :class:`VerificationError` subclasses."""
    check_input(data, policy)
    caches = caches or WorkerCaches()
    try:
        return asyncio.run(_verify(data, policy, caches))
    except errors.VerificationError:
        raise
    except RecursionError as exc:
        raise errors.UnreadablePdf(detail="object nesting too deep") from exc
    except Exception as exc:  # a hostile file must give a clear answer, never a 500
        logger.warning("unreadable PDF", exc_info=True)
        raise errors.UnreadablePdf(detail=f"{type(exc).__name__}: {exc}"[:300]) from exc


async def _verify(data: bytes, policy: VerificationPolicy, caches: WorkerCaches) -> VerificationReport:
    try:
        reader = open_pdf(data)
    except errors.UnreadablePdf:
        raw = find_raw_signatures(data)
        if not raw:
            raise
        return await damaged_report(data, policy, caches, raw)
    embedded, unreadable = _signatures(reader)
    notes = tuple(Message("finding.unreadable_signature_field", {"field": f}) for f in unreadable)
    if not embedded:
        fields_note = ""
        if unreadable:
            from verification.messages import render  # only needed for this message

            fields_note = render("note.unreadable_fields", "en", fields=", ".join(unreadable))
        raise errors.NoSignatureFound(fields_note=fields_note)
    embedded.sort(key=lambda e: e.signed_revision)

    doc = Document(data, reader, policy, caches, embedded)
    doc.read_dss()
    signatures, timestamps = [], []
    for emb in embedded:
        if is_timestamp(emb):
            timestamps.append(await verify_timestamp(emb, doc))
        else:
            signatures.append(await verify_signature(emb, doc))
    indication, sub_indication = worst(signatures + timestamps)
    return VerificationReport(
        indication=indication,
        sub_indication=sub_indication,
        signatures=tuple(signatures),
        document_timestamps=tuple(timestamps),
        file_sha256=hashlib.sha256(data).hexdigest(),
        file_size=len(data),
        notes=notes,
    )


def _signatures(reader: PdfFileReader) -> tuple[list[EmbeddedPdfSignature], list[str]]:
    """The filled signature fields that hold a usable signature, and the names of those that do not."""
    embedded, unreadable = [], []
    for fq_name, _sig_obj, sig_field in enumerate_sig_fields(reader, filled_status=True):
        try:
            emb = EmbeddedPdfSignature(reader, sig_field, fq_name)
            if not signer_certificate_readable(emb):
                raise ValueError("signer certificate is not valid DER")
            embedded.append(emb)
        except Exception:  # not CMS, zero placeholder, broken dictionary: not a signature
            logger.info("unreadable signature field %s", fq_name, exc_info=True)
            unreadable.append(fq_name)
    return embedded, unreadable
