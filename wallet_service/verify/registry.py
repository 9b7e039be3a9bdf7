"""Is an uploaded PDF one this service issued? The register is the `results` table: a signed result
keeps the SHA-256 of the signed PDF it produced (`Result.signed_sha256`).

A PDF matches a result when its own SHA-256 is that hash (the document as issued), or when a
revision inside it is (the document as issued, with incremental updates appended afterwards:
another signature, a page, an annotation). PDF revisions end at `%%EOF`, so the issued bytes are
then a prefix of the upload ending there. (A signature's `signed_revision_sha256` cannot equal a
whole file's hash — the /ByteRange leaves out the signature's own /Contents — so the revision
ends in the file are what is compared.) When nothing matches, a signature container of the upload
found byte for byte in a registered PDF names the document it was copied from (`copied_from`).
An annulled result is never reported as passed."""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import re
from dataclasses import dataclass

from flask_babel import force_locale, format_datetime, gettext
from sqlalchemy import select
from sqlalchemy.orm import Session

from verification import Indication, VerificationReport

from ..archive.models import ResultVersion
from ..models import Agency, Result, ResultSignature, ResultStatus
from ..platform.storage import DocumentStore

EXACT = "exact"
"""The upload is byte for byte the signed PDF the service issued."""
EARLIER_REVISION = "earlier_revision"
"""The issued PDF is an earlier revision of the upload: something was appended after issue."""
SIGNATURE_COPY = "signature_copy"
"""Not the issued document, but it carries a signature the service made for that result."""
SUPERSEDED = "superseded"
"""The upload is byte for byte a document the service issued for the result, since replaced by a
renewed copy (a newer document timestamp appended by the archive renewal)."""
CREDENTIAL = "credential"
"""Found through a credential's `result_id` (no PDF compared)."""
ANNULLED_SUB_INDICATION = "ANNULLED"
"""Overall sub-indication of a document whose result the issuing agency annulled."""
REGISTERED = (ResultStatus.SIGNED, ResultStatus.DELIVERED, ResultStatus.ANNULLED)
_REVISION_END = re.compile(rb"%%EOF(\r\n|\r|\n)?")
MAX_REVISIONS = 1000
"""Revision ends looked at in one upload; hostile files may repeat `%%EOF` endlessly."""
_QUERY_CHUNK = 500
MAX_COPY_CANDIDATES = 20
"""Registered results whose stored PDF is searched for a signature of an unmatched upload."""
_RECORDING_DELAY = dt.timedelta(hours=1)
"""`ResultSignature.signed_at` is when the signature was recorded, shortly after the signing time."""


def mask_name(full_name: str) -> str:
    """"Lê Thị Hoa" -> "L** T** H**": enough to recognise, not enough to learn the name."""
    return " ".join(word[0] + "**" for word in full_name.split())


