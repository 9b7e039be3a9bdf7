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


@pytest.fixture(scope="session")
def certificate_cases(trusted_pki, foreign_pki) -> dict[str, bytes]:
    """One document per signer-certificate status, each signed on the trusted PKI's CA (or a
    look-alike of it) with its live TSA, then given validation data and a document timestamp:
    ``expired`` / ``not_yet_valid`` / ``revoked`` (and ``…_unproven``: without a signature
    timestamp), ``no_revocation_source``, ``look_alike_root``, and ``expired_backdated``: a
    signature timestamp from an untrusted authority that dates it before the expiry."""
    from datetime import timedelta

    import time_machine

    from tests.verification import certificates as certs

    ca, now, pdf = certs.trusted_ca(trusted_pki), certs.now(), unsigned_pdf()
    tsa, issuer_crls = trusted_pki.tsa_url, certs.issuer_crls(trusted_pki)

    def b_lta(identity, timestamped=True, crls=()):
        signed = certs.sign(pdf, identity, tsa if timestamped else None)
        return certs.with_validation_data(signed, tsa, issuer_crls + crls)

    expired = certs.issue(ca, "Người ký hết hạn", now - timedelta(days=400), now - timedelta(days=30))
    early = certs.issue(ca, "Người ký chưa hiệu lực", now + timedelta(days=30), now + timedelta(days=400))
    revoked = certs.issue(ca, "Người ký bị thu hồi", now - timedelta(days=10), now + timedelta(days=400),
                          crl_url="http://127.0.0.1:9/ca.crl")
    revocation = certs.revocation_list(ca, revoked, now - timedelta(days=1))
    unchecked = certs.issue(ca, "Người ký không có CRL/OCSP", now - timedelta(days=10), now + timedelta(days=400))
    look_alike, look_alike_root = certs.look_alike_ca(trusted_pki)
    impostor = certs.issue(look_alike, "Nguyễn Văn An", now - timedelta(days=10), now + timedelta(days=400),
                           chain=(look_alike_root,))
    with time_machine.travel(now - timedelta(days=60), tick=True):
        backdated = certs.sign(pdf, expired, foreign_pki.tsa_url)
    return {
        "expired_backdated": certs.with_validation_data(backdated, tsa, issuer_crls),
        "expired": b_lta(expired),
        "expired_unproven": b_lta(expired, timestamped=False),
        "not_yet_valid": b_lta(early),
        "not_yet_valid_unproven": b_lta(early, timestamped=False),
        "revoked": b_lta(revoked, crls=(revocation,)),
        "revoked_unproven": b_lta(revoked, timestamped=False, crls=(revocation,)),
        "no_revocation_source": b_lta(unchecked),
        "look_alike_root": b_lta(impostor),
    }


@pytest.fixture(scope="session")
def decree30_result(trusted_pki, tmp_path_factory) -> bytes:
    """A result as the service signs it (signing pipeline, Decree 30 steps): the official's B-B
    signature with the visible stamp, no timestamp of its own, then the agency seal at B-LTA."""
    from adapters.keys.pkcs12 import Pkcs12KeySource
    from signing.journal import SqliteBatchJournal
    from signing.pipeline import BatchItem, BatchSigner, decree30_steps
    from signing.profiles import TrustServices
    from signing.stamp import StampFont, StampText

    def key(name):
        return Pkcs12KeySource.from_file(trusted_pki.pkcs12_path(name), trusted_pki.pkcs12_passphrase())

    item = BatchItem("kq-poe", unsigned_pdf("Giấy phép kinh doanh"),
                     StampText("Nguyễn Văn An", "Trung tâm Phục vụ hành chính công phường Hạ Long"),
                     "https://wallet.example.vn/v/kq-poe")
    signer = BatchSigner(trust_services=TrustServices(tsa_url=trusted_pki.tsa_url), font=StampFont.load(), workers=1)
    journal = SqliteBatchJournal(tmp_path_factory.mktemp("decree30") / "journal.db")
    try:
        (outcome,) = signer.sign([item], decree30_steps(key("official1"), key("000.00.15.H40")), journal)
    finally:
        journal.close()
    assert outcome.ok, outcome.error
    return outcome.signed_pdf
