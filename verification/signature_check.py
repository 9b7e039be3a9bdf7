"""Verification of one signature of a readable PDF (not a document timestamp): integrity,
changes after signing, trust and revocation, its signature timestamp, its PAdES level.
"""

from __future__ import annotations

from pyhanko.sign.ades.report import AdESIndeterminate
from pyhanko.sign.validation.generic_cms import extract_tst_data_iter
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature, async_validate_pdf_signature

from verification.certificate_status import certificate_verdict, proven_time
from verification.changes_after_signing import analyse_changes, beyond_issued_document
from verification.document import Document
from verification.existence import earliest_proof
from verification.indications import Facts, indication_for, sub_name
from verification.pades_level import pades_level
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
    read_byte_range,
    signature_timestamp_token,
    signed_attributes_are_der,
    signed_revision_sha256,
    token_gen_time,
)


async def verify_signature(emb: EmbeddedPdfSignature, doc: Document) -> SignatureReport:
    facts = Facts()
    byte_range = read_byte_range(emb)
    token = signature_timestamp_token(emb.signer_info)
    try:
        claimed_time = emb.self_reported_timestamp
    except Exception:
        claimed_time = None
    try:
        signer_cert = emb.signer_cert
    except Exception:
        signer_cert = None

    status, context, proof = await _validate(emb, doc, signer_cert, token, byte_range, facts)
    intact = _judge_integrity(emb, status, facts)
    changes, change_findings, docmdp_violated = analyse_changes(emb, doc, intact)
    if changes.pages_added or changes.pages_removed or docmdp_violated:
        # DSS's default policy fails page differences and DocMDP violations (format checks)
        facts.fail(Indication.TOTAL_FAILED, "FORMAT_FAILURE")
    if doc.strict and beyond_issued_document(changes):
        facts.fail(Indication.TOTAL_FAILED, "FORMAT_FAILURE", Message("finding.issued_document_changed"))
    trusted, chain, revocation, timestamp = False, (), (RevocationStatus.UNKNOWN, RevocationSource.NONE), None
    if status is not None:
        trusted, chain, revocation, timestamp = _judge_trust(status, doc, intact, facts, context)
    if status is not None and proof is not None:
        facts.findings.append(Message("finding.judged_at_document_timestamp",
                                      {"time": proof.time.isoformat(), "field": proof.field_name}))
    if intact and changes.modified:
        facts.fail(Indication.INDETERMINATE, "SIG_CONSTRAINTS_FAILURE")
    facts.findings.extend(change_findings)

    subfilter = dictionary_text(emb.sig_object, "/SubFilter")
    return SignatureReport(
        field_name=str(emb.field_name),  # plain str: pyHanko strings hold the reader
        kind="signature",
        indication=facts.indication,
        sub_indication=facts.sub_indication,
        integrity=Integrity.INTACT if intact else Integrity.BROKEN,
        signer=doc.describe(signer_cert) if signer_cert is not None else None,
        chain=chain,
        trusted=trusted,
        revocation=revocation[0],
        revocation_source=revocation[1],
        claimed_signing_time=claimed_time,
        timestamp=timestamp,
        pades_level=pades_level(emb, doc, subfilter, timestamp),
        subfilter=subfilter,
        changes=changes,
        signed_revision_sha256=signed_revision_sha256(doc.data, byte_range),
        byte_range=byte_range,
        findings=tuple(facts.findings),
        reason=dictionary_text(emb.sig_object, "/Reason"),
        location=dictionary_text(emb.sig_object, "/Location"),
        validation_time=status.validation_time if status is not None else None,
    )


async def _validate(emb: EmbeddedPdfSignature, doc: Document, signer_cert, token, byte_range, facts: Facts):
    """pyHanko's status of the signature, the context it was judged in and the document timestamp
    whose time it was judged at (None: its own timestamp's time, or now). Judged at its trusted
    timestamp's time, else at the earliest document timestamp that proves it existed, else now.
    The status is None when it could not be validated (why is in ``facts``)."""
    if signer_cert is None:
        facts.fail(Indication.INDETERMINATE, "NO_SIGNING_CERTIFICATE_FOUND", Message("finding.no_signing_certificate"))
        emb.compute_integrity_info(skip_diff=True)
        return None, None, None
    tst_time = token_gen_time(token)
    # a fetching context judges now whatever the moment (see WorkerCaches.validation_context)
    proof = None if doc.policy.allow_fetching else earliest_proof(doc.existence_proofs, byte_range)
    if tst_time is None:
        status, context = await _validate_at(emb, doc, proof.time if proof else None, facts)
    else:
        status, context = await _validate_at(emb, doc, tst_time, facts)
        if status is not None and _timestamp_trusted(status):
            proof = None
        elif status is not None:  # an unproven timestamp proves no signing time
            status, context = await _validate_at(emb, doc, proof.time if proof else None, facts)
    if emb.coverage is None:
        try:
            emb.compute_integrity_info(skip_diff=True)
        except Exception:
            pass
    return status, context, proof if status is not None else None


async def _validate_at(emb: EmbeddedPdfSignature, doc: Document, moment, facts: Facts):
    signer_vc = doc.caches.validation_context(doc, moment=moment, hard_fail=True)
    # pyHanko reads the timestamp context only for tokens the signature carries
    ts_vc = doc.timestamp_context(moment) if _carries_timestamps(emb) else None
    try:
        status = await async_validate_pdf_signature(emb, signer_vc, ts_vc, skip_diff=True)
    except Exception as exc:  # malformed algorithm identifiers and the like
        facts.fail_validation(exc)
        return None, signer_vc
    return status, signer_vc


