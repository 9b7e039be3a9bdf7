"""Verification of one document timestamp (RFC 3161 token over a revision): integrity,
changes after it, trust in its authority, and whether the last one is still in force.
"""

from __future__ import annotations

from datetime import datetime, timezone

from asn1crypto import x509
from pyhanko.sign.ades.report import AdESIndeterminate
from pyhanko.sign.validation import generic_cms
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature

from verification.changes_after_signing import analyse_changes, beyond_issued_document
from verification.document import Document
from verification.indications import Facts, indication_for, sub_name
from verification.report import (
    CertificateInfo,
    Indication,
    Integrity,
    Message,
    RevocationSource,
    RevocationStatus,
    SignatureReport,
    TimestampInfo,
)
from verification.revocation import issuer_on_path, revocation_source
from verification.signature_facts import (
    STANDARD_COVERAGE,
    authority_name,
    dictionary_text,
    gen_time,
    read_byte_range,
    signed_revision_sha256,
)


async def verify_timestamp(emb: EmbeddedPdfSignature, doc: Document) -> SignatureReport:
    facts = Facts()
    byte_range = read_byte_range(emb)
    if emb.sig_object_type != "/DocTimeStamp":
        facts.findings.append(Message("finding.timestamp_as_signature"))
    status = await _validate(emb, doc, facts)
    intact = _judge_integrity(emb, status, facts)

    changes, change_findings, _ = analyse_changes(emb, doc, intact)
    if changes.pages_added or changes.pages_removed:
        facts.fail(Indication.TOTAL_FAILED, "FORMAT_FAILURE")
    if doc.strict and beyond_issued_document(changes):
        facts.fail(Indication.TOTAL_FAILED, "FORMAT_FAILURE", Message("finding.issued_document_changed"))
    trusted, chain, timestamp, signer = False, (), None, None
    if status is not None:
        trusted, chain, timestamp, signer = _judge_trust(status, doc, intact, facts)
    if intact and changes.modified:
        facts.fail(Indication.INDETERMINATE, "SIG_CONSTRAINTS_FAILURE")
    if trusted and not doc.document_timestamp_after(emb):
        # Tokens are judged at their own time (timestamp_context); what proves the last one today is
        # its authority's certificate still being in force, else a newer archive timestamp.
        expiry = signer.not_valid_after
        if expiry < datetime.now(timezone.utc):
            facts.fail(Indication.INDETERMINATE, "OUT_OF_BOUNDS_NO_POE",
                       Message("finding.last_timestamp_expired", {"date": expiry.date().isoformat()}))
    source = _revocation(status, doc, emb, facts) if trusted else RevocationSource.NONE
    facts.findings.extend(change_findings)
    return SignatureReport(
        field_name=str(emb.field_name),  # plain str: pyHanko strings hold the reader
        kind="document_timestamp",
        indication=facts.indication,
        sub_indication=facts.sub_indication,
        integrity=Integrity.INTACT if intact else Integrity.BROKEN,
        signer=doc.describe(signer) if signer is not None else None,
        chain=chain,
        trusted=trusted,
        revocation=RevocationStatus.GOOD if source is not RevocationSource.NONE else RevocationStatus.UNKNOWN,
        revocation_source=source,
        claimed_signing_time=None,
        timestamp=timestamp,
        pades_level=None,
        subfilter=dictionary_text(emb.sig_object, "/SubFilter"),
        changes=changes,
        signed_revision_sha256=signed_revision_sha256(doc.data, byte_range),
        byte_range=byte_range,
        findings=tuple(facts.findings),
        validation_time=status.get("validation_time") if status is not None else None,
    )


async def _validate(emb: EmbeddedPdfSignature, doc: Document, facts: Facts) -> dict | None:
    """pyHanko's facts about the token, judged at its own time; None when it could not be
    validated (the reason is in ``facts``)."""
    try:
        emb.compute_integrity_info(skip_diff=True)
        return await generic_cms.validate_tst_signed_data(
            emb.signed_data, doc.timestamp_context(gen_time(emb.signed_data)), emb.compute_digest
        )
    except Exception as exc:
        facts.fail_validation(exc)
        return None


def _judge_integrity(emb: EmbeddedPdfSignature, status: dict | None, facts: Facts) -> bool:
    """Whether the timestamped bytes and the token's signature are sound, with the finding
    that says so or the failure that says why not."""
    intact = bool(status and status["intact"] and status["valid"])
    if emb.coverage not in STANDARD_COVERAGE:
        facts.fail(Indication.TOTAL_FAILED, "FORMAT_FAILURE", Message("finding.byte_range_invalid"))
    if status is not None and not status["intact"]:
        facts.fail(Indication.TOTAL_FAILED, "HASH_FAILURE", Message("finding.digest_mismatch"))
    elif status is not None and not status["valid"]:
        facts.fail(Indication.TOTAL_FAILED, "SIG_CRYPTO_FAILURE", Message("finding.signature_value_invalid"))
    elif intact:
        facts.findings.append(Message("finding.intact"))
    return intact


def _revocation(status: dict, doc: Document, emb: EmbeddedPdfSignature, facts: Facts) -> RevocationSource:
    """What the authority certificate's revocation status was read from. Tokens are judged
    soft-fail (an authority's certificate often names no revocation service), so a token
    whose status was not checked says so without changing its indication."""
    signer = status["signing_cert"]
    context = doc.timestamp_context(gen_time(emb.signed_data))
    source = revocation_source(signer, issuer_on_path(status["validation_path"], signer), context, doc)
    if source is RevocationSource.NONE:
        facts.findings.append(Message("finding.timestamp_revocation_not_checked"))
    return source


def _judge_trust(
    status: dict, doc: Document, intact: bool, facts: Facts
) -> tuple[bool, tuple[CertificateInfo, ...], TimestampInfo, x509.Certificate | None]:
    """(trusted, chain, timestamp, authority certificate) from pyHanko's facts, with their findings."""
    chain = ()
    path = status.get("validation_path")
    indic = status.get("trust_problem_indic")
    trusted = indic is None and path is not None
    signer = status.get("signing_cert")
    if trusted:
        chain = tuple(doc.describe(c) for c in path.iter_certs(include_root=True))
    timestamp = TimestampInfo(
        time=status["timestamp"], authority=authority_name(signer), intact=intact, trusted=trusted
    )
    if intact:
        facts.findings.append(
            Message("finding.timestamp", {"time": status["timestamp"].isoformat(), "authority": timestamp.authority})
        )
    if intact and indic is not None:
        if indic == AdESIndeterminate.NO_CERTIFICATE_CHAIN_FOUND:
            facts.findings.append(Message("finding.untrusted"))
        facts.fail(indication_for(indic), sub_name(indic))
    return trusted, chain, timestamp, signer
