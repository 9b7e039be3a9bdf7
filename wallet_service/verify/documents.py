"""Verifying an uploaded PDF in the service: the engine's report (in the app's worker pool) plus
the register's verdict. Shared by the API, the pages and the CLI."""
from __future__ import annotations

from dataclasses import dataclass

from flask import Flask
from sqlalchemy.orm import Session

from verification import VerificationError, VerificationReport

from ..platform.errors import ApiError
from ..services import services
from . import stored
from .registry import EXACT, SUPERSEDED, RegistryEntry, judged, lookup, lookup_copy, report_dict

class DocumentRefused(ApiError):
    """The upload cannot be verified as a signed PDF: the engine's code, status and message."""

    def __init__(self, exc: VerificationError, lang: str):
        super().__init__(exc.message(lang), exc.code)
        self.status = exc.http_status


@dataclass(frozen=True)
class DocumentVerification:
    """What the service found about one uploaded PDF."""

    report: VerificationReport
    """The engine's report, as the signatures alone say."""
    registry: RegistryEntry | None
    """The registered result the PDF is (or contains), None when the service did not issue it."""
    copied_from: RegistryEntry | None = None
    """When `registry` is None: the registered result whose signature the PDF carries (an altered copy)."""

    @property
    def judged(self) -> VerificationReport:
        """The report with the register's verdict applied (annulled -> never passed)."""
        return judged(self.report, self.registry)

    def to_dict(self, session: Session, lang: str) -> dict:
        body = report_dict(session, self.report, self.registry, self.copied_from, lang)
        body["answered_from"] = stored.ANSWERED_FROM_FULL
        return body


def verify_document(app: Flask, session: Session, data: bytes, lang: str) -> DocumentVerification:
    """Verify `data`; raises `DocumentRefused` (4xx, or 503 when the verifier is unavailable).

    A PDF the register matches (the issued document, or one appended to) is verified under the
    issued-document policy: after its signatures and document timestamp nothing but further
    signatures, timestamps and validation data may follow. Any other PDF is judged by what
    its signers permitted. The report on a PDF that is byte for byte a registered document is stored
    for later uploads of the same bytes (`stored`)."""
    base_url = services(app).settings.public_base_url
    counter = services(app).metrics.verifications
    try:
        verifier = services(app).verifier.get()  # refuses before the register is read when it cannot run
        entry = lookup(session, data, base_url)
        as_is = entry is not None and entry.match in (EXACT, SUPERSEDED)
        report = verifier.verify(data, strict_after_last_signature=entry is not None, issued_as_is=as_is)
    except VerificationError as exc:
        counter.labels(kind="pdf", indication="REFUSED").inc()
        raise DocumentRefused(exc, lang) from None
    if as_is:
        stored.store(session, verifier.policy, report, entry.result_id)
    if entry is not None:
        found = DocumentVerification(report, entry)
    else:
        found = DocumentVerification(report, None, lookup_copy(session, services(app).documents, data, report, base_url))
    counter.labels(kind="pdf", indication=str(getattr(found.judged.indication, "value", found.judged.indication))).inc()
    return found
