"""Fixtures: the development PKI served on loopback (twice: a trusted and a foreign one),
documents signed B-LTA on it with real pyHanko signing, and warm verifiers."""

from __future__ import annotations

import pytest

from tests.signing.pki_fixtures import serve_dev_pki
from tests.verification.documents import DocumentSigner, unsigned_pdf
from verification import VerificationPolicy, Verifier


@pytest.fixture(scope="session")
def trusted_pki(tmp_path_factory):
    """The development PKI whose root the verifier trusts; TSA/OCSP/CRL live."""
    pki, server = serve_dev_pki(tmp_path_factory.mktemp("trusted-pki"))
    yield pki
    server.shutdown()


@pytest.fixture(scope="session")
def foreign_pki(tmp_path_factory):
    """A second, independent PKI (its own root key): not trusted unless configured."""
    pki, server = serve_dev_pki(tmp_path_factory.mktemp("foreign-pki"))
    yield pki
    server.shutdown()


@pytest.fixture(scope="session")
def trusted_policy(trusted_pki, tmp_path_factory) -> VerificationPolicy:
    folder = tmp_path_factory.mktemp("roots-one")
    (folder / "root.pem").write_bytes(trusted_pki.root_cert_path.read_bytes())
    return VerificationPolicy.from_folder(folder)


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
def verifier(trusted_policy):
    with Verifier(trusted_policy, workers=2) as warm:
        yield warm


@pytest.fixture(scope="session")
def untrusting_verifier():
    """No trust anchors: the setting of the DSS corpus manifest's expectations."""
    with Verifier(VerificationPolicy(time_budget_seconds=10.0), workers=2) as warm:
        yield warm
