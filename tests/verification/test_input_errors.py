"""Input the verifier refuses: each with its own code, an HTTP status and both languages;
and the time budget that stops a runaway verification without losing the pool."""

from __future__ import annotations

from io import BytesIO

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.writer import copy_into_new_writer

from tests.verification.documents import unsigned_pdf
from verification import (
    DocumentTooLarge,
    EmptyDocument,
    EncryptedDocument,
    Indication,
    NotAPdf,
    UnreadablePdf,
    VerificationPolicy,
    VerificationTimeout,
    Verifier,
)


def _password_protected() -> bytes:
    writer = copy_into_new_writer(PdfFileReader(BytesIO(unsigned_pdf())))
    writer.encrypt("owner-secret", "user-secret")
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "error", "code", "status"),
    [
        (b"", EmptyDocument, "empty_document", 400),
        (b"GIF89a not a pdf at all" * 10, NotAPdf, "not_a_pdf", 422),
        (b"%PDF-1.7\n" + b"\x00garbage\xff" * 500, UnreadablePdf, "unreadable_pdf", 422),
        (b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF", None, None, 422),
    ],
    ids=["empty", "garbage", "pdf-header-then-garbage", "truncated-pdf"],
)
def test_garbage_gets_a_precise_error(untrusting_verifier, data, error, code, status):
    with pytest.raises(Exception) as caught:
        untrusting_verifier.verify(data)
    exc = caught.value
    if error is not None:
        assert isinstance(exc, error) and exc.code == code
    assert exc.http_status == status
    body = exc.to_dict("vi")
    assert set(body) == {"error", "message"} and body["message"]
    assert exc.message("en") != exc.message("vi")


def test_size_limit(untrusting_verifier):
    policy = VerificationPolicy(max_document_bytes=1000)
    with pytest.raises(DocumentTooLarge) as caught:
        untrusting_verifier.verify(unsigned_pdf(), policy)
    assert caught.value.http_status == 413
    assert "1000" in caught.value.message("en") and "vượt quá giới hạn" in caught.value.message("vi")


def test_password_protected_pdf_is_refused(untrusting_verifier):
    with pytest.raises(EncryptedDocument) as caught:
        untrusting_verifier.verify(_password_protected())
    assert caught.value.code == "encrypted_document"


def test_time_budget_kills_the_worker_and_the_pool_recovers(trusted_policy, signed_document):
    impatient = VerificationPolicy(trust_roots=trusted_policy.trust_roots, time_budget_seconds=0.001)
    with Verifier(trusted_policy, workers=1) as verifier:
        with pytest.raises(VerificationTimeout) as caught:
            verifier.verify(signed_document, impatient)
        assert caught.value.code == "verification_timeout"
        # the single worker was replaced; the next document is verified normally
        assert verifier.verify(signed_document).indication is Indication.TOTAL_PASSED
