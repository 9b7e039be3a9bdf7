"""The verification report: a small tree of frozen dataclasses with stable JSON.

Language-neutral facts live in the dataclasses; human text is produced only by
``to_dict(lang)`` from message codes (see :mod:`verification.messages`).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Mapping

from verification.changes_detail import FieldChange
from verification.messages import render
from verification.summary import named_changes

REPORT_FORMAT = 2
"""Version of what the engine reports for a document: raise it when a change to the engine can
change a report, so that reports stored by earlier versions are no longer used."""
SIGNER_PERMISSIONS = "signer-permissions"
"""Policy for any document: what changed after each signature is judged by what its signer
permitted (DocMDP/FieldMDP); permitted changes are named, never "nothing changed"."""
ISSUED_DOCUMENT = "issued-document"
"""Policy for a document the service issued: after its last signature or document timestamp
only further signatures, document timestamps and validation data (DSS/VRI) may be added.
Anything else is TOTAL-FAILED with FORMAT_FAILURE: the document no longer has the structure
its issuer gives every result (the sub-indication DSS also uses for PDF modification checks;
HASH_FAILURE would be wrong, every signed byte range still verifies)."""


class Indication(str, enum.Enum):
    """Main indication of ETSI EN 319 102-1."""

    TOTAL_PASSED = "TOTAL-PASSED"
    INDETERMINATE = "INDETERMINATE"
    TOTAL_FAILED = "TOTAL-FAILED"

    @property
    def severity(self) -> int:
        return {"TOTAL-PASSED": 0, "INDETERMINATE": 1, "TOTAL-FAILED": 2}[self.value]


class ChangeKind(str, enum.Enum):
    """What changed in the document after a signature was made (worst category)."""

    NONE = "none"
    """Nothing, or only permitted additions: later signatures, validation data, timestamps."""
    FORM_FILLING = "form_filling"
    ANNOTATIONS = "annotations"
    OTHER = "other"


class Integrity(str, enum.Enum):
    INTACT = "intact"
    """The message digest matches the signed bytes and the signature value verifies."""
    BROKEN = "broken"


class RevocationStatus(str, enum.Enum):
    GOOD = "good"
    """Not revoked at the signing time, per OCSP/CRL data."""
    REVOKED = "revoked"
    UNKNOWN = "unknown"
    """No usable revocation data (or the chain is not trusted, so it was not checked)."""


class RevocationSource(str, enum.Enum):
    """What the revocation status of a certificate was read from."""

    EMBEDDED_OCSP = "embedded_ocsp"
    """An OCSP response the document carries (its DSS)."""
    EMBEDDED_CRL = "embedded_crl"
    """A CRL the document carries."""
    FETCHED = "fetched"
    """OCSP or CRL data fetched over the network while verifying."""
    NONE = "none"
    """Nothing: the certificate names no CRL or OCSP service, or no data for it was found."""


@dataclass(frozen=True)
class Message:
    """A message code with its parameters, rendered in a language on output."""

    code: str
    """Key in the message catalogue, e.g. ``finding.pages_added``."""
    params: Mapping[str, Any] = field(default_factory=dict)
    """Values for the template's placeholders (strings, numbers)."""

    def to_dict(self, lang: str) -> dict:
        return {"code": self.code, "text": render(self.code, lang, **self.params)}


@dataclass(frozen=True)
class CertificateInfo:
    """One certificate, as a person or a machine needs to identify it."""

    subject: str
    """Subject distinguished name in readable form."""
    common_name: str | None
    """Subject CN: the signer's or the agency's name."""
    organization: str | None
    """Subject O: the organisation (agency) the certificate belongs to."""
    serial_number: str
    """Serial number, lower-case hex."""
    issuer: str
    """Issuer distinguished name in readable form."""
    not_before: datetime
    """Start of the validity period."""
    not_after: datetime
    """End of the validity period."""
    sha256: str
    """SHA-256 fingerprint of the DER certificate, hex."""

    def to_dict(self) -> dict:
        return {
            "subject": self.subject,
            "common_name": self.common_name,
            "organization": self.organization,
            "serial_number": self.serial_number,
            "issuer": self.issuer,
            "not_before": _iso(self.not_before),
            "not_after": _iso(self.not_after),
            "sha256": self.sha256,
        }


@dataclass(frozen=True)
class TimestampInfo:
    """An RFC 3161 timestamp attached to a signature (or a document timestamp's own token)."""

    time: datetime
    """The TSA's genTime."""
    authority: str | None
    """Common name (or subject) of the timestamping authority's certificate."""
    intact: bool
    """The token's digest and signature verify."""
    trusted: bool
    """The TSA certificate chains up to a trusted root."""

    def to_dict(self) -> dict:
        return {
            "time": _iso(self.time),
            "authority": self.authority,
            "intact": self.intact,
            "trusted": self.trusted,
        }


