"""Signed B-LTA documents forged after signing without breaking a signature (a form field
refilled, metadata rewritten, objects appended after %%EOF, a signature dictionary declared
twice), verified under both policies: what each policy says and what it names."""

from __future__ import annotations

import re

import pytest

from tests.verification import forgeries
from verification import ChangeKind, Indication
from verification.structure import bytes_after_last_revision, duplicate_keys

ISSUED = {"strict_after_last_signature": True}


def _codes(messages) -> list[str]:
    return [m.code for m in messages]


def _first(report):
    return report.signatures[0]


def test_a_genuine_document_passes_under_both_policies(verifier, signed_document):
    lenient, strict = verifier.verify(signed_document), verifier.verify(signed_document, **ISSUED)

    assert (lenient.indication, strict.indication) == (Indication.TOTAL_PASSED, Indication.TOTAL_PASSED)
    assert (lenient.policy, strict.policy) == ("signer-permissions", "issued-document")
    assert strict.document_findings == () and strict.bytes_after_end == 0
    body = strict.to_dict("en")
    assert body["policy"] == "issued-document" and body["document_findings"] == []
    assert body["signatures"][0]["changes_after_signing"]["form_field_changes"] == []
    assert body["signatures"][0]["changes_after_signing"]["metadata_changes"] == []


def test_a_field_refilled_after_the_document_timestamp_is_named_and_never_passes(verifier, signed_form_document):
    forged = forgeries.with_field_refilled(signed_form_document, "HS-9999")

    report = verifier.verify(forged)
    assert (report.indication, report.sub_indication) == (Indication.INDETERMINATE, "SIG_CONSTRAINTS_FAILURE")
    assert report.modified_after_signing is True
    for signature in report.signatures + report.document_timestamps:  # every one of them saw it change
        (change,) = signature.changes.form_field_changes
        assert (change.name, change.old, change.new, change.appearance_changed) == ("SoHoSo", "HS-0001", "HS-9999", True)
    replaced = next(m for m in _first(report).findings if m.code == "finding.form_field_replaced")
    assert replaced.to_dict("en")["text"] == "Form field “SoHoSo” was changed after signing: “HS-0001” → “HS-9999”."
    assert replaced.to_dict("vi")["text"] == "Trường biểu mẫu “SoHoSo” bị thay đổi sau khi ký: “HS-0001” → “HS-9999”."

    issued = verifier.verify(forged, **ISSUED)
    assert (issued.indication, issued.sub_indication) == (Indication.TOTAL_FAILED, "FORMAT_FAILURE")
    assert "finding.issued_document_changed" in _codes(issued.document_timestamps[0].findings)


def test_first_filling_of_an_empty_field_is_permitted_but_named(verifier, signed_empty_form_document):
    filled = forgeries.with_field_refilled(signed_empty_form_document, "HS-1234")

    report = verifier.verify(filled)
    assert report.indication is Indication.TOTAL_PASSED  # no DocMDP lock: the signers permitted it
    assert _first(report).changes.kind is ChangeKind.FORM_FILLING and not report.modified_after_signing
    (change,) = _first(report).changes.form_field_changes
    assert (change.name, change.old, change.new) == ("SoHoSo", None, "HS-1234")
    assert "form fields were filled" in report.summary("en") and "SoHoSo" in report.summary("en")
    assert "nothing changed" not in report.summary("en")
    assert "SoHoSo" in report.summary("vi") and "được điền" in report.summary("vi")

    issued = verifier.verify(filled, **ISSUED)  # an issued document may not be filled in afterwards
    assert (issued.indication, issued.sub_indication) == (Indication.TOTAL_FAILED, "FORMAT_FAILURE")


@pytest.mark.parametrize(
    "forge, named",
    [
        (forgeries.with_info_rewritten, ("/Info /Author", "/Info /Title")),
        (forgeries.with_xmp_added, ("XMP",)),
    ],
    ids=["info-rewritten", "xmp-added"],
)
def test_metadata_rewritten_after_the_document_timestamp(verifier, signed_document, forge, named):
    forged = forge(signed_document)

    report = verifier.verify(forged)
    assert (report.indication, report.sub_indication) == (Indication.INDETERMINATE, "SIG_CONSTRAINTS_FAILURE")
    assert report.modified_after_signing is True
    assert report.document_timestamps[0].changes.metadata_changes == named
    message = next(m for m in report.document_timestamps[0].findings if m.code == "finding.metadata_changed")
    assert message.to_dict("en")["text"] == f"Document metadata was changed after signing: {', '.join(named)}."
    assert message.to_dict("vi")["text"].startswith("Thông tin mô tả (metadata) của tài liệu bị thay đổi sau khi ký")

    issued = verifier.verify(forged, **ISSUED)
    assert (issued.indication, issued.sub_indication) == (Indication.TOTAL_FAILED, "FORMAT_FAILURE")


