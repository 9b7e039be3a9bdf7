"""The development PKI: issuance, idempotency, and its live TSA/OCSP/CRL services."""

from __future__ import annotations

import asyncio
import hashlib
import os
from pathlib import Path

import pytest
import requests
from asn1crypto import tsp, x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509 import ocsp
from cryptography.x509.oid import NameOID
from pyhanko_certvalidator import CertificateValidator, ValidationContext

from adapters.devpki import (
    DEMO_IDENTITIES,
    DevPkiError,
    DevPkiIdentity,
    ensure_dev_pki,
    load_dev_pki,
)


def _cert(path):
    return x509.load_pem_x509_certificate(path.read_bytes())


def test_demo_identities_have_vietnamese_subjects_and_urls(dev_pki):
    cert = _cert(dev_pki.certificate_path("official1"))
    subject = cert.subject
    assert subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "Nguyễn Văn An"
    assert (subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value
            == "Trung tâm Phục vụ hành chính công phường Hạ Long")
    assert subject.get_attributes_for_oid(NameOID.LOCALITY_NAME)[0].value == "Quảng Ninh"
    assert subject.get_attributes_for_oid(NameOID.COUNTRY_NAME)[0].value == "VN"
    aia = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    urls = [d.access_location.value for d in aia]
    assert all(u.startswith(dev_pki.services_base_url + "/") for u in urls)
    seal = _cert(dev_pki.certificate_path("000.00.04.H40"))
    assert seal.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "Sở Xây dựng tỉnh Quảng Ninh"
    assert seal.public_key().key_size == 2048
    # issued by the agency CA, which chains to the root
    ca, root = _cert(dev_pki.ca_cert_path), _cert(dev_pki.root_cert_path)
    cert.verify_directly_issued_by(ca)
    ca.verify_directly_issued_by(root)


def test_pkcs12_holds_key_and_chain(dev_pki):
    key, cert, chain = pkcs12.load_key_and_certificates(
        dev_pki.pkcs12_path("000.00.15.H40").read_bytes(), dev_pki.pkcs12_passphrase())
    assert cert == _cert(dev_pki.certificate_path("000.00.15.H40"))
    assert key.public_key().public_numbers() == cert.public_key().public_numbers()
    assert {c.subject for c in chain} == {_cert(dev_pki.ca_cert_path).subject,
                                          _cert(dev_pki.root_cert_path).subject}
    with pytest.raises(ValueError):
        pkcs12.load_key_and_certificates(dev_pki.pkcs12_path("official1").read_bytes(), b"wrong")


def test_keys_and_passphrase_are_private_files(dev_pki):
    for path in [*(dev_pki.directory / "keys").iterdir(), dev_pki.directory / "passphrase",
                 *(dev_pki.directory / "p12").iterdir()]:
        assert os.stat(path).st_mode & 0o077 == 0, path


def test_ocsp_responder_answers_good(dev_pki):
    cert = _cert(dev_pki.certificate_path("official2"))
    ca = _cert(dev_pki.ca_cert_path)
    req = ocsp.OCSPRequestBuilder().add_certificate(cert, ca, hashes.SHA1()).build()
    aia = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    url = next(d.access_location.value for d in aia
               if d.access_method == x509.oid.AuthorityInformationAccessOID.OCSP)
    resp = requests.post(url, data=req.public_bytes(serialization.Encoding.DER),
                         headers={"Content-Type": "application/ocsp-request"}, timeout=10)
    assert resp.status_code == 200
    answer = ocsp.load_der_ocsp_response(resp.content)
    assert answer.response_status == ocsp.OCSPResponseStatus.SUCCESSFUL
    assert answer.certificate_status == ocsp.OCSPCertStatus.GOOD
    assert answer.serial_number == cert.serial_number


def test_crl_and_ca_cert_download(dev_pki):
    ca = _cert(dev_pki.ca_cert_path)
    crl_resp = requests.get(f"{dev_pki.services_base_url}/dev/crls/ca/latest.crl", timeout=10)
    assert crl_resp.status_code == 200
    crl = x509.load_der_x509_crl(crl_resp.content)
    assert crl.is_signature_valid(ca.public_key())
    assert len(crl) == 0
    ca_resp = requests.get(f"{dev_pki.services_base_url}/dev/certs/ca/ca.crt", timeout=10)
    assert x509.load_der_x509_certificate(ca_resp.content) == ca


def test_tsa_issues_rfc3161_token(dev_pki):
    digest = hashlib.sha256(b"hello").digest()
    req = tsp.TimeStampReq({
        "version": 1,
        "message_imprint": {"hash_algorithm": {"algorithm": "sha256"}, "hashed_message": digest},
        "nonce": 12345, "cert_req": True,
    })
    resp = requests.post(dev_pki.tsa_url, data=req.dump(),
                         headers={"Content-Type": "application/timestamp-query"}, timeout=10)
    token = tsp.TimeStampResp.load(resp.content)
    assert token["status"]["status"].native == "granted"
    tst_info = token["time_stamp_token"]["content"]["encap_content_info"]["content"].parsed
    assert tst_info["message_imprint"]["hashed_message"].native == digest
    assert tst_info["nonce"].native == 12345


