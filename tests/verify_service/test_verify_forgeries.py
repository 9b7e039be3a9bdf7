"""`POST /api/v1/verify` on the service's own results forged after issue without breaking a
signature: the register matches them (an earlier revision is the issued document), so the
issued-document policy applies and each is TOTAL-FAILED with the change named."""
from __future__ import annotations

import pytest

from tests.verification import forgeries
from tests.verify_service.conftest import signed_pdf
from tests.verify_service.test_verify_api import post_pdf


def _all_findings(report) -> list[str]:
    codes = [f["code"] for f in report["document_findings"]]
    for signature in report["signatures"] + report["document_timestamps"]:
        codes += [f["code"] for f in signature["findings"]]
    return codes


def test_the_issued_document_is_judged_by_the_issued_document_policy(app, client, signed_result):
    report = post_pdf(client, signed_pdf(app, signed_result)).get_json()

    assert (report["indication"], report["policy"]) == ("TOTAL-PASSED", "issued-document")
    assert report["document_findings"] == [] and report["bytes_after_end"] == 0


@pytest.mark.parametrize(
    "forge, finding",
    [
        (lambda pdf: forgeries.with_text_field(pdf, "HS-9999"), "finding.form_field_value"),
        (forgeries.with_info_rewritten, "finding.metadata_changed"),
        (forgeries.with_xmp_added, "finding.metadata_changed"),
        (forgeries.with_objects_after_eof, "finding.bytes_after_end"),
        (lambda pdf: forgeries.with_objects_after_eof(pdf, restate_end=True), "finding.bytes_after_end"),
        (lambda pdf: forgeries.with_duplicate_contents(pdf, 0, first=True), "finding.duplicate_keys"),
        (lambda pdf: forgeries.with_duplicate_contents(pdf, 0), "finding.duplicate_keys"),
    ],
    ids=["field-filled", "info-rewritten", "xmp-added", "objects-after-eof", "objects-after-eof-restated",
         "duplicate-contents-before", "duplicate-contents-after"],
)
def test_a_result_forged_after_issue_fails_with_the_change_named(app, client, signed_result, forge, finding):
    forged = forge(signed_pdf(app, signed_result))
    report = post_pdf(client, forged).get_json()

    assert (report["indication"], report["sub_indication"]) == ("TOTAL-FAILED", "FORMAT_FAILURE")
    assert report["policy"] == "issued-document"
    assert report["registry"]["result_id"] == signed_result.id
    assert report["registry"]["match"] == "earlier_revision"
    assert finding in _all_findings(report)
    if finding != "finding.duplicate_keys":  # (a re-declared signature is broken, not "modified")
        assert report["modified_after_signing"] is True


def test_a_refilled_field_names_old_and_new_values_in_vietnamese(app, client, signed_result):
    with_field = forgeries.with_text_field(signed_pdf(app, signed_result), "HS-0001")
    forged = forgeries.with_field_refilled(with_field, "HS-9999")
    report = post_pdf(client, forged, "vi").get_json()

    assert (report["indication"], report["sub_indication"]) == ("TOTAL-FAILED", "FORMAT_FAILURE")
    timestamp = report["document_timestamps"][0]
    assert timestamp["changes_after_signing"]["form_field_changes"] == [
        {"name": "SoHoSo", "old": None, "new": "HS-9999", "appearance_changed": True}
    ]
    texts = [f["text"] for f in timestamp["findings"]]
    assert "Trường biểu mẫu “SoHoSo” được điền sau khi ký với giá trị “HS-9999”." in texts
    assert any(t.startswith("Tài liệu này do hệ thống cấp") for t in texts)


def test_a_document_not_issued_here_keeps_the_signer_permissions_policy(app, client, demo, foreign_document):
    report = post_pdf(client, forgeries.with_info_rewritten(foreign_document)).get_json()

    assert report["registry"] is None and report["policy"] == "signer-permissions"
    assert report["indication"] == "INDETERMINATE" and report["modified_after_signing"] is True
    assert "finding.metadata_changed" in _all_findings(report)


def test_the_report_page_shows_document_findings(app, client, signed_result):
    forged = forgeries.with_objects_after_eof(signed_pdf(app, signed_result))
    response = client.post("/verify?lang=en", data={"document": (__import__("io").BytesIO(forged), "f.pdf")},
                           content_type="multipart/form-data")

    page = response.get_data(as_text=True)
    assert 'data-testid="document-findings"' in page and "appended after the end of the last revision" in page
