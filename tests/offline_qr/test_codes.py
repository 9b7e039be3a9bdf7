"""The offline code as a third party reads it: the claims of a result signed by an agency's key
(ES256 or RS256), checked against a trust list; every kind of bad code refused, in bounded time."""
from __future__ import annotations

import datetime as dt
import hashlib
import os
import time
import zlib

import base45
import cbor2
import pytest
import segno

from offline_qr import OfflineCodeError, ResultClaims, Status, TrustedKey, TrustList, issue_codes, verify_code
from offline_qr.envelope import inflate, protected_header, sig_structure, sign1, wrap, wrapped_length
from tests.offline_qr.keys import agency_key, recoded

AGENCY = "000.00.15.H40"
NOW = dt.datetime(2026, 12, 7, 3, 0, tzinfo=dt.timezone.utc)
CLAIMS = ResultClaims(
    result_id="3f0e8a9c-1111-4222-8333-944455556666", agency_code=AGENCY, dossier_code=f"{AGENCY}-251117-0001",
    issued_on=dt.date(2025, 11, 17), signed_at=NOW, pdf_sha256=hashlib.sha256(b"the result").digest(),
    holder_name="Nguyễn Văn An", id_last4="1234", procedure_code="1.001612",
    title=("Giấy chứng nhận đủ điều kiện về an ninh, trật tự để làm ngành, nghề đầu tư kinh doanh có điều kiện "
           "đối với cơ sở kinh doanh dịch vụ lưu trú du lịch tại số 12 đường Bạch Đằng, phường Hạ Long"),
    procedure_name=("Cấp Giấy chứng nhận đủ điều kiện về an ninh, trật tự cho cơ sở kinh doanh thuộc thẩm quyền "
                    "của Công an cấp xã, kèm theo xác nhận phòng cháy chữa cháy và cam kết bảo vệ môi trường"),
)


@pytest.fixture(scope="module")
def keys():
    return {"ec": agency_key("UBND phường Hạ Long", "ec"), "rsa": agency_key("Sở Xây dựng", "rsa"),
            "foreign": agency_key("UBND phường Hạ Long", "ec")}


def trust_list(*sources, annulled=(), issued_at=NOW) -> TrustList:
    return TrustList(issued_at, tuple(TrustedKey(AGENCY, "UBND phường Hạ Long", s.identity().certificate.dump())
                                      for s in sources), frozenset(annulled))


def qr_version(code: str) -> int:
    return segno.make_qr(code, error="m", boost_error=False).version


def test_ecdsa_code_carries_every_claim_long_texts_shortened_within_version_15(keys):
    (code,) = issue_codes(keys["ec"], [CLAIMS])
    assert code.startswith("VN1:") and qr_version(code) <= 15
    verdict = verify_code(code, trust_list(keys["ec"]), NOW)
    assert verdict.status is Status.VALID, verdict
    got = verdict.claims
    assert (got.result_id, got.dossier_code, got.holder_name, got.id_last4) == (
        CLAIMS.result_id, CLAIMS.dossier_code, "Nguyễn Văn An", "1234")
    assert got.pdf_sha256 == CLAIMS.pdf_sha256 and got.issued_on == dt.date(2025, 11, 17)
    assert got.title.endswith("…") and CLAIMS.title.startswith(got.title[:-1])
    assert verdict.agency_name == "UBND phường Hạ Long" and not verdict.trust_list_stale


def test_rsa_code_keeps_the_identifying_claims_within_version_15(keys):
    (code,) = issue_codes(keys["rsa"], [CLAIMS])
    assert qr_version(code) <= 15
    got = verify_code(code, trust_list(keys["rsa"]), NOW).claims
    assert (got.result_id, got.agency_code, got.dossier_code, got.issued_on) == (
        CLAIMS.result_id, AGENCY, CLAIMS.dossier_code, CLAIMS.issued_on)
    assert got.holder_name is None and got.title is None


class CountingKey:
    """A real key source, counting how often the holder's authorisation is asked for."""

    def __init__(self, source):
        self.source, self.authorisations = source, 0

    def __getattr__(self, name):
        return getattr(self.source, name)

    def authorize(self, digests, digest_algorithm):
        self.authorisations += 1
        return self.source.authorize(digests, digest_algorithm)


def test_a_batch_of_codes_is_signed_with_one_authorisation(keys):
    counting = CountingKey(keys["ec"])
    claims = [ResultClaims(f"id-{n}", AGENCY, f"{AGENCY}-251117-{n:04d}", dt.date(2025, 11, 17)) for n in range(20)]
    codes = issue_codes(counting, claims)
    assert counting.authorisations == 1 and len(set(codes)) == 20
    assert [verify_code(c, trust_list(keys["ec"]), NOW).claims.result_id for c in codes] == [c.result_id for c in claims]


