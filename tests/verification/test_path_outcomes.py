"""A worker reuses a path validation only when a fresh one would answer the same: warm from valid
documents of the same PKI, a revoked, expired, not yet valid or look-alike signer and a changed
document get the verdicts they get cold; and the memo itself tells apart what a weaker key would
confuse (other revocation data, a validation time past a certificate's expiry, other roots)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import pytest
from asn1crypto import x509
from pyhanko.sign.validation import generic_cms
from pyhanko.sign.validation.settings import KeyUsageConstraints

from tests.verification import certificates as certs
from tests.verification import forgeries
from tests.verification.documents import unsigned_pdf
from verification import Indication, Verifier, VerificationPolicy
from verification.caches import WorkerCaches
from verification.document import Document
from verification.engine import verify_document
from verification.path_outcomes import reuse_path_outcomes
from verification.reader import open_pdf

CASES = ("revoked", "revoked_unproven", "expired", "expired_unproven", "not_yet_valid",
         "not_yet_valid_unproven", "look_alike_root", "no_revocation_source", "expired_backdated")


@pytest.fixture
def reused_outcomes(monkeypatch):
    """The workers' reuse of path validations, installed in this process for one test."""
    monkeypatch.setattr(generic_cms, "validate_cert_usage", generic_cms.validate_cert_usage)
    reuse_path_outcomes()


def _verdict(report) -> tuple:
    return report.indication, report.sub_indication


def _changed(document: bytes) -> bytes:
    flipped = bytearray(document)
    flipped[document.index(b"(", document.index(b"/Producer")) + 2] ^= 0x20
    return bytes(flipped)


def test_warm_workers_give_every_failure_its_cold_verdict(trusted_policy, signed_document, certificate_cases):
    documents = {case: certificate_cases[case] for case in CASES}
    documents["changed"] = _changed(signed_document)
    documents["metadata_rewritten"] = forgeries.with_info_rewritten(signed_document)
    cold = {name: _verdict(verify_document(data, trusted_policy, WorkerCaches())) for name, data in documents.items()}
    assert not any(verdict[0] is Indication.TOTAL_PASSED for verdict in cold.values())

    with Verifier(trusted_policy, workers=1) as worker:  # one worker: every document meets its caches
        for _ in range(2):  # warm from a valid document of the same PKI, and from each other
            assert worker.verify(signed_document).indication is Indication.TOTAL_PASSED
            for name, data in documents.items():
                assert _verdict(worker.verify(data)) == cold[name], name
        issued = {name: _verdict(worker.verify(data, issued_as_is=True)) for name, data in documents.items()}
    for name, data in documents.items():
        assert issued[name] == _verdict(verify_document(data, trusted_policy, WorkerCaches(), issued_as_is=True)), name


def _validate(data: bytes, policy: VerificationPolicy, caches: WorkerCaches, moment, crls=None):
    """pyHanko's validation of the first signer's certificate in ``data``, as the engine has it
    done (context from the worker's caches, the signature's own certificates registered);
    ``crls`` replaces the document's CRLs."""
    reader = open_pdf(data)
    doc = Document(data, reader, policy, caches, [])
    doc.read_dss()
    if crls is not None:
        doc.dss_crls = [caches.crl(der) for der in crls]
    found = generic_cms.extract_certs_for_validation(reader.embedded_signatures[0].signed_data)
    context = caches.validation_context(doc, moment=moment, hard_fail=True)
    context.certificate_registry.register_multiple(found.other_certs)
    paths = context.path_builder.async_build_paths_lazy(found.signer_cert)
    return asyncio.run(generic_cms.validate_cert_usage(found.signer_cert, context, KeyUsageConstraints(), paths))


def _answer(outcome) -> tuple:
    return outcome.error_subindic, outcome.success_result is not None


@pytest.fixture(scope="module")
def short_lived(trusted_pki) -> bytes:
    """B-LTA by a signer whose certificate is valid for an hour either side of now."""
    ca, now = certs.trusted_ca(trusted_pki), certs.now()
    signer = certs.issue(ca, "Người ký ngắn hạn", now - timedelta(hours=1), now + timedelta(hours=1))
    signed = certs.sign(unsigned_pdf(), signer, trusted_pki.tsa_url)
    return certs.with_validation_data(signed, trusted_pki.tsa_url, certs.issuer_crls(trusted_pki))


