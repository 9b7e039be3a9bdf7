"""Documents signed B-LTA with real pyHanko signing on the development PKI (live TSA,
OCSP and CRL on loopback), verified by the warm worker pool."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from io import BytesIO

import pytest
import time_machine
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from tests.verification.documents import unsigned_pdf
from verification import (
    ChangeKind,
    Indication,
    Integrity,
    RevocationStatus,
    VerificationPolicy,
    Verifier,
    verify_pdf,
)
from verification.engine import verify_document


def _with_added_page(signed: bytes) -> bytes:
    """An incremental update that appends a blank page, as an editor would."""
    writer = IncrementalPdfFileWriter(BytesIO(signed), strict=False)
    page = generic.DictionaryObject(
        {
            pdf_name("/Type"): pdf_name("/Page"),
            pdf_name("/MediaBox"): generic.ArrayObject(map(generic.NumberObject, (0, 0, 595, 842))),
            pdf_name("/Resources"): generic.DictionaryObject(),
        }
    )
    writer.insert_page(page)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def _flip_byte_in_first_revision(signed: bytes) -> bytes:
    """Change one letter of the document's /Producer, inside every signature's byte range."""
    position = signed.index(b"/Producer")
    position = signed.index(b"(", position) + 2
    copy = bytearray(signed)
    copy[position] ^= 0x20  # swap the case of a letter: same length, still a valid PDF
    return bytes(copy)


def test_b_lta_document_from_the_dev_pki_passes(verifier, signed_document):
    report = verifier.verify(signed_document)

    assert report.indication is Indication.TOTAL_PASSED and report.sub_indication is None
    assert [s.field_name for s in report.signatures] == ["ChuKyCanBo", "ConDauCoQuan"]
    assert len(report.document_timestamps) == 1
    official, seal = report.signatures
    assert (official.signer.common_name, official.signer.organization) == (
        "Nguyễn Văn An",
        "Trung tâm Phục vụ hành chính công phường Hạ Long",
    )
    assert seal.signer.common_name == "Trung tâm Phục vụ hành chính công phường Hạ Long"
    for signature in report.signatures:
        assert signature.integrity is Integrity.INTACT
        assert signature.trusted and signature.revocation is RevocationStatus.GOOD
        assert signature.pades_level == "B-LTA"
        assert signature.timestamp.trusted and signature.timestamp.authority.startswith("Dịch vụ cấp dấu thời gian")
        assert signature.chain[0].common_name.startswith("Root CA") and signature.chain[-1] == signature.signer
        assert not signature.changes.modified
    assert official.changes.kind is ChangeKind.FORM_FILLING
    assert official.changes.later_signatures[0] == "ConDauCoQuan"
    assert seal.changes.kind is ChangeKind.NONE
    assert report.document_timestamps[0].trusted

    # the hashes let the service match a PDF to a result it issued
    assert report.file_sha256 == hashlib.sha256(signed_document).hexdigest()
    _, len1, start2, len2 = official.byte_range
    covered = signed_document[:len1] + signed_document[start2 : start2 + len2]
    assert official.signed_revision_sha256 == hashlib.sha256(covered).hexdigest()


def test_a_flipped_byte_fails_with_hash_failure(verifier, signed_document):
    report = verifier.verify(_flip_byte_in_first_revision(signed_document))

    assert report.indication is Indication.TOTAL_FAILED
    assert report.sub_indication == "HASH_FAILURE"
    assert all(s.integrity is Integrity.BROKEN for s in report.signatures + report.document_timestamps)
    assert "finding.digest_mismatch" in [m.code for m in report.signatures[0].findings]


def test_a_page_added_after_signing_fails(verifier, signed_document):
    report = verifier.verify(_with_added_page(signed_document))

    assert report.indication is Indication.TOTAL_FAILED
    assert report.sub_indication == "FORMAT_FAILURE"
    assert report.modified_after_signing
    for signature in report.signatures + report.document_timestamps:
        assert signature.integrity is Integrity.INTACT  # the signed bytes are untouched
        assert signature.changes.pages_added == (3,)
    assert "finding.pages_added" in [m.code for m in report.signatures[0].findings]


def test_a_document_from_an_untrusted_root_is_indeterminate(verifier, foreign_document):
    report = verifier.verify(foreign_document)

    assert report.indication is Indication.INDETERMINATE
    assert report.sub_indication == "NO_CERTIFICATE_CHAIN_FOUND"
    assert all(s.integrity is Integrity.INTACT and not s.trusted for s in report.signatures)
    assert report.signatures[0].signer.common_name == "Trần Thị Bình"


def test_several_trust_roots_from_one_folder(trusted_pki, foreign_pki, signed_document, foreign_document, tmp_path):
    (tmp_path / "national-root.pem").write_bytes(trusted_pki.root_cert_path.read_bytes())
    (tmp_path / "government-ca.crt").write_bytes(foreign_pki.root_cert_path.read_bytes())
    (tmp_path / "README.txt").write_text("not a certificate; ignored")
    policy = VerificationPolicy.from_folder(tmp_path)
    assert len(policy.trust_roots) == 2

    with Verifier(policy, workers=1) as both:
        assert both.verify(signed_document).indication is Indication.TOTAL_PASSED
        assert both.verify(foreign_document).indication is Indication.TOTAL_PASSED


def test_report_json_is_stable_and_bilingual(verifier, signed_document):
    report = verifier.verify(signed_document)
    vi, en = report.to_dict("vi"), report.to_dict("en")

    assert set(vi) >= {"indication", "sub_indication", "signatures", "document_timestamps", "registry", "summary", "message"}
    assert vi["registry"] is None
    assert vi["message"] == "Hợp lệ" and en["message"] == "Valid"
    assert "Tài liệu hợp lệ" in vi["summary"]
    assert vi["signatures"][0]["findings"][0]["text"].startswith("Nội dung được ký không bị thay đổi")
    # same facts in both languages: only the texts differ
    assert vi["signatures"][0]["signer"] == en["signatures"][0]["signer"]
    assert [f["code"] for f in vi["signatures"][0]["findings"]] == [f["code"] for f in en["signatures"][0]["findings"]]
    annulled = report.with_registry({"status": "annulled"}).to_dict("en")
    assert json.loads(json.dumps(annulled))["registry"] == {"status": "annulled"}


def test_one_shot_verify_pdf(trusted_policy, signed_document):
    assert verify_pdf(signed_document, trusted_policy).indication is Indication.TOTAL_PASSED


def test_unsigned_pdf_gets_no_signature_error(verifier):
    from verification import NoSignatureFound

    with pytest.raises(NoSignatureFound) as caught:
        verifier.verify(unsigned_pdf())
    assert caught.value.code == "no_signature"
    assert "không chứa chữ ký số" in caught.value.message("vi")


@pytest.mark.parametrize("later", [dt.timedelta(days=30), dt.timedelta(days=365 * 5)])
def test_b_lta_document_still_passes_long_after_signing(trusted_policy, signed_document, later):
    """Embedded OCSP responses go stale (the development PKI's after 10 minutes, real ones after
    days); each signature and timestamp is judged at its own time, so the document stays valid
    for as long as its last document timestamp's authority certificate is in force."""
    with time_machine.travel(dt.datetime.now(dt.timezone.utc) + later, tick=False):
        report = verify_document(signed_document, trusted_policy)
    assert (report.indication, report.sub_indication) == (Indication.TOTAL_PASSED, None), report.findings
    assert all(s.revocation is RevocationStatus.GOOD for s in report.signatures)


def test_b_lta_document_after_its_archive_timestamp_expired_needs_a_new_one(trusted_policy, signed_document):
    """Past the TSA certificate's end (10 years for the development TSA), nothing proves the last
    document timestamp today: cannot be confirmed, and the report says what is missing."""
    with time_machine.travel(dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=365 * 11), tick=False):
        report = verify_document(signed_document, trusted_policy)
    assert (report.indication, report.sub_indication) == (Indication.INDETERMINATE, "OUT_OF_BOUNDS_NO_POE")
    assert "finding.last_timestamp_expired" in [f.code for f in report.document_timestamps[0].findings]
