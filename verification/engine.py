"""Verification of one PDF in the current process. Pool workers call :func:`verify_document`.

pyHanko does the PDF parsing, the CMS/timestamp checks, the path validation and the
difference analysis; this module decides the ETSI EN 319 102-1 indications from those
facts, adds the checks pyHanko leaves to its caller (DER signed attributes, timestamps in
/Sig dictionaries, pages concerned by changes) and turns any failure of a hostile file
into a report or a :class:`~verification.errors.VerificationError`.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone

from asn1crypto import x509
from pyhanko.pdf_utils import misc
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.ades.report import AdESFailure, AdESIndeterminate
from pyhanko.sign.diff_analysis import DEFAULT_DIFF_POLICY, DiffResult, ModificationLevel
from pyhanko.sign.fields import enumerate_sig_fields
from pyhanko.sign.general import SignedDataCerts
from pyhanko.sign.validation import generic_cms
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.sign.validation.pdf_embedded import (
    EmbeddedPdfSignature,
    async_validate_pdf_signature,
)
from pyhanko.sign.validation.status import SignatureCoverageLevel

from verification import errors
from verification.caches import WorkerCaches
from verification.changes import page_changes
from verification.damaged import RawSignature, check_raw_signature, find_raw_signatures
from verification.policy import VerificationPolicy
from verification.reader import open_pdf
from verification.report import (
    CertificateInfo,
    ChangeKind,
    ChangesAfterSigning,
    Indication,
    Integrity,
    Message,
    RevocationStatus,
    SignatureReport,
    TimestampInfo,
    VerificationReport,
    worst,
)
from verification.signature_facts import (
    STANDARD_COVERAGE,
    authority_name,
    certificate_info,
    dictionary_text,
    gen_time,
    read_byte_range,
    signature_timestamp_token,
    signed_attributes_are_der,
    signed_revision_sha256,
    signer_certificate_readable,
    token_gen_time,
)

logger = logging.getLogger(__name__)

PDF_HEADER_WINDOW = 1024
"""Readers accept a %PDF- header within the first KiB (ISO 32000 implementation note)."""

_TIMESTAMP_SUBFILTER = "/ETSI.RFC3161"


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


@dataclass
class _Document:
    """What every signature of one document needs while it is being verified."""

    data: bytes
    reader: PdfFileReader
    policy: VerificationPolicy
    caches: WorkerCaches
    embedded: list[EmbeddedPdfSignature]
    dss_certs: list[x509.Certificate] = field(default_factory=list)
    dss_ocsps: list = field(default_factory=list)
    dss_crls: list = field(default_factory=list)
    _timestamp_contexts: dict = field(default_factory=dict)

    def timestamp_context(self, at: datetime | None):
        """The context for timestamp tokens made at `at` (shared by the tokens of that moment).

        A token is judged at its own time, with the OCSP/CRL data the document carries, as signatures
        are at their timestamp's time: judged "now", the embedded responses of the last document
        timestamp stop being fresh (days after signing in practice) and a sound B-LTA document would
        turn INDETERMINATE."""
        if at not in self._timestamp_contexts:
            self._timestamp_contexts[at] = self.caches.validation_context(self, moment=at, hard_fail=False)
        return self._timestamp_contexts[at]

    def describe(self, cert: x509.Certificate) -> CertificateInfo:
        """Report summary of ``cert`` (made once per certificate in this worker)."""
        return self.caches.description(cert, certificate_info)

    def revision_of(self, emb) -> int:
        return emb.signed_revision

    def later_fields(self, emb) -> tuple[str, ...]:
        return tuple(str(e.field_name) for e in self.embedded if e.signed_revision > emb.signed_revision)

    def document_timestamp_after(self, emb) -> bool:
        return any(
            _is_timestamp(e) and e.signed_revision > emb.signed_revision for e in self.embedded
        )


async def _verify(data: bytes, policy: VerificationPolicy, caches: WorkerCaches) -> VerificationReport:
    try:
        reader = open_pdf(data)
    except errors.UnreadablePdf:
        raw = find_raw_signatures(data)
        if not raw:
            raise
        return await _damaged_report(data, policy, caches, raw)
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
    notes = tuple(Message("finding.unreadable_signature_field", {"field": f}) for f in unreadable)
    if not embedded:
        fields_note = ""
        if unreadable:
            from verification.messages import render  # only needed for this message

            fields_note = render("note.unreadable_fields", "en", fields=", ".join(unreadable))
        raise errors.NoSignatureFound(fields_note=fields_note)
    embedded.sort(key=lambda e: e.signed_revision)

    doc = _Document(data, reader, policy, caches, embedded)
    try:
        dss = DocumentSecurityStore.read_dss(reader)
        doc.dss_certs = [caches.certificate(ref.get_object().data) for ref in dss.certs.values()]
        doc.dss_ocsps = [caches.ocsp(ref.get_object().data) for ref in dss.ocsps]
        doc.dss_crls = [caches.crl(ref.get_object().data) for ref in dss.crls]
    except (KeyError, ValueError, TypeError, misc.PdfError):
        pass  # no (usable) DSS: validation uses what the signatures carry

    signatures, timestamps = [], []
    for emb in embedded:
        if _is_timestamp(emb):
            timestamps.append(await _verify_timestamp(emb, doc))
        else:
            signatures.append(await _verify_signature(emb, doc))
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


def _is_timestamp(emb: EmbeddedPdfSignature) -> bool:
    return (
        emb.sig_object_type == "/DocTimeStamp"
        or emb.sig_object.get("/SubFilter") == _TIMESTAMP_SUBFILTER
    )


# --- changes after signing ------------------------------------------------------------------


def _changes(emb: EmbeddedPdfSignature, doc: _Document, intact: bool) -> tuple[ChangesAfterSigning, list[Message], bool]:
    """Changes after ``emb``; also whether they break the DocMDP/FieldMDP lock."""
    later = doc.later_fields(emb)
    if emb.coverage == SignatureCoverageLevel.ENTIRE_FILE:
        return ChangesAfterSigning(kind=ChangeKind.NONE), [], False
    if emb.coverage not in STANDARD_COVERAGE:
        kind = ChangeKind.OTHER if intact else ChangeKind.NONE
        return ChangesAfterSigning(kind=kind, later_signatures=later, analysed=False), [], False

    findings: list[Message] = []
    level, filled, analysed = ModificationLevel.OTHER, (), True
    try:
        diff = emb.evaluate_modifications(DEFAULT_DIFF_POLICY)
        if isinstance(diff, DiffResult):
            level = diff.modification_level
            filled = tuple(sorted({str(f) for f in diff.changed_form_fields} - set(later)))
        elif _is_vri_rewrite(diff):
            # Rewriting a DSS /VRI entry only replaces validation data (DSS and ETSI treat
            # it as such); pyHanko stops its analysis there, so the page comparison below
            # is what still catches content changes made in the same revisions.
            level = ModificationLevel.LTA_UPDATES
    except Exception as exc:  # pyHanko chokes on some shadow-attack files: count as changed
        analysed = False
        findings.append(Message("finding.changes_unanalysable", {"detail": type(exc).__name__}))
    try:
        pages = page_changes(doc.reader, emb.signed_revision)
    except Exception as exc:
        analysed = False
        pages = None
        findings.append(Message("finding.changes_unanalysable", {"detail": type(exc).__name__}))

    kind = {
        ModificationLevel.NONE: ChangeKind.NONE,
        ModificationLevel.LTA_UPDATES: ChangeKind.NONE,
        ModificationLevel.FORM_FILLING: ChangeKind.FORM_FILLING,
        ModificationLevel.ANNOTATIONS: ChangeKind.ANNOTATIONS,
    }.get(level, ChangeKind.OTHER)
    if pages is not None and kind is ChangeKind.OTHER and analysed:
        # pyHanko reports added annotations as OTHER; say what a reader sees instead
        if pages.annotations_changed and not (
            pages.content_changed or pages.pages_added or pages.pages_removed
        ):
            kind = ChangeKind.ANNOTATIONS
    docmdp = emb.docmdp_level
    docmdp_violated = docmdp is not None and (
        level == ModificationLevel.OTHER or level.value > docmdp.value
    )

    changes = ChangesAfterSigning(
        kind=kind,
        pages_added=pages.pages_added if pages else (),
        pages_removed=pages.pages_removed if pages else 0,
        pages_with_content_changes=pages.content_changed if pages else (),
        pages_with_annotation_changes=pages.annotations_changed if pages else (),
        form_fields_filled=filled,
        later_signatures=later,
        analysed=analysed,
    )
    if changes.pages_added:
        findings.append(Message("finding.pages_added", {"pages": _pages(changes.pages_added)}))
    if changes.pages_removed:
        findings.append(Message("finding.pages_removed", {"count": changes.pages_removed}))
    if changes.pages_with_content_changes:
        findings.append(Message("finding.content_changed", {"pages": _pages(changes.pages_with_content_changes)}))
    if changes.pages_with_annotation_changes and kind in (ChangeKind.ANNOTATIONS, ChangeKind.OTHER):
        findings.append(
            Message("finding.annotations_changed", {"pages": _pages(changes.pages_with_annotation_changes)})
        )
    if kind is ChangeKind.OTHER and analysed and not (
        changes.pages_added or changes.pages_removed or changes.pages_with_content_changes
    ):
        findings.append(Message("finding.other_changes"))
    if filled:
        findings.append(Message("finding.form_filled", {"fields": ", ".join(filled)}))
    if later:
        findings.append(Message("finding.later_signatures", {"fields": ", ".join(later)}))
    if level == ModificationLevel.LTA_UPDATES:
        findings.append(Message("finding.ltv_updates"))
    if docmdp_violated:
        findings.append(Message("finding.docmdp_violated"))
    return changes, findings, docmdp_violated


def _is_vri_rewrite(diff) -> bool:
    text = str(diff)
    return text.startswith("VRI key ") and text.endswith("was modified or deleted.")


def _pages(numbers) -> str:
    return ", ".join(str(n) for n in numbers)


# --- indications ---------------------------------------------------------------------


def _sub_name(indic) -> str:
    return indic.name if indic is not None else "GENERIC"


def _indication_for(indic) -> Indication:
    return Indication.TOTAL_FAILED if isinstance(indic, AdESFailure) else Indication.INDETERMINATE


@dataclass
class _Facts:
    """Intermediate findings for one signature, turned into a SignatureReport at the end."""

    indication: Indication = Indication.TOTAL_PASSED
    sub_indication: str | None = None
    findings: list = field(default_factory=list)

    def fail(self, indication: Indication, sub: str, *messages: Message) -> None:
        """Record a problem; the first, most severe one sets the indication."""
        self.findings.extend(messages)
        if indication.severity > self.indication.severity:
            self.indication, self.sub_indication = indication, sub


async def _verify_signature(emb: EmbeddedPdfSignature, doc: _Document) -> SignatureReport:
    facts = _Facts()
    byte_range = read_byte_range(emb)
    token = signature_timestamp_token(emb.signer_info)
    claimed_time = _tst_time = None
    status = None
    try:
        claimed_time = emb.self_reported_timestamp
    except Exception:
        claimed_time = None
    try:
        signer_cert = emb.signer_cert
    except Exception:
        signer_cert = None
    tst_time = token_gen_time(token)

    if signer_cert is None:
        facts.fail(Indication.INDETERMINATE, "NO_SIGNING_CERTIFICATE_FOUND", Message("finding.no_signing_certificate"))
        emb.compute_integrity_info(skip_diff=True)
    else:
        signer_vc = doc.caches.validation_context(doc, moment=tst_time, hard_fail=True)
        ts_vc = doc.timestamp_context(tst_time)
        try:
            status = await async_validate_pdf_signature(emb, signer_vc, ts_vc, skip_diff=True)
        except SignatureValidationError as exc:
            indic = exc.ades_subindication
            facts.fail(
                _indication_for(indic) if indic else Indication.TOTAL_FAILED,
                _sub_name(indic) if indic else "FORMAT_FAILURE",
                Message("finding.unsupported_algorithm", {"detail": exc.failure_message[:200]}),
            )
        except Exception as exc:  # malformed algorithm identifiers and the like
            facts.fail(
                Indication.TOTAL_FAILED,
                "FORMAT_FAILURE",
                Message("finding.unsupported_algorithm", {"detail": f"{type(exc).__name__}: {exc}"[:200]}),
            )
        if emb.coverage is None:
            try:
                emb.compute_integrity_info(skip_diff=True)
            except Exception:
                pass

    digest_ok = bool(status and status.intact)
    value_ok = bool(status and status.valid)
    der_ok = signed_attributes_are_der(emb.signer_info)
    intact = digest_ok and value_ok and der_ok
    coverage = emb.coverage

    if coverage not in STANDARD_COVERAGE:
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

    changes, change_findings, docmdp_violated = _changes(emb, doc, intact)
    if changes.pages_added or changes.pages_removed or docmdp_violated:
        # DSS's default policy fails page differences and DocMDP violations (format checks)
        facts.fail(Indication.TOTAL_FAILED, "FORMAT_FAILURE")

    trusted, chain, revocation, timestamp = False, (), RevocationStatus.UNKNOWN, None
    if status is not None:
        trusted = status.trust_problem_indic is None and status.validation_path is not None
        if status.validation_path is not None and trusted:
            chain = tuple(doc.describe(c) for c in status.validation_path.iter_certs(include_root=True))
            root = status.validation_path.trust_anchor.authority.name.human_friendly
            facts.findings.append(Message("finding.trusted", {"root": root}))
        if status.revocation_details is not None:
            revocation = RevocationStatus.REVOKED
            facts.findings.append(
                Message("finding.revoked", {"date": status.revocation_details.revocation_date.isoformat()})
            )
        elif trusted:
            revocation = RevocationStatus.GOOD
            facts.findings.append(Message("finding.revocation_good"))
        tst = status.timestamp_validity
        if tst is not None:
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
        if intact and status.trust_problem_indic is not None:
            indic = status.trust_problem_indic
            if indic == AdESIndeterminate.NO_CERTIFICATE_CHAIN_FOUND:
                facts.findings.append(Message("finding.untrusted"))
            facts.fail(_indication_for(indic), _sub_name(indic))
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
        revocation=revocation,
        claimed_signing_time=claimed_time,
        timestamp=timestamp,
        pades_level=_pades_level(emb, doc, subfilter, timestamp),
        subfilter=subfilter,
        changes=changes,
        signed_revision_sha256=signed_revision_sha256(doc.data, byte_range),
        byte_range=byte_range,
        findings=tuple(facts.findings),
        reason=dictionary_text(emb.sig_object, "/Reason"),
        location=dictionary_text(emb.sig_object, "/Location"),
        validation_time=status.validation_time if status is not None else None,
    )


def _pades_level(emb, doc: _Document, subfilter: str | None, timestamp: TimestampInfo | None) -> str | None:
    """Highest PAdES baseline level (ETSI EN 319 142-1) the signature's structure reaches."""
    if subfilter != "/ETSI.CAdES.detached":
        return None
    covered_by_doc_ts = doc.document_timestamp_after(emb)
    if not ((timestamp is not None and timestamp.intact) or covered_by_doc_ts):
        return "B-B"
    if not (doc.dss_ocsps or doc.dss_crls):
        return "B-T"
    if covered_by_doc_ts and _dss_before_last_timestamp(emb, doc):
        return "B-LTA"
    return "B-LT"


