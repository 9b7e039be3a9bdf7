"""The signer certificate's status named as ETSI EN 319 102-1 names it, and revocation told as
it was checked: documents shaped like the service's results (signature, validation data,
document timestamp) whose only flaw is the signer's certificate."""

from __future__ import annotations

import pytest

from verification import Indication, RevocationStatus

FAILED, INDETERMINATE = Indication.TOTAL_FAILED, Indication.INDETERMINATE


def _finding_texts(signature) -> dict[str, tuple[str, str]]:
    return {m.code: (m.to_dict("en")["text"], m.to_dict("vi")["text"]) for m in signature.findings}


CASES = [
    ("expired", FAILED, "EXPIRED", "finding.signed_after_expiry",
     "A trusted timestamp proves the signature was made after its certificate expired",
     "Dấu thời gian tin cậy chứng minh chữ ký được tạo sau khi chứng thư số hết hạn"),
    ("expired_unproven", INDETERMINATE, "OUT_OF_BOUNDS_NO_POE", "finding.certificate_expired",
     "The signer's certificate expired on", "Chứng thư số của người ký đã hết hạn vào"),
    ("expired_backdated", INDETERMINATE, "OUT_OF_BOUNDS_NO_POE", "finding.certificate_expired",
     "The signer's certificate expired on", "Chứng thư số của người ký đã hết hạn vào"),
    ("not_yet_valid", FAILED, "NOT_YET_VALID", "finding.signed_before_certificate",
     "A trusted timestamp proves the signature was made before its certificate became valid",
     "Dấu thời gian tin cậy chứng minh chữ ký được tạo trước khi chứng thư số có hiệu lực"),
    ("not_yet_valid_unproven", INDETERMINATE, "NOT_YET_VALID", "finding.certificate_not_yet_valid",
     "The signer's certificate is valid only from", "Chứng thư số của người ký chỉ có hiệu lực từ"),
    ("revoked", FAILED, "REVOKED", "finding.revoked_before_signing",
     "A trusted timestamp proves the signature was made after its certificate was revoked.",
     "Dấu thời gian tin cậy chứng minh chữ ký được tạo sau khi chứng thư số đã bị thu hồi."),
    ("revoked_unproven", INDETERMINATE, "REVOKED_NO_POE", "finding.revoked",
     "The certificate was revoked on", "Chứng thư số đã bị thu hồi vào"),
    ("look_alike_root", INDETERMINATE, "NO_CERTIFICATE_CHAIN_FOUND", "finding.untrusted",
     "The signer's certificate does not chain up to a configured trusted root.",
     "Chứng thư số của người ký không thuộc chuỗi của chứng thư gốc tin cậy đã cấu hình."),
]
"""(document, indication, sub-indication, finding, its English and Vietnamese text)."""


@pytest.mark.parametrize(
    ("case", "indication", "sub_indication", "finding", "english", "vietnamese"), CASES, ids=[c[0] for c in CASES]
)
def test_the_signer_certificate_status_is_named(verifier, certificate_cases, case, indication, sub_indication,
                                                finding, english, vietnamese):
    report = verifier.verify(certificate_cases[case])

    assert (report.indication, report.sub_indication) == (indication, sub_indication)  # the primary cause
    (signature,) = report.signatures
    assert (signature.indication, signature.sub_indication) == (indication, sub_indication)
    assert not signature.trusted and signature.chain == ()
    en, vi = _finding_texts(signature)[finding]
    assert en.startswith(english) and vi.startswith(vietnamese)
    assert report.document_timestamps[0].indication is Indication.TOTAL_PASSED  # only the signer is at fault
    assert not any("Error" in text for pair in _finding_texts(signature).values() for text in pair)


def test_a_revoked_signer_says_where_its_revocation_was_read(verifier, certificate_cases):
    signature = verifier.verify(certificate_cases["revoked"]).signatures[0]

    assert signature.revocation is RevocationStatus.REVOKED
    assert signature.to_dict("en")["revocation_source"] == "embedded_crl"


def test_a_signer_whose_revocation_was_not_checked_is_not_reported_good(verifier, certificate_cases):
    report = verifier.verify(certificate_cases["no_revocation_source"])

    assert (report.indication, report.sub_indication) == (INDETERMINATE, "TRY_LATER")
    signature = report.signatures[0]
    assert signature.trusted and signature.revocation is RevocationStatus.UNKNOWN
    body_en, body_vi = signature.to_dict("en"), signature.to_dict("vi")
    assert (body_en["revocation"], body_en["revocation_source"]) == ("unknown", "none")
    codes = [f["code"] for f in body_en["findings"]]
    assert "finding.revocation_not_checked" in codes and not any(c.startswith("finding.revocation_good") for c in codes)
    en, vi = _finding_texts(signature)["finding.revocation_not_checked"]
    assert en.startswith("Revocation not checked / unknown")
    assert vi.startswith("Chưa kiểm tra / không rõ tình trạng thu hồi")
    assert body_vi["message"] == "Chưa xác định được tính hợp lệ: không có thông tin thu hồi (OCSP hoặc CRL) cho một chứng thư số"


def test_a_genuine_result_names_the_embedded_ocsp_it_was_checked_with(verifier, signed_document):
    report = verifier.verify(signed_document)

    assert report.indication is Indication.TOTAL_PASSED
    for signature in report.signatures + report.document_timestamps:
        assert (signature.revocation, signature.revocation_source.value) == (RevocationStatus.GOOD, "embedded_ocsp")
    texts = _finding_texts(report.signatures[0])["finding.revocation_good_embedded_ocsp"]
    assert texts == (
        "Not revoked at the signing time (checked with an OCSP response embedded in the document).",
        "Chưa bị thu hồi tại thời điểm ký (kiểm tra bằng phản hồi OCSP đính kèm trong tài liệu).",
    )