@dataclass(frozen=True)
class RegistryEntry:
    """The registered result an uploaded PDF was matched to, as a verifier may see it."""

    result_id: str
    """The result's id (also the path of its `/v/{id}` page)."""
    title: str
    """Title of the result document."""
    dossier_code: str
    """The dossier (hồ sơ) code."""
    procedure_name: str
    """The administrative procedure."""
    agency_code: str
    """Issuing agency's code."""
    agency_name: str
    """Issuing agency's name."""
    citizen_name_masked: str
    """The citizen's name reduced to initials (`mask_name`)."""
    status: str
    """`signed`, `delivered` or `annulled`."""
    signed_at: dt.datetime | None
    """When the service finished signing it."""
    annulled_at: dt.datetime | None
    """When it was annulled, if it was."""
    annulment_reason: str | None
    """Why it was annulled, as the official wrote it."""
    match: str
    """`exact`, `superseded`, `earlier_revision`, `signature_copy` or `credential`."""
    verification_url: str
    """The public page of this result."""

    @property
    def annulled(self) -> bool:
        return self.status == ResultStatus.ANNULLED

    @classmethod
    def of(cls, result: Result, match: str, public_base_url: str) -> RegistryEntry:
        return cls(
            result_id=result.id,
            title=result.title,
            dossier_code=result.dossier_code,
            procedure_name=result.procedure_name,
            agency_code=result.agency.code,
            agency_name=result.agency.name,
            citizen_name_masked=mask_name(result.citizen_name),
            status=result.status,
            signed_at=result.signed_at,
            annulled_at=result.annulled_at,
            annulment_reason=result.annulment_reason,
            match=match,
            verification_url=f"{public_base_url.rstrip('/')}/v/{result.id}",
        )

    def message(self) -> str:
        """What a person should conclude, in the current locale."""
        if self.annulled:
            return gettext(
                "ANNULLED: %(agency)s annulled this result (dossier %(dossier)s) on %(date)s. Reason: %(reason)s",
                agency=self.agency_name,
                dossier=self.dossier_code,
                date=format_datetime(self.annulled_at, "dd/MM/yyyy") if self.annulled_at else "?",
                reason=self.annulment_reason or "",
            )
        if self.match == SIGNATURE_COPY:
            return gettext(
                "This file is NOT the document %(agency)s issued (dossier %(dossier)s): it carries that document's "
                "signature, but its bytes differ. Compare it on the result's page: %(url)s",
                agency=self.agency_name,
                dossier=self.dossier_code,
                url=self.verification_url,
            )
        if self.match == CREDENTIAL:
            return gettext(
                "The result of dossier %(dossier)s issued by %(agency)s is registered and has not been annulled.",
                agency=self.agency_name,
                dossier=self.dossier_code,
            )
        if self.match == SUPERSEDED:
            return gettext(
                "This is a document %(agency)s issued (dossier %(dossier)s) and it has not been annulled; it has "
                "since been superseded by a renewed copy whose long-term proof lasts longer: %(url)s",
                agency=self.agency_name,
                dossier=self.dossier_code,
                url=self.verification_url,
            )
        if self.match == EARLIER_REVISION:
            return gettext(
                "This file contains the document %(agency)s issued (dossier %(dossier)s), "
                "with changes appended after it was issued.",
                agency=self.agency_name,
                dossier=self.dossier_code,
            )
        return gettext(
            "This is the document %(agency)s issued (dossier %(dossier)s) and it has not been annulled.",
            agency=self.agency_name,
            dossier=self.dossier_code,
        )

    def to_dict(self) -> dict:
        return {
            "result_id": self.result_id,
            "title": self.title,
            "dossier_code": self.dossier_code,
            "procedure_name": self.procedure_name,
            "agency": {"code": self.agency_code, "name": self.agency_name},
            "citizen_name": self.citizen_name_masked,
            "status": self.status,
            "annulled": self.annulled,
            "signed_at": _iso(self.signed_at),
            "annulled_at": _iso(self.annulled_at),
            "annulment_reason": self.annulment_reason,
            "match": self.match,
            "verification_url": self.verification_url,
            "message": self.message(),
        }


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def revision_hashes(data: bytes) -> list[str]:
    """SHA-256 of every earlier revision of `data` (each prefix ending at `%%EOF`, with or without
    its end-of-line), in one pass over the bytes."""
    hasher = hashlib.sha256()
    done = 0
    found: list[str] = []
    for count, end in enumerate(_REVISION_END.finditer(data)):
        if count >= MAX_REVISIONS:
            break
        bare_end = end.start() + len(b"%%EOF")
        hasher.update(data[done:bare_end])
        done = bare_end
        found.append(hasher.copy().hexdigest())
        if end.group(1):
            with_eol = hasher.copy()
            with_eol.update(end.group(1))
            found.append(with_eol.hexdigest())
    return found


def _registered_by_hash(session: Session, digests: list[str]) -> dict[str, Result]:
    """Registered results by the SHA-256 of any document issued for them: the current one, or an
    earlier version a renewal replaced."""
    found: dict[str, Result] = {}
    for start in range(0, len(digests), _QUERY_CHUNK):  # SQLite caps bound parameters per statement
        chunk = digests[start : start + _QUERY_CHUNK]
        query = select(Result).where(Result.signed_sha256.in_(chunk), Result.status.in_(REGISTERED))
        found.update((r.signed_sha256, r) for r in session.scalars(query))
        versions = (select(ResultVersion.sha256, Result).join(Result, Result.id == ResultVersion.result_id)
                    .where(ResultVersion.sha256.in_(chunk), Result.status.in_(REGISTERED)))
        found.update((digest, result) for digest, result in session.execute(versions))
    return found


def find_result(session: Session, data: bytes, file_sha256: str) -> tuple[Result, str] | None:
    """The registered result `data` is (as issued now, or an earlier version of it), or contains as an
    earlier revision; with how it matched."""
    whole = _registered_by_hash(session, [file_sha256]).get(file_sha256)
    if whole is not None:
        return whole, EXACT if whole.signed_sha256 == file_sha256 else SUPERSEDED
    candidates = [h for h in revision_hashes(data) if h != file_sha256]
    if not candidates:
        return None
    matches = _registered_by_hash(session, candidates)
    for digest in reversed(candidates):  # the latest revision that is a registered document
        if digest in matches:
            return matches[digest], EARLIER_REVISION
    return None


def is_issued_version(session: Session, result: Result, sha256: object) -> bool:
    """`sha256` names the result's current document or one a renewal replaced."""
    if sha256 == result.signed_sha256:
        return True
    return session.scalar(select(ResultVersion.id).where(ResultVersion.result_id == result.id,
                                                         ResultVersion.sha256 == sha256)) is not None


