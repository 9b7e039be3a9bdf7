"""Errors of the signing engine: each carries a stable ``code`` and a human ``message``.

The HTTP layer maps them to 4xx responses; per-item errors in a batch are returned as
values (:class:`signing.pipeline.ItemOutcome`) built from these.
"""

from __future__ import annotations


class SigningError(Exception):
    """Base class; ``code`` is machine-readable, ``message`` is for people."""

    code = "signing_error"

    def __init__(self, message: str, *, code: str | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class InvalidDocument(SigningError):
    """The input is not a PDF we can sign (corrupt, encrypted, not a PDF...)."""

    code = "invalid_document"


class InvalidRequest(SigningError):
    """The caller asked for something impossible (unknown level, bad key source spec...)."""

    code = "invalid_request"


class KeySourceError(SigningError):
    """The key source refused or failed (wrong PIN, credential not authorised, ...).
    ``remaining_attempts``: how many more wrong PINs or codes the holder may type, when known."""

    code = "key_source_error"

    def __init__(self, message: str, *, code: str | None = None, remaining_attempts: int | None = None):
        super().__init__(message, code=code)
        self.remaining_attempts = remaining_attempts


class TrustServiceError(SigningError):
    """TSA, OCSP or CRL service unreachable or answered badly."""

    code = "trust_service_error"


class JournalError(SigningError):
    """The batch journal is inconsistent with the request (e.g. a result signed twice)."""

    code = "journal_error"
