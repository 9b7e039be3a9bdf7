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