def _carries_timestamps(emb: EmbeddedPdfSignature) -> bool:
    """Whether the signature holds a signature or content timestamp token (or an attribute
    that cannot be read, which pyHanko will try to)."""
    try:
        info = emb.signer_info
        return any(any(True for _ in extract_tst_data_iter(info, signed=signed)) for signed in (False, True))
    except Exception:
        return True


def _timestamp_trusted(status) -> bool:
    tst = status.timestamp_validity
    return tst is not None and tst.intact and tst.valid and tst.trusted


def _judge_integrity(emb: EmbeddedPdfSignature, status, facts: Facts) -> bool:
    """Whether the signed bytes, the signature value and the signed attributes' DER
    are sound, with the finding that says so or the failure that says why not."""
    digest_ok = bool(status and status.intact)
    value_ok = bool(status and status.valid)
    der_ok = signed_attributes_are_der(emb.signer_info)
    intact = digest_ok and value_ok and der_ok

    if emb.coverage not in STANDARD_COVERAGE:
        message = "finding.signature_dictionary_altered" if intact else "finding.byte_range_invalid"
        facts.fail(Indication.TOTAL_FAILED, "FORMAT_FAILURE", Message(message))
    if status is not None and not digest_ok:
        facts.fail(Indication.TOTAL_FAILED, "HASH_FAILURE", Message("finding.digest_mismatch"))
    elif status is not None and not value_ok:
        facts.fail(Indication.TOTAL_FAILED, "SIG_CRYPTO_FAILURE", Message("finding.signature_value_invalid"))
    elif not der_ok:
        facts.fail(Indication.TOTAL_FAILED, "SIG_CRYPTO_FAILURE", Message("finding.signed_attributes_not_der"))
    elif intact:
        facts.findings.append(Message("finding.intact"))
    return intact


def _judge_trust(
    status, doc: Document, intact: bool, facts: Facts, context
) -> tuple[bool, tuple[CertificateInfo, ...], tuple[RevocationStatus, RevocationSource], TimestampInfo | None]:
    """(trusted, chain, (revocation status, its source), timestamp) from pyHanko's status,
    with their findings."""
    chain = ()
    trusted = status.trust_problem_indic is None and status.validation_path is not None
    if status.validation_path is not None and trusted:
        chain = tuple(doc.describe(c) for c in status.validation_path.iter_certs(include_root=True))
        root = status.validation_path.trust_anchor.authority.name.human_friendly
        facts.findings.append(Message("finding.trusted", {"root": root}))
    revocation = _judge_revocation(status, doc, trusted, facts, context)
    timestamp = _signature_timestamp(status, facts)
    if intact and status.trust_problem_indic is not None:
        _judge_certificate(status, timestamp, context, facts)
    elif intact and revocation == (RevocationStatus.UNKNOWN, RevocationSource.NONE) and trusted:
        facts.fail(Indication.INDETERMINATE, "TRY_LATER")
    return trusted, chain, revocation, timestamp


def _judge_revocation(status, doc: Document, trusted: bool, facts: Facts, context) -> tuple[RevocationStatus, RevocationSource]:
    """The signer certificate's revocation status and what it was read from. A trusted chain
    says nothing about revocation by itself: a certificate that names no CRL or OCSP service
    was never checked (the validator checks what a certificate declares)."""
    signer = status.signing_cert
    source = RevocationSource.NONE
    if trusted or status.revocation_details is not None:
        source = revocation_source(signer, issuer_on_path(status.validation_path, signer), context, doc)
    if status.revocation_details is not None:
        facts.findings.append(
            Message("finding.revoked", {"date": status.revocation_details.revocation_date.isoformat()})
        )
        return RevocationStatus.REVOKED, source
    if not trusted:
        return RevocationStatus.UNKNOWN, RevocationSource.NONE
    if source is RevocationSource.NONE:
        facts.findings.append(Message("finding.revocation_not_checked"))
        return RevocationStatus.UNKNOWN, source
    facts.findings.append(Message(f"finding.revocation_good_{source.value}"))
    return RevocationStatus.GOOD, source


def _judge_certificate(status, timestamp: TimestampInfo | None, context, facts: Facts) -> None:
    """The failure for pyHanko's trust problem, named as EN 319 102-1 names it."""
    indic = status.trust_problem_indic
    verdict = certificate_verdict(status, status.signing_cert, proven_time(timestamp), context.moment)
    if verdict is not None:
        indication, sub, message = verdict
        facts.fail(indication, sub, *([message] if message else []))
        return
    if indic == AdESIndeterminate.NO_CERTIFICATE_CHAIN_FOUND:
        facts.findings.append(Message("finding.untrusted"))
    facts.fail(indication_for(indic), sub_name(indic))


def _signature_timestamp(status, facts: Facts) -> TimestampInfo | None:
    """The signature timestamp pyHanko validated, if the signature has one."""
    tst = status.timestamp_validity
    if tst is None:
        return None
    timestamp = TimestampInfo(
        time=tst.timestamp,
        authority=authority_name(tst.signing_cert),
        intact=tst.intact and tst.valid,
        trusted=tst.trusted,
    )
    if timestamp.intact:
        facts.findings.append(Message("finding.timestamp", {"time": tst.timestamp.isoformat(), "authority": timestamp.authority}))
    else:
        facts.fail(Indication.INDETERMINATE, "SIG_CONSTRAINTS_FAILURE", Message("finding.timestamp_invalid"))
    return timestamp