def test_full_chain_validates_with_fetched_revocation(dev_pki):
    """pyHanko's validator follows the embedded AIA/CRL URLs to our live services."""
    root = asn1_x509.Certificate.load(_cert(dev_pki.root_cert_path).public_bytes(serialization.Encoding.DER))
    ca = asn1_x509.Certificate.load(_cert(dev_pki.ca_cert_path).public_bytes(serialization.Encoding.DER))
    ee = asn1_x509.Certificate.load(
        _cert(dev_pki.certificate_path("official1")).public_bytes(serialization.Encoding.DER))
    vc = ValidationContext(trust_roots=[root], other_certs=[ca], allow_fetching=True,
                           revocation_mode="require")
    path = asyncio.run(CertificateValidator(ee, validation_context=vc)
                       .async_validate_usage({"non_repudiation"}))
    assert path.leaf == ee
    assert len(path) == 3


def test_ensure_is_idempotent_and_extends(tmp_path):
    base = "http://127.0.0.1:1/dev-pki"
    first = ensure_dev_pki(tmp_path, base, DEMO_IDENTITIES[:2])
    root_pem = first.root_cert_path.read_bytes()
    off1 = first.certificate_path("official1").read_bytes()
    again = ensure_dev_pki(tmp_path, base, DEMO_IDENTITIES[:2])
    assert again == first
    assert again.root_cert_path.read_bytes() == root_pem
    extra = DevPkiIdentity("official9", "official", "Đỗ Thị Ánh", "Sở Xây dựng tỉnh Quảng Ninh",
                           key_type="ecdsa-p256")
    extended = ensure_dev_pki(tmp_path, base, [*DEMO_IDENTITIES, extra])
    assert extended.root_cert_path.read_bytes() == root_pem
    assert extended.certificate_path("official1").read_bytes() == off1  # same serial, same bytes
    assert _cert(extended.certificate_path("official9")).public_key().curve.name == "secp256r1"
    assert load_dev_pki(tmp_path) == extended


def test_changed_base_url_reissues_with_same_keys(tmp_path):
    old = ensure_dev_pki(tmp_path, "http://127.0.0.1:1/dev-pki", DEMO_IDENTITIES)
    old_cert = _cert(old.certificate_path("official1"))
    new = ensure_dev_pki(tmp_path, "https://wallet.example.vn/dev-pki", DEMO_IDENTITIES)
    new_cert = _cert(new.certificate_path("official1"))
    assert new.tsa_url.startswith("https://wallet.example.vn/dev-pki/")
    assert new_cert.public_key().public_numbers() == old_cert.public_key().public_numbers()
    aia = new_cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    assert all(d.access_location.value.startswith("https://wallet.example.vn/") for d in aia)


def test_missing_and_unknown_are_clear_errors(tmp_path, dev_pki):
    with pytest.raises(DevPkiError) as err:
        load_dev_pki(tmp_path / "nothing")
    assert err.value.code == "dev_pki_missing"
    with pytest.raises(DevPkiError) as err:
        dev_pki.pkcs12_path("official42")
    assert err.value.code == "dev_pki_unknown_identity"
    with pytest.raises(DevPkiError) as err:
        ensure_dev_pki(tmp_path / "x", "http://h", [DevPkiIdentity("k", "robot", "a", "b")])
    assert err.value.code == "dev_pki_bad_identity"


def _ensure_in_process(directory: str) -> bytes:
    pki = ensure_dev_pki(Path(directory), "http://127.0.0.1:1/dev-pki", DEMO_IDENTITIES)
    return pki.certificate_path("official1").read_bytes()


def test_concurrent_first_starts_agree(tmp_path):
    """Several server processes starting at once end with one PKI, keys matching certs."""
    import concurrent.futures
    import multiprocessing

    with concurrent.futures.ProcessPoolExecutor(
            3, mp_context=multiprocessing.get_context("spawn")) as pool:
        certs = list(pool.map(_ensure_in_process, [str(tmp_path)] * 3))
    assert certs[0] == certs[1] == certs[2]
    pki = load_dev_pki(tmp_path)
    key, cert, _ = pkcs12.load_key_and_certificates(
        pki.pkcs12_path("official1").read_bytes(), pki.pkcs12_passphrase())
    assert cert.public_bytes(serialization.Encoding.PEM) == certs[0]
    assert key.public_key().public_numbers() == cert.public_key().public_numbers()
