"""Signatures in PDFs whose structure pyHanko cannot read (broken cross-references,
a revision chain pointing nowhere).

Such a file still carries its signatures, and a person asking "is this genuine?" deserves
to hear that they are broken, not just "unreadable". pyHanko offers no cross-reference
repair, so this finds signature dictionaries by their ``/ByteRange`` in the raw bytes and
checks each CMS object with pyHanko's CMS functions. What changed after signing cannot be
analysed without the structure, so no signature found this way can pass.
"""

from __future__ import annotations

import hashlib
import re

from asn1crypto import cms
from pyhanko.sign.validation import generic_cms
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.sign.validation.status import SignatureStatus

from verification.caches import WorkerCaches
from verification.document import Document
from verification.policy import VerificationPolicy
from verification.report import (
    ChangeKind,
    ChangesAfterSigning,
    Indication,
    Integrity,
    Message,
    RevocationStatus,
    SignatureReport,
    VerificationReport,
    worst,
)
from verification.signature_facts import signed_attributes_are_der

BYTE_RANGE = re.compile(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]")
OBJECT_HEADER = re.compile(rb"(\d+)\s+(\d+)\s+obj\b")
DICTIONARY_WINDOW = 4096
"""How far around a /ByteRange to look for the rest of its signature dictionary."""
MAX_SIGNATURES = 50
MAX_CONTENTS_BYTES = 2 * 1024 * 1024
"""Largest /Contents hex string looked at."""


class RawSignature:
    """One signature dictionary found in the raw bytes."""

    def __init__(self, data: bytes, match: re.Match):
        self.byte_range = tuple(int(g) for g in match.groups())
        self.file_size = len(data)
        contents_at = _contents_position(data, match)
        dict_start = min(contents_at if contents_at >= 0 else match.start(), match.start())
        header = data.rfind(b" obj", max(0, dict_start - DICTIONARY_WINDOW), dict_start)
        header_match = OBJECT_HEADER.search(data, max(0, header - 24), header + 4) if header >= 0 else None
        self.field_name = (
            f"object {header_match.group(1).decode()}" if header_match else f"offset {match.start()}"
        )
        end = data.find(b"endobj", match.end())
        window = data[max(0, header) : end if end >= 0 else match.end() + DICTIONARY_WINDOW]
        self.is_timestamp = b"/DocTimeStamp" in window or b"/ETSI.RFC3161" in window
        _, len1, start2, len2 = self.byte_range
        gap = data[len1:start2]
        self.byte_range_valid = (
            self.byte_range[0] == 0
            and len1 < start2
            and start2 + len2 <= len(data)
            and b"%%EOF" in data[max(0, start2 + len2 - 8) : start2 + len2]  # ends a revision
            and gap.startswith(b"<")
            and gap.endswith(b">")
            and contents_at >= 0
            and data[contents_at:len1].rstrip() == b"/Contents"  # the gap is its own /Contents
        )
        if self.byte_range_valid:
            hex_digits = gap[1:-1]
        elif contents_at >= 0:
            begin = data.index(b"<", contents_at) + 1
            hex_digits = data[begin : data.find(b">", begin)]
        else:
            hex_digits = b""
        self.signed_data = cms.ContentInfo.load(bytes.fromhex(hex_digits.decode("ascii").strip()))["content"]
        self.signed_sha256 = None
        self.digest_input = None
        if self.byte_range[0] == 0 and len1 <= start2 and start2 + len2 <= len(data):
            self.digest_input = data[:len1] + data[start2 : start2 + len2]
            self.signed_sha256 = hashlib.sha256(self.digest_input).hexdigest()

    def digest(self, algorithm: str) -> bytes:
        return hashlib.new(algorithm, self.digest_input or b"").digest()


def _contents_position(data: bytes, match: re.Match) -> int:
    """Offset of the /Contents of the dictionary holding ``match`` (before or after it)."""
    before = data.rfind(b"/Contents", max(0, match.start() - MAX_CONTENTS_BYTES), match.start())
    if before >= 0 and b"endobj" not in data[before : match.start()]:
        return before
    after = data.find(b"/Contents", match.end(), match.end() + DICTIONARY_WINDOW)
    if after >= 0 and b"endobj" not in data[match.end() : after]:
        return after
    return -1


def find_raw_signatures(data: bytes) -> list[RawSignature]:
    found = []
    for match in BYTE_RANGE.finditer(data):
        try:
            found.append(RawSignature(data, match))
        except (ValueError, KeyError, TypeError):
            continue  # not a usable signature dictionary
        if len(found) >= MAX_SIGNATURES:
            break
    return found


async def check_raw_signature(raw: RawSignature, validation_context) -> tuple:
    """Returns (status-like facts, findings, indication, sub_indication, integrity)."""
    findings = [Message("finding.damaged_structure", {"reason": "reason.cross_reference"})]
    signed_data = raw.signed_data
    status = None
    try:
        if raw.is_timestamp:
            kwargs = await generic_cms.validate_tst_signed_data(signed_data, validation_context, raw.digest)
            status = SignatureStatus(**{k: v for k, v in kwargs.items() if k != "timestamp"})
        else:
            signer_info = signed_data["signer_infos"][0]
            algorithm = signer_info["digest_algorithm"]["algorithm"].native
            status = await generic_cms.async_validate_cms_signature(
                signed_data, raw_digest=raw.digest(algorithm), validation_context=validation_context
            )
    except (SignatureValidationError, ValueError, KeyError, TypeError, AttributeError) as exc:
        findings.append(Message("finding.unsupported_algorithm", {"detail": str(exc)[:200]}))
    der_ok = raw.is_timestamp or signed_attributes_are_der(signed_data["signer_infos"][0])
    intact = bool(status and status.intact and status.valid and der_ok and raw.byte_range_valid)
    if not raw.byte_range_valid:
        findings.append(Message("finding.byte_range_invalid"))
        verdict = (Indication.TOTAL_FAILED, "FORMAT_FAILURE")
    elif status is None:
        verdict = (Indication.TOTAL_FAILED, "FORMAT_FAILURE")
    elif not status.intact:
        findings.append(Message("finding.digest_mismatch"))
        verdict = (Indication.TOTAL_FAILED, "HASH_FAILURE")
    elif not status.valid:
        findings.append(Message("finding.signature_value_invalid"))
        verdict = (Indication.TOTAL_FAILED, "SIG_CRYPTO_FAILURE")
    elif not der_ok:
        findings.append(Message("finding.signed_attributes_not_der"))
        verdict = (Indication.TOTAL_FAILED, "SIG_CRYPTO_FAILURE")
    else:
        # intact, but with an unreadable structure nothing about later changes is known
        verdict = (Indication.INDETERMINATE, "FORMAT_FAILURE")
    covers_file = raw.byte_range_valid and raw.byte_range[2] + raw.byte_range[3] == raw.file_size
    changes = ChangesAfterSigning(
        kind=ChangeKind.NONE if covers_file or not intact else ChangeKind.OTHER, analysed=False
    )
    return status, findings, verdict, Integrity.INTACT if intact else Integrity.BROKEN, changes


async def damaged_report(
    data: bytes, policy: VerificationPolicy, caches: WorkerCaches, raw: list[RawSignature]
) -> VerificationReport:
    """Report on signatures found in the raw bytes of a PDF pyHanko cannot open."""
    doc = Document(data, None, policy, caches, [])
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