def test_an_outcome_is_reused_within_its_time_gap_and_not_past_an_expiry(reused_outcomes, trusted_policy, short_lived):
    caches, now = WorkerCaches(), certs.now()
    first = _validate(short_lived, trusted_policy, caches, now + timedelta(minutes=1))
    assert _answer(first) == (None, True)
    assert _validate(short_lived, trusted_policy, caches, now + timedelta(minutes=2)) is first  # reused

    later = now + timedelta(hours=2)  # past the signer's notAfter, nothing else changed
    warm = _validate(short_lived, trusted_policy, caches, later)
    assert warm is not first and _answer(warm) == _answer(_validate(short_lived, trusted_policy, WorkerCaches(), later))
    assert _answer(warm)[0] is not None


def test_other_revocation_data_is_another_validation(reused_outcomes, trusted_pki, trusted_policy):
    ca, now = certs.trusted_ca(trusted_pki), certs.now()
    signer = certs.issue(ca, "Người ký bị thu hồi sau", now - timedelta(days=10), now + timedelta(days=400),
                         crl_url="http://127.0.0.1:9/ca.crl")
    bystander = certs.issue(ca, "Người khác", now - timedelta(days=10), now + timedelta(days=400))
    revoking = certs.revocation_list(ca, signer, now - timedelta(days=1))
    good = certs.revocation_list(ca, bystander, now - timedelta(days=1))  # same CA, does not list the signer
    root_crls = certs.issuer_crls(trusted_pki)
    signed = certs.sign(unsigned_pdf(), signer, trusted_pki.tsa_url)
    document = certs.with_validation_data(signed, trusted_pki.tsa_url, root_crls)
    caches, moment = WorkerCaches(), certs.now()

    assert _answer(_validate(document, trusted_policy, caches, moment, root_crls + (good,))) == (None, True)
    warm = _validate(document, trusted_policy, caches, moment, root_crls + (revoking,))
    cold = _validate(document, trusted_policy, WorkerCaches(), moment, root_crls + (revoking,))
    assert _answer(warm) == _answer(cold) and _answer(cold)[0] is not None and warm.revo_details is not None


def test_other_trust_roots_are_another_validation(reused_outcomes, trusted_policy, certificate_cases):
    document = certificate_cases["look_alike_root"]
    carried = generic_cms.extract_certs_for_validation(open_pdf(document).embedded_signatures[0].signed_data)
    look_alike_root = next(c for c in carried.other_certs if c.self_signed in ("yes", "maybe"))
    trusting_it = VerificationPolicy.from_certificates([x509.Certificate.load(look_alike_root.dump())])
    caches, moment = WorkerCaches(), certs.now()

    assert _answer(_validate(document, trusting_it, caches, moment)) == (None, True)
    warm = _validate(document, trusted_policy, caches, moment)
    assert _answer(warm) == _answer(_validate(document, trusted_policy, WorkerCaches(), moment))
    assert _answer(warm)[1] is False


def test_a_certificate_without_expiry_is_validated_and_reused(reused_outcomes, trusted_pki, trusted_policy):
    ca, now = certs.trusted_ca(trusted_pki), certs.now()
    forever = datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone.utc)  # RFC 5280 4.1.2.5: no expiry date
    signer = certs.issue(ca, "Người ký không hết hạn", now - timedelta(days=1), forever)
    document = certs.with_validation_data(
        certs.sign(unsigned_pdf(), signer, trusted_pki.tsa_url), trusted_pki.tsa_url, certs.issuer_crls(trusted_pki)
    )
    caches = WorkerCaches()
    first = _validate(document, trusted_policy, caches, now + timedelta(minutes=1))
    assert _answer(first) == _answer(_validate(document, trusted_policy, WorkerCaches(), now + timedelta(minutes=1)))
    assert _answer(first) == (None, True)
    assert _validate(document, trusted_policy, caches, now + timedelta(minutes=2)) is first


def test_nothing_is_reused_when_fetching_is_allowed(reused_outcomes, trusted_pki, short_lived):
    fetching = VerificationPolicy.from_certificates([trusted_pki.root_cert_path.read_bytes()], allow_fetching=True)
    caches = WorkerCaches()
    _validate(short_lived, fetching, caches, None)
    assert len(caches.path_outcomes) == 0
