"""`POST /api/v1/verify` on the service's own results, really signed by the batch pipeline: the
report names the registered result; a flipped byte, a page added after issue, a foreign root and
an annulment each give the verdict a verifier must see. Runs on SQLite, and on PostgreSQL when
WALLET_TEST_DATABASE_URL is set."""
from __future__ import annotations

import datetime as dt
import hashlib
from zoneinfo import ZoneInfo

from tests.verify_service.conftest import AGENCY1, annul, signed_pdf, with_added_page, with_flipped_byte
from wallet_service.platform.ui import TIME_ZONE
from wallet_service.verify.registry import MAX_REVISIONS, mask_name, revision_hashes
from wallet_service.dev.demo import demo_code


def post_pdf(client, data: bytes, lang: str = "en", name: str = "result.pdf"):
    return client.post(
        "/api/v1/verify",
        data={"document": (__import__("io").BytesIO(data), name, "application/pdf")},
        headers={"Accept-Language": lang},
        content_type="multipart/form-data",
    )


def test_the_services_own_signed_result_passes_and_names_the_result(app, client, signed_result):
    pdf = signed_pdf(app, signed_result)
    response = post_pdf(client, pdf)

    assert response.status_code == 200, response.get_json()
    report = response.get_json()
    assert (report["indication"], report["sub_indication"]) == ("TOTAL-PASSED", None)
    assert report["file_sha256"] == hashlib.sha256(pdf).hexdigest() == signed_result.signed_sha256
    assert [s["signer"]["common_name"] for s in report["signatures"]] == ["Nguyễn Văn An", AGENCY1]
    assert all(s["pades_level"] in ("B-LT", "B-LTA") and s["trusted"] for s in report["signatures"])
    # revocation told as it was checked: the OCSP responses the result carries
    assert [(s["revocation"], s["revocation_source"]) for s in report["signatures"]] == [("good", "embedded_ocsp")] * 2
    assert len(report["document_timestamps"]) == 1
    registry = report["registry"]
    assert registry["result_id"] == signed_result.id
    assert registry["dossier_code"] == demo_code("000.00.15.H40", 1)
    assert registry["agency"] == {"code": "000.00.15.H40", "name": AGENCY1}
    assert registry["title"] == "Giấy chứng nhận đăng ký hộ kinh doanh"
    assert registry["citizen_name"] == "L** T** H**"
    assert registry["status"] == signed_result.status and registry["annulled"] is False and registry["match"] == "exact"
    assert registry["verification_url"].endswith(f"/v/{signed_result.id}")
    assert report["registry_message"] == registry["message"]
    assert "has not been annulled" in registry["message"]


def test_the_officials_signature_says_it_was_judged_at_the_document_timestamp(app, client, signed_result):
    """The official signs B-B (no timestamp of its own): its certificate is judged at the document
    timestamp's time, so the result stays valid after the embedded OCSP responses go stale."""
    pdf = signed_pdf(app, signed_result)
    vi, en = post_pdf(client, pdf, "vi").get_json(), post_pdf(client, pdf, "en").get_json()

    stamp_time = en["document_timestamps"][0]["timestamp"]["time"]
    official, seal = en["signatures"]
    assert official["timestamp"] is None and official["validation_time"] == stamp_time
    assert seal["validation_time"] == seal["timestamp"]["time"]
    (text_en,) = [f["text"] for f in official["findings"] if f["code"] == "finding.judged_at_document_timestamp"]
    (text_vi,) = [f["text"] for f in vi["signatures"][0]["findings"] if f["code"] == "finding.judged_at_document_timestamp"]
    assert text_vi.startswith("Chữ ký không có dấu thời gian tin cậy của riêng mình: chứng thư số và tình trạng thu hồi "
                              "được kiểm tra tại thời điểm " + stamp_time)
    assert text_en.startswith("The signature has no trusted timestamp of its own")
    assert not any(f["code"] == "finding.judged_at_document_timestamp" for f in seal["findings"])


def test_messages_follow_accept_language(app, client, signed_result):
    pdf = signed_pdf(app, signed_result)
    vi, en = post_pdf(client, pdf, "vi-VN,vi;q=0.9").get_json(), post_pdf(client, pdf, "en-GB").get_json()

    assert (vi["message"], en["message"]) == ("Hợp lệ", "Valid")
    assert "chưa bị thu hồi" in vi["registry"]["message"] and "not been annulled" in en["registry"]["message"]
    assert vi["registry"]["result_id"] == en["registry"]["result_id"]
    assert post_pdf(client, pdf, "fr").get_json()["message"] == "Hợp lệ"  # the service's default language


def test_a_flipped_byte_fails_and_is_not_the_registered_document(app, client, signed_result):
    report = post_pdf(client, with_flipped_byte(signed_pdf(app, signed_result))).get_json()

    assert (report["indication"], report["sub_indication"]) == ("TOTAL-FAILED", "HASH_FAILURE")
    assert report["registry"] is None  # these bytes were never issued...
    # ...but they carry the signatures made for this result: the verifier is sent to it.
    copied = report["copied_from"]
    assert (copied["result_id"], copied["match"]) == (signed_result.id, "signature_copy")
    assert report["registry_message"] == copied["message"]
    assert "is NOT the document" in copied["message"] and copied["verification_url"] in copied["message"]
    assert 'wallet_verifications_total{indication="TOTAL-FAILED",kind="pdf"} 1.0' in client.get("/metrics").get_data(as_text=True)


