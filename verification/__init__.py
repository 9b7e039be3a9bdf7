"""PDF signature verification (PAdES) with ETSI EN 319 102-1 indications.

Plain Python: no Flask, no database. Entry points: :class:`Verifier` (long-lived, holds a
warm pool of worker processes), :func:`verify_pdf` (one-shot), :class:`VerificationPolicy`.
"""

from verification.errors import (
    DocumentTooLarge,
    EmptyDocument,
    EncryptedDocument,
    NoSignatureFound,
    NotAPdf,
    UnreadablePdf,
    VerificationError,
    VerificationTimeout,
    VerifierUnavailable,
)
from verification.policy import TrustRootError, VerificationPolicy
from verification.report import (
    CertificateInfo,
    ChangeKind,
    ChangesAfterSigning,
    Indication,
    Integrity,
    Message,
    RevocationSource,
    RevocationStatus,
    SignatureReport,
    TimestampInfo,
    VerificationReport,
)
from verification.verifier import Verifier, verify_pdf

__all__ = [
    "CertificateInfo",
    "ChangeKind",
    "ChangesAfterSigning",
    "DocumentTooLarge",
    "EmptyDocument",
    "EncryptedDocument",
    "Indication",
    "Integrity",
    "Message",
    "NoSignatureFound",
    "NotAPdf",
    "RevocationSource",
    "RevocationStatus",
    "SignatureReport",
    "TimestampInfo",
    "TrustRootError",
    "UnreadablePdf",
    "VerificationError",
    "VerificationPolicy",
    "VerificationReport",
    "VerificationTimeout",
    "Verifier",
    "VerifierUnavailable",
    "verify_pdf",
]