@pytest.mark.parametrize("restate_end", [False, True], ids=["bare", "startxref-restated"])
def test_objects_appended_after_eof_are_named_and_fail_an_issued_document(verifier, signed_document, restate_end):
    forged = forgeries.with_objects_after_eof(signed_document, restate_end=restate_end)
    appended = forgeries.with_objects_after_eof(signed_document)[len(signed_document) :].strip()

    report = verifier.verify(forged)
    assert (report.indication, report.sub_indication) == (Indication.INDETERMINATE, "SIG_CONSTRAINTS_FAILURE")
    assert report.modified_after_signing is True
    assert report.bytes_after_end == len(appended)  # the object, not the blank lines nor a restated end
    assert _codes(report.document_findings) == ["finding.bytes_after_end", "finding.objects_after_end"]
    text = report.document_findings[0].to_dict("vi")["text"]
    assert text.startswith(f"Có {report.bytes_after_end} byte được nối thêm sau phần kết thúc")
    # the object that replaces the first page's content stream is named in the summary read first
    page_content = re.search(rb"/Contents\s+(\d+)\s+(\d+)\s+R", signed_document).groups()
    redeclared = " ".join(part.decode() for part in page_content)
    assert report.document_findings[1].params == {"objects": redeclared}
    assert report.summary("en").endswith(
        f"re-declare objects of the document ({redeclared}): viewers that rebuild the file show them "
        "instead of what was signed."
    )
    assert f"khai báo lại đối tượng của tài liệu ({redeclared})" in report.summary("vi")

    issued = verifier.verify(forged, **ISSUED)
    assert (issued.indication, issued.sub_indication) == (Indication.TOTAL_FAILED, "FORMAT_FAILURE")
    assert issued.to_dict("en")["bytes_after_end"] == report.bytes_after_end


@pytest.mark.parametrize("first", [False, True], ids=["duplicate-after", "duplicate-before"])
def test_a_signature_dictionary_with_two_contents_fails_the_document(verifier, signed_document, first):
    forged = forgeries.with_duplicate_contents(signed_document, 0, first=first)

    for report in (verifier.verify(forged), verifier.verify(forged, **ISSUED)):
        assert (report.indication, report.sub_indication) == (Indication.TOTAL_FAILED, "FORMAT_FAILURE")
        duplicate = next(m for m in report.document_findings if m.code == "finding.duplicate_keys")
        assert duplicate.params["field"] == "ChuKyCanBo" and duplicate.params["keys"] == "/Contents"
        named = [s.field_name for s in report.signatures] + [
            m.params["field"] for m in report.document_findings if m.code == "finding.signature_unreadable"
        ]
        assert "ChuKyCanBo" in named  # reported, as a signature or as an unreadable one, never dropped
        assert "khai báo /Contents nhiều hơn một lần" in duplicate.to_dict("vi")["text"]


def test_duplicate_keys_are_found_in_raw_signature_dictionaries():
    clean = b"5 0 obj\n<< /Type /Sig /Contents <00> /ByteRange [0 1 2 3] /M (D:2025(x\\)) >>\nendobj\n"
    twice = b"7 0 obj\n<< /Type /Sig /Contents <00> /Ref 3 0 R /A << /Contents 1 >> /Contents <01> /ByteRange [0 1 2 3] >>\nendobj\n"

    assert duplicate_keys(clean) == []
    (found,) = duplicate_keys(clean + twice)
    assert (found.object_number, found.generation, found.keys) == (7, 0, ("/Contents",))


def test_bytes_after_the_last_revision_are_counted():
    pdf = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\nxref\n0 1\ntrailer\n<<>>\nstartxref\n17\n%%EOF\n"

    assert bytes_after_last_revision(pdf) == 0
    assert bytes_after_last_revision(pdf + b"\r\n  \n") == 0
    assert bytes_after_last_revision(pdf + b"2 0 obj\n<<>>\nendobj\n") == len(b"2 0 obj\n<<>>\nendobj")
    restated = pdf + b"2 0 obj\n<<>>\nendobj\nstartxref\n17\n%%EOF\n"
    assert bytes_after_last_revision(restated) == len(b"2 0 obj\n<<>>\nendobj")


def test_a_further_document_timestamp_is_allowed_after_an_issued_document(verifier, signed_document, trusted_pki):
    from tests.verification.documents import DocumentSigner

    renewed = DocumentSigner(trusted_pki).add_document_timestamp(signed_document)
    report = verifier.verify(renewed, **ISSUED)

    assert (report.indication, report.sub_indication) == (Indication.TOTAL_PASSED, None)
    assert len(report.document_timestamps) == 2 and report.policy == "issued-document"
    assert not any(s.changes.metadata_changes or s.changes.form_field_changes for s in report.signatures)