@dataclass(frozen=True)
class ChangesAfterSigning:
    """What happened to the document after this signature, from its signed revision to the end."""

    kind: ChangeKind
    """Worst category of change."""
    pages_added: tuple[int, ...] = ()
    """1-based numbers (in the final document) of pages added after signing."""
    pages_removed: int = 0
    """How many pages of the signed revision are gone."""
    pages_with_content_changes: tuple[int, ...] = ()
    """1-based numbers of pages whose content or resources changed."""
    pages_with_annotation_changes: tuple[int, ...] = ()
    """1-based numbers of pages whose annotations changed (not counting new signature fields)."""
    form_fields_filled: tuple[str, ...] = ()
    """Names of non-signature form fields filled after signing."""
    later_signatures: tuple[str, ...] = ()
    """Signature / timestamp fields added after signing."""
    analysed: bool = True
    """False when the changes could not be analysed (damaged structure, analysis error)."""
    form_field_changes: tuple[FieldChange, ...] = ()
    """Non-signature fields whose value differs from the signed one (name, old, new value)."""
    metadata_changes: tuple[str, ...] = ()
    """Metadata changed after the last signature or document timestamp: ``/Info /Title``, ``XMP``..."""

    @property
    def modified(self) -> bool:
        """True when the content a reader sees may differ from what was signed: pages,
        annotations or other objects changed, a signed field value replaced, or metadata
        (title, author, XMP) rewritten without a later signature."""
        return self.kind in (ChangeKind.ANNOTATIONS, ChangeKind.OTHER) or bool(
            self.pages_added
            or self.pages_removed
            or self.metadata_changes
            or any(change.replaced for change in self.form_field_changes)
        )

    def to_dict(self) -> dict:
        return {
            "kind": self.kind.value,
            "modified": self.modified,
            "analysed": self.analysed,
            "pages_added": list(self.pages_added),
            "pages_removed": self.pages_removed,
            "pages_with_content_changes": list(self.pages_with_content_changes),
            "pages_with_annotation_changes": list(self.pages_with_annotation_changes),
            "form_fields_filled": list(self.form_fields_filled),
            "later_signatures": list(self.later_signatures),
            "form_field_changes": [change.to_dict() for change in self.form_field_changes],
            "metadata_changes": list(self.metadata_changes),
        }


@dataclass(frozen=True)
class SignatureReport:
    """Everything found about one signature or document timestamp."""

    field_name: str
    """Name of the PDF signature field."""
    kind: str
    """``signature`` or ``document_timestamp``."""
    indication: Indication
    """ETSI EN 319 102-1 main indication for this signature."""
    sub_indication: str | None
    """ETSI sub-indication (e.g. ``NO_CERTIFICATE_CHAIN_FOUND``), None when passed."""
    integrity: Integrity
    """Whether the signed bytes and the signature value verify."""
    signer: CertificateInfo | None
    """Signer's (or TSA's, for a document timestamp) certificate."""
    chain: tuple[CertificateInfo, ...]
    """Validated path from the trust root down to the signer; empty if not trusted."""
    trusted: bool
    """The signer's certificate chains up to a configured trust root (checked at ``validation_time``)."""
    revocation: RevocationStatus
    """Revocation status of the signer's certificate at the signing time."""
    claimed_signing_time: datetime | None
    """Signing time the signer claims (signed attribute or /M); not proof."""
    timestamp: TimestampInfo | None
    """Signature timestamp (for a document timestamp: its own token)."""
    pades_level: str | None
    """Highest PAdES baseline level reached: B-B, B-T, B-LT, B-LTA; None for non-PAdES (adbe.pkcs7)."""
    subfilter: str | None
    """The /SubFilter of the signature dictionary."""
    changes: ChangesAfterSigning
    """What changed after this signature was made."""
    signed_revision_sha256: str | None
    """SHA-256 of the bytes the /ByteRange covers (hex); None if the byte range is unusable."""
    byte_range: tuple[int, ...]
    """The /ByteRange as written in the file."""
    findings: tuple[Message, ...] = ()
    """Explanations, in order of importance."""
    reason: str | None = None
    """/Reason of the signature dictionary (as the signer wrote it)."""
    location: str | None = None
    """/Location of the signature dictionary."""
    validation_time: datetime | None = None
    """Moment at which the certificate chain was evaluated: the signature timestamp's time if it is
    trusted, else the time of the earliest passed document timestamp covering the signature, else
    the time of verification (the findings say which)."""
    revocation_source: RevocationSource = RevocationSource.NONE
    """What the revocation status was read from (``none``: it was not checked)."""

    def to_dict(self, lang: str) -> dict:
        return {
            "field_name": self.field_name,
            "kind": self.kind,
            "indication": self.indication.value,
            "sub_indication": self.sub_indication,
            "message": _indication_text(self.indication, self.sub_indication, lang),
            "integrity": self.integrity.value,
            "signer": self.signer.to_dict() if self.signer else None,
            "chain": [c.to_dict() for c in self.chain],
            "trusted": self.trusted,
            "revocation": self.revocation.value,
            "revocation_source": self.revocation_source.value,
            "claimed_signing_time": _iso(self.claimed_signing_time),
            "timestamp": self.timestamp.to_dict() if self.timestamp else None,
            "validation_time": _iso(self.validation_time),
            "pades_level": self.pades_level,
            "subfilter": self.subfilter,
            "reason": self.reason,
            "location": self.location,
            "changes_after_signing": self.changes.to_dict(),
            "signed_revision_sha256": self.signed_revision_sha256,
            "byte_range": list(self.byte_range),
            "findings": [m.to_dict(lang) for m in self.findings],
        }