def _dss_before_last_timestamp(emb, doc: _Document) -> bool:
    """A document timestamp after the signature covers a revision that already had a DSS
    (the validation data is then protected by that timestamp)."""
    for other in doc.embedded:
        if _is_timestamp(other) and other.signed_revision > emb.signed_revision:
            try:
                if "/DSS" in doc.reader.get_historical_root(other.signed_revision):
                    return True
            except Exception:
                continue
    return False


async def _verify_timestamp(emb: EmbeddedPdfSignature, doc: _Document) -> SignatureReport:
    facts = _Facts()
    byte_range = read_byte_range(emb)
    status = None
    if emb.sig_object_type != "/DocTimeStamp":
        facts.findings.append(Message("finding.timestamp_as_signature"))
    try:
        emb.compute_integrity_info(skip_diff=True)
        status = await generic_cms.validate_tst_signed_data(
            emb.signed_data, doc.timestamp_context(gen_time(emb.signed_data)), emb.compute_digest
        )
    except SignatureValidationError as exc:
        indic = exc.ades_subindication
        facts.fail(
            _indication_for(indic) if indic else Indication.TOTAL_FAILED,
            _sub_name(indic) if indic else "FORMAT_FAILURE",
            Message("finding.unsupported_algorithm", {"detail": exc.failure_message[:200]}),
        )
    except Exception as exc:
        facts.fail(
            Indication.TOTAL_FAILED,
            "FORMAT_FAILURE",
            Message("finding.unsupported_algorithm", {"detail": f"{type(exc).__name__}: {exc}"[:200]}),
        )
    intact = bool(status and status["intact"] and status["valid"])
    if emb.coverage not in STANDARD_COVERAGE:
        facts.fail(Indication.TOTAL_FAILED, "FORMAT_FAILURE", Message("finding.byte_range_invalid"))
    if status is not None and not status["intact"]:
        facts.fail(Indication.TOTAL_FAILED, "HASH_FAILURE", Message("finding.digest_mismatch"))
    elif status is not None and not status["valid"]:
        facts.fail(Indication.TOTAL_FAILED, "SIG_CRYPTO_FAILURE", Message("finding.signature_value_invalid"))
    elif intact:
        facts.findings.append(Message("finding.intact"))

    changes, change_findings, _ = _changes(emb, doc, intact)
    if changes.pages_added or changes.pages_removed:
        facts.fail(Indication.TOTAL_FAILED, "FORMAT_FAILURE")

    trusted, chain, timestamp, signer = False, (), None, None
    if status is not None:
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
            facts.fail(_indication_for(indic), _sub_name(indic))
    if intact and changes.modified:
        facts.fail(Indication.INDETERMINATE, "SIG_CONSTRAINTS_FAILURE")
    if trusted and not doc.document_timestamp_after(emb):
        # Tokens are judged at their own time (timestamp_context); what proves the last one today is
        # its authority's certificate still being in force, else a newer archive timestamp.
        expiry = signer.not_valid_after
        if expiry < datetime.now(timezone.utc):
            facts.fail(Indication.INDETERMINATE, "OUT_OF_BOUNDS_NO_POE",
                       Message("finding.last_timestamp_expired", {"date": expiry.date().isoformat()}))
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
        revocation=RevocationStatus.GOOD if trusted else RevocationStatus.UNKNOWN,
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


