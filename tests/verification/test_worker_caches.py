"""What a warm worker keeps between documents must never change an answer: prepared
certificate names, report descriptions of certificates, and a worker that has already
passed a document must still fail an altered copy or a look-alike from an untrusted PKI."""

from __future__ import annotations

from io import BytesIO

import pytest
from asn1crypto import x509
from pyhanko.pdf_utils.reader import PdfFileReader

from tests.verification.documents import load_certificate
from verification import Indication, Integrity, Verifier
from verification.caches import BoundedCache, WorkerCaches
from verification.signature_facts import certificate_info
from verification.names import memoise_name_keys, memoise_name_preparation


@pytest.fixture
def memoised_names(monkeypatch):
    """The worker's name memos (values, whole names), installed for one test and removed after it."""
    monkeypatch.setattr(x509.NameTypeAndValue, "_ldap_string_prep", x509.NameTypeAndValue._ldap_string_prep)
    monkeypatch.setattr(x509.Name, "hashable", x509.Name.hashable)
    monkeypatch.setattr(x509.Name, "__eq__", x509.Name.__eq__)
    memo: BoundedCache[str, str] = BoundedCache(4)
    memoise_name_preparation(memo)
    memoise_name_keys(BoundedCache(2))
    return memo


def _name(common_name: str, organization: str = "Ủy ban nhân dân tỉnh Quảng Ninh") -> x509.Name:
    # a fresh object each time, as pyHanko's copies of certificates are
    return x509.Name.load(x509.Name.build({"common_name": common_name, "organization_name": organization}).dump())


def test_memoised_names_compare_as_rfc5280_says(memoised_names):
    for _ in range(3):  # the same answers from the memo as on first preparation
        assert _name("Nguyễn Văn An") == _name("  nguyễn   văn an ")  # case and spaces fold
        assert _name("Nguyễn Văn An") != _name("Nguyễn Văn Ân")  # a different tone mark is another name
        assert _name("Nguyễn Văn An") != _name("Nguyễn Văn An", organization="Sở Tư pháp")
    assert 0 < len(memoised_names) <= 4  # bounded


def _one_rdn(*common_names: str) -> x509.Name:
    """A name of one multi-valued RDN holding these common names."""
    values = [x509.NameTypeAndValue({"type": "common_name", "value": x509.DirectoryString(name="utf8_string", value=v)})
              for v in common_names]
    return x509.Name.load(x509.Name(name="", value=x509.RDNSequence([x509.RelativeDistinguishedName(values)])).dump())


def test_memoised_names_count_the_values_of_each_rdn(memoised_names):
    for _ in range(2):  # a repeated value is another name, as RFC 5280 compares them
        assert _one_rdn("Nguyễn Văn An") == _one_rdn("nguyễn văn an")
        assert _one_rdn("Nguyễn Văn An") != _one_rdn("Nguyễn Văn An", "Nguyễn Văn An")


def test_memoised_names_still_refuse_prohibited_characters(memoised_names):
    for _ in range(2):  # refused every time: a failure is not stored
        with pytest.raises(ValueError):
            _name("private use \ue000") == _name("anything")  # noqa: B015
    assert all("\ue000" not in key for key in memoised_names._items)


def test_certificate_descriptions_are_per_certificate(trusted_pki, foreign_pki):
    caches = WorkerCaches()
    ours, theirs = load_certificate(trusted_pki.root_cert_path), load_certificate(foreign_pki.root_cert_path)
    described = caches.description(ours, certificate_info)

    # a fresh parse of the same DER gets the same description; another certificate its own
    assert caches.description(x509.Certificate.load(ours.dump()), certificate_info) is described
    other = caches.description(theirs, certificate_info)
    assert other.sha256 == theirs.sha256.hex() and described.sha256 == ours.sha256.hex()
    assert other != described


def _signer_sha256(document: bytes, index: int = 0) -> str:
    return PdfFileReader(BytesIO(document)).embedded_signatures[index].signer_cert.sha256.hex()


def test_a_warm_worker_still_fails_altered_and_untrusted_documents(trusted_policy, signed_document, foreign_document):
    flipped = bytearray(signed_document)
    flipped[signed_document.index(b"(", signed_document.index(b"/Producer")) + 2] ^= 0x20

    with Verifier(trusted_policy, workers=1) as one_worker:  # one worker: every document meets its caches
        assert one_worker.verify(signed_document).indication is Indication.TOTAL_PASSED

        altered = one_worker.verify(bytes(flipped))
        assert (altered.indication, altered.sub_indication) == (Indication.TOTAL_FAILED, "HASH_FAILURE")
        assert all(s.integrity is Integrity.BROKEN for s in altered.signatures + altered.document_timestamps)

        foreign = one_worker.verify(foreign_document)
        assert (foreign.indication, foreign.sub_indication) == (Indication.INDETERMINATE, "NO_CERTIFICATE_CHAIN_FOUND")
        assert not any(s.trusted for s in foreign.signatures + foreign.document_timestamps)
        assert foreign.signatures[0].signer.sha256 == _signer_sha256(foreign_document)

        again = one_worker.verify(signed_document)
        assert again.indication is Indication.TOTAL_PASSED
        assert again.signatures[0].signer.sha256 == _signer_sha256(signed_document)
