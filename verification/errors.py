"""Errors for input the verifier refuses, each with a stable code and bilingual messages.

The service maps them to a 4xx answer ``{"error": code, "message": ...}``; ``http_status``
says which one. A document that *is* a signed PDF never raises: it gets a report.
"""

from __future__ import annotations

from typing import Any

from verification.messages import render


class VerificationError(Exception):
    """Base class: the input cannot be verified as a signed PDF at all."""

    code = "verification_error"
    http_status = 422

    def __init__(self, **params: Any):
        self.params = params
        super().__init__(self.message("en"))

    def message(self, lang: str = "en") -> str:
        """Human message in ``lang`` (``vi`` or ``en``)."""
        return render(f"error.{self.code}", lang, **self.params)

    def to_dict(self, lang: str = "en") -> dict:
        return {"error": self.code, "message": self.message(lang)}


class DocumentTooLarge(VerificationError):
    """The upload is bigger than the policy's size limit (``size``, ``limit`` in bytes)."""

    code = "document_too_large"
    http_status = 413


class EmptyDocument(VerificationError):
    """Zero bytes were sent."""

    code = "empty_document"
    http_status = 400


class NotAPdf(VerificationError):
    """No ``%PDF-`` header: garbage, or another file type."""

    code = "not_a_pdf"


class UnreadablePdf(VerificationError):
    """Looks like a PDF but its structure cannot be read (``reason``: a ``reason.*`` message
    code saying what is wrong, in words a person reads; never an exception's text)."""

    code = "unreadable_pdf"


class EncryptedDocument(VerificationError):
    """Encrypted with a password we do not have (an empty user password is tried)."""

    code = "encrypted_document"


class NoSignatureFound(VerificationError):
    """A readable PDF without any signature or document timestamp (``unreadable_fields``)."""

    code = "no_signature"


class VerificationTimeout(VerificationError):
    """Verification did not finish within the time budget (``seconds``)."""

    code = "verification_timeout"


class VerifierUnavailable(VerificationError):
    """The verifier was closed, or its worker process died unexpectedly."""

    code = "verifier_unavailable"
    http_status = 503


ERROR_CLASSES = {
    cls.code: cls
    for cls in (
        DocumentTooLarge,
        EmptyDocument,
        NotAPdf,
        UnreadablePdf,
        EncryptedDocument,
        NoSignatureFound,
        VerificationTimeout,
        VerifierUnavailable,
    )
}
"""Error classes by code, to re-raise an error that crossed a process boundary."""