async def _damaged_report(
    data: bytes, policy: VerificationPolicy, caches: WorkerCaches, raw: list[RawSignature]
) -> VerificationReport:
    """Report on signatures found in the raw bytes of a PDF pyHanko cannot open."""
    doc = _Document(data, None, policy, caches, [])
    signatures, timestamps = [], []
    for item in raw:
        vc = caches.validation_context(doc, moment=None, hard_fail=not item.is_timestamp)
        status, findings, (indication, sub), integrity, changes = await check_raw_signature(item, vc)
        signer = getattr(status, "signing_cert", None) if status is not None else None
        trusted = bool(status and status.trust_problem_indic is None and status.validation_path)
        report = SignatureReport(
            field_name=item.field_name,
            kind="document_timestamp" if item.is_timestamp else "signature",
            indication=indication,
            sub_indication=sub,
            integrity=integrity,
            signer=doc.describe(signer) if signer is not None else None,
            chain=(),
            trusted=trusted,
            revocation=RevocationStatus.UNKNOWN,
            claimed_signing_time=None,
            timestamp=None,
            pades_level=None,
            subfilter=None,
            changes=changes,
            signed_revision_sha256=item.signed_sha256,
            byte_range=item.byte_range,
            findings=tuple(findings),
        )
        (timestamps if item.is_timestamp else signatures).append(report)
    indication, sub_indication = worst(signatures + timestamps)
    return VerificationReport(
        indication=indication,
        sub_indication=sub_indication,
        signatures=tuple(signatures),
        document_timestamps=tuple(timestamps),
        file_sha256=hashlib.sha256(data).hexdigest(),
        file_size=len(data),
    )