def test_altered_claim_and_foreign_keys_are_refused(keys):
    (code,) = issue_codes(keys["ec"], [CLAIMS])
    listed = trust_list(keys["ec"])

    def other_holder(protected, claims):
        claims[-65537][4] = "Trần Văn Giả"
        return protected, claims

    altered = verify_code(recoded(code, other_holder), listed, NOW)
    assert (altered.status, altered.code) == (Status.INVALID, "bad_signature")

    (foreign,) = issue_codes(keys["foreign"], [CLAIMS])
    assert verify_code(foreign, listed, NOW).code == "unknown_key"
    listed_kid = cbor2.loads(zlib.decompress(base45.b45decode(code[4:]))).value[0]
    posing = recoded(foreign, lambda protected, claims: ({**protected, 4: cbor2.loads(listed_kid)[4]}, claims))
    assert verify_code(posing, listed, NOW).code == "bad_signature"


def test_a_code_naming_another_agency_than_its_key_is_refused(keys):
    (code,) = issue_codes(keys["ec"], [ResultClaims("r1", "000.00.04.H40", "000.00.04.H40-1", None)])
    assert verify_code(code, trust_list(keys["ec"]), NOW).code == "agency_mismatch"


def test_annulled_and_stale_trust_list(keys):
    (code,) = issue_codes(keys["ec"], [CLAIMS])
    annulled = verify_code(code, trust_list(keys["ec"], annulled=[CLAIMS.result_id]), NOW)
    assert annulled.status is Status.ANNULLED and annulled.claims.dossier_code == CLAIMS.dossier_code
    old = verify_code(code, trust_list(keys["ec"], issued_at=NOW - dt.timedelta(days=8)), NOW)
    assert old.status is Status.VALID and old.trust_list_stale


def test_unreadable_codes_are_refused_in_bounded_time(keys):
    (code,) = issue_codes(keys["ec"], [CLAIMS])
    listed = trust_list(keys["ec"])
    bomb = "VN1:" + base45.b45encode(zlib.compress(b"\0" * (2 << 20), 9)).decode()  # 2 MiB from 3 kB of text
    cases = {
        "truncated": code[: len(code) * 2 // 3 // 3 * 3 + 1],  # cut on a Base45 group boundary
        "wrong_prefix": "HC1:" + code[4:],
        "not_base45": code[:40] + "a" + code[41:],
        "too_large": bomb,
        "not_cose": wrap(cbor2.dumps({"not": "a COSE message"})),
        "too_long": "VN1:" + "0" * 5000,
    }
    for expected, text in cases.items():
        started = time.perf_counter()
        verdict = verify_code(text, listed, NOW)
        assert (verdict.status, verdict.code) == (Status.UNREADABLE, expected), (expected, verdict)
        assert time.perf_counter() - started < 0.5, expected
    huge = zlib.compress(bytes(32 << 20), 9)  # 32 MiB behind 32 kB: only 4 KiB of it is ever inflated
    started = time.perf_counter()
    with pytest.raises(OfflineCodeError) as refused:
        inflate(huge)
    assert refused.value.code == "too_large" and time.perf_counter() - started < 0.5


def test_code_with_an_unsupported_algorithm_is_refused(keys):
    protected = protected_header(-8, b"12345678")  # EdDSA: not one the agencies use
    payload = cbor2.dumps(CLAIMS.to_cbor())
    text = wrap(sign1(protected, payload, hashlib.sha256(sig_structure(protected, payload)).digest()))
    assert verify_code(text, trust_list(keys["ec"]), NOW).code == "bad_algorithm"


def test_trust_list_is_a_jws_of_the_service(keys, tmp_path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    service = ec.generate_private_key(ec.SECP256R1())
    pem = service.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    public = service.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    listed = trust_list(keys["ec"], annulled=["r-9"])
    token = listed.sign("https://ket-qua.example.vn", pem, "service-kid")
    read = TrustList.read(token, {"service-kid": public})
    assert read == listed
    header, payload, signature = token.split(".")
    forged = ".".join([header, payload[:-4] + ("AAAA" if payload[-4:] != "AAAA" else "BBBB"), signature])
    for bad in (forged, token, "not a jws"):
        with pytest.raises(OfflineCodeError) as refused:
            TrustList.read(bad, {"service-kid": public} if bad != token else {"other": public})
        assert refused.value.code == "bad_trust_list"


@pytest.mark.parametrize("size", [0, 1, 2, 3, 101, 480, 2000])
def test_the_length_used_to_fit_a_code_is_its_text_length(size):
    cose = os.urandom(size // 2) + b"a" * (size - size // 2)
    assert wrapped_length(cose) == len(wrap(cose))