def lookup(session: Session, data: bytes, public_base_url: str) -> RegistryEntry | None:
    """The registered result `data` is (or contains); looked up before verification, so that a
    document the service issued is judged by the issued-document policy."""
    found = find_result(session, data, hashlib.sha256(data).hexdigest())
    return RegistryEntry.of(found[0], found[1], public_base_url) if found else None


def lookup_copy(session: Session, documents: DocumentStore, data: bytes, report: VerificationReport,
                public_base_url: str) -> RegistryEntry | None:
    found = find_signature_copy(session, documents, data, report)
    return RegistryEntry.of(found, SIGNATURE_COPY, public_base_url) if found else None


def _signature_containers(data: bytes, report: VerificationReport):
    """(signer certificate SHA-256, claimed signing time, the /Contents bytes) of each signature."""
    for signature in report.signatures:
        if signature.signer is None or len(signature.byte_range) != 4:
            continue
        start, length, second, _ = signature.byte_range
        if 0 <= start + length < second <= len(data):
            yield signature.signer.sha256, signature.claimed_signing_time, data[start + length : second]


def find_signature_copy(session: Session, documents: DocumentStore, data: bytes, report: VerificationReport) -> Result | None:
    """The registered result whose signed PDF holds one of the upload's signature containers
    byte for byte: the upload was made from that document (then altered, or re-saved). A CMS
    signature value is unique to one signing, so this names the document it was taken from."""
    for certificate_sha256, claimed, container in _signature_containers(data, report):
        if len(container) < 64:
            continue
        query = (
            select(Result)
            .join(ResultSignature, ResultSignature.result_id == Result.id)
            .where(ResultSignature.certificate_sha256 == certificate_sha256, Result.status.in_(REGISTERED))
            .order_by(ResultSignature.signed_at)
            .limit(MAX_COPY_CANDIDATES)
        )
        if claimed is not None:  # the nearest recordings after the claimed signing time
            if claimed.tzinfo is None:  # a /M date without a zone
                claimed = claimed.replace(tzinfo=dt.timezone.utc)
            query = query.where(ResultSignature.signed_at >= claimed - _RECORDING_DELAY)
        for result in session.scalars(query):
            try:
                if container in documents.get(result.signed_sha256):
                    return result
            except KeyError:  # its document is not in this store
                continue
    return None


def agencies_named_by(session: Session, report: VerificationReport) -> list[str]:
    """Names of this service's agencies that the PDF's signers claim to belong to."""
    names = {s.signer.organization for s in report.signatures if s.signer and s.signer.organization}
    names |= {s.signer.common_name for s in report.signatures if s.signer and s.signer.common_name}
    if not names:
        return []
    return list(session.scalars(select(Agency.name).where(Agency.name.in_(names)).order_by(Agency.name)))


def not_registered_message(claimed_agencies: list[str]) -> str:
    """What a verifier needs to hear when the PDF is not in the register, in the current locale."""
    if claimed_agencies:
        return gettext(
            "This file is signed in the name of %(agencies)s, but it is not a document this service issued: "
            "it may have been altered and saved again, or issued elsewhere. Ask the holder for the original "
            "file, or scan the QR code on the paper copy to see the registered result.",
            agencies=", ".join(claimed_agencies),
        )
    return gettext("This document was not issued through this service; only its signatures were checked.")


def judged(report: VerificationReport, entry: RegistryEntry | None) -> VerificationReport:
    """The report with the register's verdict: an annulled result is never TOTAL-PASSED, whatever
    its signatures say (those keep their own indications)."""
    if entry is not None and entry.annulled:
        return dataclasses.replace(report, indication=Indication.TOTAL_FAILED, sub_indication=ANNULLED_SUB_INDICATION)
    return report


def report_dict(session: Session, report: VerificationReport, entry: RegistryEntry | None,
                copied_from: RegistryEntry | None, lang: str) -> dict:
    """The JSON report in `lang`: the engine's report, judged, with `registry` (null when the
    service did not issue the document), `copied_from` (the issued document an unmatched upload
    carries a signature of, or null), `registry_message`, and `signatures_indication` (what the
    signatures alone say, before the register's verdict)."""
    with force_locale(lang):
        registry = entry.to_dict() if entry else None
        copied = copied_from.to_dict() if copied_from else None
        if registry:
            message = registry["message"]
        elif copied:
            message = copied["message"]
        else:
            message = not_registered_message(agencies_named_by(session, report))
    body = judged(report, entry).with_registry(registry).to_dict(lang)
    body["copied_from"] = copied
    body["registry_message"] = message
    body["signatures_indication"] = report.indication.value
    return body
