"""A PDF byte for byte identical to a document the service issued is answered from the report stored at
its first verification, with the result's annulment read live; anything else is verified in full."""
from __future__ import annotations

from wallet_service.services import services
from wallet_service.verify.holder import VerifierHolder

from .conftest import annul, signed_pdf


def post_raw(client, data: bytes, lang: str = "en"):
    """The PDF as the whole body (application/pdf), as a machine client sends it."""
    return client.post("/api/v1/verify", data=data, content_type="application/pdf", headers={"Accept-Language": lang})


def post_form(client, data: bytes, lang: str = "en"):
    return client.post("/api/v1/verify", data={"document": (__import__("io").BytesIO(data), "r.pdf", "application/pdf")},
                       content_type="multipart/form-data", headers={"Accept-Language": lang})


def without_path(report: dict) -> dict:
    return {k: v for k, v in report.items() if k != "answered_from"}


def test_the_issued_document_is_answered_from_the_register_other_bytes_or_roots_in_full(
        app, client, signed_result, untrusting_verifier):
    pdf = signed_pdf(app, signed_result)

    first = post_raw(client, pdf).get_json()
    again = post_raw(client, pdf).get_json()
    as_form_vi = post_form(client, pdf, "vi").get_json()
    flipped = bytearray(pdf)
    middle = len(pdf) // 3  # inside the signed content of the first revision
    flipped[middle] ^= 0x01
    changed = post_raw(client, bytes(flipped)).get_json()

    assert (first["answered_from"], first["indication"]) == ("full", "TOTAL-PASSED")
    assert (again["answered_from"], again["indication"]) == ("register", "TOTAL-PASSED")
    assert without_path(again) == without_path(first)  # the same report, the same words
    assert again["registry"]["match"] == "exact" and again["registry"]["result_id"] == signed_result.id
    assert as_form_vi["answered_from"] == "register" and "chưa bị thu hồi" in as_form_vi["registry"]["message"]
    assert changed["answered_from"] == "full"
    assert changed["indication"] == "TOTAL-FAILED" and changed["registry"] is None

    services(app).verifier = VerifierHolder(lambda: untrusting_verifier)  # the operator removed the root
    other_roots = post_raw(client, pdf).get_json()  # a report stored under other trust roots is not used
    assert other_roots["answered_from"] == "full"
    assert (other_roots["indication"], other_roots["sub_indication"]) == ("INDETERMINATE", "NO_CERTIFICATE_CHAIN_FOUND")


def test_an_annulment_shows_at_once_on_the_register_path(app, client, signed_result):
    pdf = signed_pdf(app, signed_result)
    assert post_raw(client, pdf).get_json()["answered_from"] == "full"
    assert post_raw(client, pdf).get_json()["indication"] == "TOTAL-PASSED"

    annul(app, signed_result, "Cấp nhầm người nhận")
    en, vi = post_raw(client, pdf).get_json(), post_raw(client, pdf, "vi").get_json()

    assert (en["answered_from"], en["indication"], en["sub_indication"]) == ("register", "TOTAL-FAILED", "ANNULLED")
    assert en["signatures_indication"] == "TOTAL-PASSED"
    assert en["summary"] == "Invalid: the issuing agency has annulled this result."
    assert en["registry"]["annulled"] and en["registry"]["annulment_reason"] == "Cấp nhầm người nhận"
    assert vi["summary"] == "Không hợp lệ: cơ quan cấp đã thu hồi kết quả này."
    assert vi["registry"]["message"].startswith("ĐÃ THU HỒI:")