@dataclass(frozen=True)
class VerificationReport:
    """Result of verifying one PDF."""

    indication: Indication
    """Overall indication: the worst over all signatures and document timestamps."""
    sub_indication: str | None
    """Sub-indication of the signature that set the overall indication."""
    signatures: tuple[SignatureReport, ...]
    """Signatures (``/Sig``), in signing order."""
    document_timestamps: tuple[SignatureReport, ...]
    """Document timestamps (``/DocTimeStamp``), in order."""
    file_sha256: str
    """SHA-256 of the whole file, hex."""
    file_size: int
    """Size of the file in bytes."""
    notes: tuple[Message, ...] = ()
    """Document-level remarks (e.g. unreadable signature fields that were ignored)."""
    registry: Mapping[str, Any] | None = None
    """Filled by the service when it issued the document (status, annulment); else None."""
    policy: str = SIGNER_PERMISSIONS
    """How changes after signing were judged: ``signer-permissions`` (what each signer
    permitted) or ``issued-document`` (a document the service issued: nothing but signatures,
    document timestamps and validation data may follow its last signature)."""
    document_findings: tuple[Message, ...] = ()
    """Findings about the file rather than one signature (duplicated keys in a signature
    dictionary, bytes after the end of file); they count in the overall indication."""
    bytes_after_end: int = 0
    """Bytes (other than whitespace) after the end of the last revision: data no
    cross-reference section accounts for, which repairing viewers may still display."""

    @property
    def modified_after_signing(self) -> bool:
        """Some intact signature reports content changes made after it, or data was appended
        after the last revision."""
        return self.bytes_after_end > 0 or any(
            s.changes.modified for s in self.signatures if s.integrity is Integrity.INTACT
        )

    def with_registry(self, registry: Mapping[str, Any] | None) -> "VerificationReport":
        """Copy with the service's registry information attached."""
        return replace(self, registry=registry)

    def summary(self, lang: str) -> str:
        filled = sorted({c.name for s in self.signatures for c in s.changes.form_field_changes})
        if self.indication is Indication.TOTAL_PASSED and filled:
            return render(
                "summary.passed_with_form_filling",
                lang,
                signatures=len(self.signatures),
                timestamps=len(self.document_timestamps),
                fields=", ".join(filled),
            )
        if self.indication is Indication.TOTAL_PASSED:
            return render(
                "summary.passed",
                lang,
                signatures=len(self.signatures),
                timestamps=len(self.document_timestamps),
            )
        verdict = render(
            "summary.not_passed",
            lang,
            indication=render(f"indication.{self.indication.value}", lang),
            reason=_sub_text(self.sub_indication, lang),
        )
        changes = named_changes(self, lang)
        return f"{verdict} {changes}" if changes else verdict

    def to_dict(self, lang: str = "vi") -> dict:
        """Stable JSON-ready dict; texts in ``lang`` (``vi`` or ``en``)."""
        return {
            "indication": self.indication.value,
            "sub_indication": self.sub_indication,
            "summary": self.summary(lang),
            "message": render(f"indication.{self.indication.value}", lang),
            "modified_after_signing": self.modified_after_signing,
            "file_sha256": self.file_sha256,
            "file_size": self.file_size,
            "signatures": [s.to_dict(lang) for s in self.signatures],
            "document_timestamps": [s.to_dict(lang) for s in self.document_timestamps],
            "notes": [n.to_dict(lang) for n in self.notes],
            "policy": self.policy,
            "document_findings": [m.to_dict(lang) for m in self.document_findings],
            "bytes_after_end": self.bytes_after_end,
            "registry": dict(self.registry) if self.registry is not None else None,
        }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _sub_text(sub_indication: str | None, lang: str) -> str:
    if sub_indication is None:
        return ""
    try:
        return render(f"sub.{sub_indication}", lang)
    except KeyError:
        return sub_indication


def _indication_text(indication: Indication, sub_indication: str | None, lang: str) -> str:
    head = render(f"indication.{indication.value}", lang)
    reason = _sub_text(sub_indication, lang)
    return f"{head}: {reason}" if reason else head


def worst(reports) -> tuple[Indication, str | None]:
    """Overall indication and sub-indication: the most severe among ``reports``."""
    chosen = None
    for report in reports:
        if chosen is None or report.indication.severity > chosen.indication.severity:
            chosen = report
    if chosen is None:
        return Indication.TOTAL_FAILED, "FORMAT_FAILURE"
    return chosen.indication, chosen.sub_indication