def test_an_altered_pdf_signed_in_our_name_but_from_no_issued_document_is_named_as_such(app, client, signed_result):
    from sqlalchemy import delete

    from wallet_service.models import ResultSignature, db

    pdf = with_flipped_byte(signed_pdf(app, signed_result))
    db.session.execute(delete(ResultSignature))  # as if signed elsewhere with our agency's key
    db.session.commit()
    report = post_pdf(client, pdf).get_json()

    assert report["registry"] is None and report["copied_from"] is None
    assert AGENCY1 in report["registry_message"] and "not a document this service issued" in report["registry_message"]


def test_a_page_added_after_issue_fails_but_is_traced_to_the_result(app, client, signed_result):
    report = post_pdf(client, with_added_page(signed_pdf(app, signed_result))).get_json()

    assert (report["indication"], report["sub_indication"]) == ("TOTAL-FAILED", "FORMAT_FAILURE")
    assert report["modified_after_signing"] is True
    assert report["signatures"][0]["changes_after_signing"]["pages_added"] == [2]  # after the one-page result
    assert report["registry"]["result_id"] == signed_result.id
    assert report["registry"]["match"] == "earlier_revision"
    assert "changes appended after it was issued" in report["registry"]["message"]


def test_a_document_from_an_untrusted_root_is_indeterminate(app, client, demo, foreign_document):
    report = post_pdf(client, foreign_document).get_json()

    assert (report["indication"], report["sub_indication"]) == ("INDETERMINATE", "NO_CERTIFICATE_CHAIN_FOUND")
    assert report["registry"] is None and report["copied_from"] is None
    assert report["signatures"][0]["signer"]["common_name"] == "Trần Thị Bình"
    # It names a real agency of ours (Sở Xây dựng), yet this service never issued it.
    assert "Sở Xây dựng tỉnh Quảng Ninh" in report["registry_message"]


def test_an_annulled_result_is_never_reported_as_passed(app, client, signed_result):
    pdf = signed_pdf(app, signed_result)
    annul(app, signed_result, "Cấp nhầm người nhận")

    en = post_pdf(client, pdf).get_json()
    vi = post_pdf(client, pdf, "vi").get_json()

    assert (en["indication"], en["sub_indication"]) == ("TOTAL-FAILED", "ANNULLED")
    assert en["signatures_indication"] == "TOTAL-PASSED"  # the signatures themselves are intact
    assert all(s["indication"] == "TOTAL-PASSED" for s in en["signatures"])
    registry = en["registry"]
    assert (registry["status"], registry["annulled"]) == ("annulled", True)
    assert registry["annulment_reason"] == "Cấp nhầm người nhận"
    annulled_on = dt.datetime.fromisoformat(registry["annulled_at"]).astimezone(ZoneInfo(TIME_ZONE))
    assert annulled_on.strftime("%d/%m/%Y") == registry["message"].split(" on ")[1][:10]  # dd/mm/yyyy, local
    assert en["summary"] == "Invalid: the issuing agency has annulled this result."
    assert registry["message"].startswith("ANNULLED:") and "Cấp nhầm người nhận" in registry["message"]
    assert vi["summary"] == "Không hợp lệ: cơ quan cấp đã thu hồi kết quả này."
    assert vi["registry"]["message"].startswith("ĐÃ THU HỒI:")


def test_an_annulled_result_with_a_page_added_is_still_reported_annulled(app, client, signed_result):
    annul(app, signed_result)
    report = post_pdf(client, with_added_page(signed_pdf(app, signed_result))).get_json()

    assert (report["indication"], report["sub_indication"]) == ("TOTAL-FAILED", "ANNULLED")
    assert report["registry"]["annulled"] is True and report["registry"]["match"] == "earlier_revision"


def test_revision_hashes_are_the_prefixes_ending_at_each_eof():
    first = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
    second = first + b"2 0 obj\n<<>>\nendobj\n%%EOF"
    hashes = revision_hashes(second + b"\r\n")

    assert hashlib.sha256(first).hexdigest() in hashes  # with its end-of-line
    assert hashlib.sha256(first[:-1]).hexdigest() in hashes  # and without
    assert hashlib.sha256(second).hexdigest() in hashes and hashlib.sha256(second + b"\r\n").hexdigest() in hashes
    assert len(revision_hashes(b"%%EOF\n" * 5000)) == 2 * MAX_REVISIONS  # hostile repetition is capped


def test_a_hostile_file_with_many_revision_ends_is_looked_up_without_error(app, client, signed_result):
    pdf = signed_pdf(app, signed_result) + b"\n%%EOF\n" * 3000  # trailing junk after the last revision
    response = post_pdf(client, pdf)

    assert response.status_code == 200, response.get_json()
    assert response.get_json()["registry"]["match"] == "earlier_revision"


def test_the_citizen_name_is_masked_to_initials():
    assert mask_name("Lê Thị Hoa") == "L** T** H**"
    assert mask_name("  Phạm   Văn Minh ") == "P** V** M**"
