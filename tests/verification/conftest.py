"""Fixtures: the trusted and the foreign PKI of the test run (tests/conftest.py),
documents signed B-LTA on them with real pyHanko signing, and the run's warm verifiers."""

from __future__ import annotations

import pytest

from tests.verification.documents import DocumentSigner, unsigned_pdf


@pytest.fixture(scope="session")
def signed_document(trusted_pki) -> bytes:
    """A two-page result signed by official1 and sealed by agency 1, B-LTA."""
    return DocumentSigner(trusted_pki).sign_b_lta(unsigned_pdf())


@pytest.fixture(scope="session")
def foreign_document(foreign_pki) -> bytes:
    """Same shape, signed on the foreign PKI."""
    return DocumentSigner(foreign_pki, official="official2", agency="000.00.04.H40").sign_b_lta(
        unsigned_pdf("Giấy phép xây dựng")
    )


@pytest.fixture(scope="session")
def verifier(trusted_verifier):
    return trusted_verifier


@pytest.fixture(scope="session")
def signed_form_document(trusted_pki) -> bytes:
    """Like ``signed_document``, with a filled text field signed as part of the first page."""
    from tests.verification.forgeries import with_text_field

    return DocumentSigner(trusted_pki).sign_b_lta(with_text_field(unsigned_pdf(), "HS-0001"))


@pytest.fixture(scope="session")
def signed_empty_form_document(trusted_pki) -> bytes:
    """Like ``signed_form_document``, with the text field left empty when signing."""
    from tests.verification.forgeries import with_text_field

    return DocumentSigner(trusted_pki).sign_b_lta(with_text_field(unsigned_pdf(), ""))
