"""What `POST /api/v1/verify` answers to everything that is not a good signed PDF: each refusal its
own 4xx with a code and a message in the caller's language, never a 5xx; the whole DSS corpus of
foreign and hostile PDFs against its manifest (without trust anchors, as the manifest prescribes);
the time budget; the trust-roots setting; the OpenAPI description."""
from __future__ import annotations

import io
import json
import shutil
import time
from pathlib import Path

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.writer import copy_into_new_writer

from tests.conftest import production_environment
from tests.verification.documents import unsigned_pdf
from tests.verify_service.conftest import use_verifier
from wallet_service import create_app
from wallet_service.verify.trust import TrustRootsUnavailable, fill_dev_trust_roots
from tests.corpus import DSS_PADES
from wallet_service.services import services

CORPUS = DSS_PADES
MANIFEST = json.loads((CORPUS / "manifest.json").read_text("utf-8"))
# The same known gaps as the engine's own corpus test (tests/verification/test_corpus.py): none today.
KNOWN_GAPS: dict[str, str] = {}


@pytest.fixture
def plain_app(make_app, untrusting_verifier, tmp_path):
    """An app trusting no root at all (an empty trust-roots folder)."""
    roots = tmp_path / "no-roots"
    roots.mkdir()
    app = make_app(TRUST_ROOTS_PATH=str(roots))
    use_verifier(app, untrusting_verifier)
    return app


def post(client, data: bytes | None, lang: str = "en", **kwargs):
    form = {} if data is None else {"document": (io.BytesIO(data), "file.pdf", "application/pdf")}
    return client.post("/api/v1/verify", data=form, headers={"Accept-Language": lang},
                       content_type=kwargs.pop("content_type", "multipart/form-data"), **kwargs)


def password_protected() -> bytes:
    writer = copy_into_new_writer(PdfFileReader(io.BytesIO(unsigned_pdf())))
    writer.encrypt("owner-secret", "user-secret")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "status", "code", "vi_text"),
    [
        (b"", 400, "empty_document", "Tài liệu rỗng."),
        (b"GIF89a not a pdf at all" * 10, 422, "not_a_pdf", "Tệp không phải là tài liệu PDF"),
        (b"%PDF-1.7\n" + b"\x00garbage\xff" * 500, 422, "unreadable_pdf", "Không đọc được tài liệu PDF"),
        (password_protected(), 422, "encrypted_document", "được mã hóa bằng mật khẩu"),
        (unsigned_pdf(), 422, "no_signature", "không chứa chữ ký số"),
    ],
    ids=["empty", "garbage", "pdf-header-then-garbage", "encrypted", "unsigned"],
)
def test_each_bad_upload_gets_its_own_error(plain_app, data, status, code, vi_text):
    client = plain_app.test_client()
    en, vi = post(client, data, "en"), post(client, data, "vi")

    assert (en.status_code, en.get_json()["error"]) == (status, code)
    assert (vi.status_code, vi.get_json()["error"]) == (status, code)
    assert vi_text in vi.get_json()["message"] and en.get_json()["message"] != vi.get_json()["message"]


def _with_tail(pdf: bytes, tail: bytes) -> bytes:
    """``pdf`` with its last ``startxref`` section replaced by ``tail``."""
    return pdf[: pdf.rfind(b"startxref")] + tail


_ROOT_NOT_A_DICTIONARY = (
    b"%PDF-1.7\n1 0 obj 5 endobj\nxref\n0 2\n0000000000 65535 f \n0000000009 00000 n \n"
    b"trailer << /Size 2 /Root 1 0 R >>\nstartxref\n24\n%%EOF"
)
_STRUCTURE = ("its objects or its page tree do not have the structure of a PDF document",
              "các đối tượng hoặc cây trang không có cấu trúc của tài liệu PDF")
_CROSS_REFERENCE = ("its cross-reference table is damaged", "bảng tham chiếu chéo (xref) bị hỏng")


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (_ROOT_NOT_A_DICTIONARY, _STRUCTURE),
        (_with_tail(unsigned_pdf(), b"startxref\n0\n%%EOF"), _CROSS_REFERENCE),
        (unsigned_pdf().replace(b"trailer", b"trailex"), _CROSS_REFERENCE),
    ],
    ids=["catalog-not-a-dictionary", "startxref-zero", "no-trailer"],
)
def test_an_unreadable_pdf_is_explained_in_words_not_exception_names(plain_app, data, reason):
    client = plain_app.test_client()
    en, vi = post(client, data, "en").get_json(), post(client, data, "vi").get_json()

    assert en.pop("request_id") and vi.pop("request_id")  # the id a complaint quotes; the rest, exactly:
    assert en == {"error": "unreadable_pdf", "message": f"The PDF cannot be read: {reason[0]}."}
    assert vi == {"error": "unreadable_pdf", "message": f"Không đọc được tài liệu PDF: {reason[1]}."}


def test_missing_part_and_wrong_content_type_are_bad_requests(plain_app):
    client = plain_app.test_client()
    missing = post(client, None)
    assert (missing.status_code, missing.get_json()["error"]) == (400, "missing_document")
    text = client.post("/api/v1/verify", data=unsigned_pdf(), content_type="text/plain")
    assert (text.status_code, text.get_json()["error"]) == (400, "invalid_content_type")
    assert "application/pdf" in text.get_json()["message"]
    raw = client.post("/api/v1/verify", data=unsigned_pdf(), content_type="application/pdf")  # the PDF as the body
    assert (raw.status_code, raw.get_json()["error"]) == (422, "no_signature")


def test_size_limits(make_app, tmp_path):
    # The engine's limit is the service's max_document_bytes (its own verifier, made from the
    # app's settings); the request limit is a little above it.
    app = make_app(max_document_bytes=1000, TRUST_ROOTS_PATH=str(tmp_path), VERIFY_WORKERS="1")
    client = app.test_client()
    try:
        over_limit = post(client, b"%PDF-1.7\n" + b"0" * 5000)
        assert (over_limit.status_code, over_limit.get_json()["error"]) == (413, "document_too_large")
        assert "1000" in over_limit.get_json()["message"]
        far_over = post(client, b"%PDF-1.7\n" + b"0" * 400_000)
        assert (far_over.status_code, far_over.get_json()["error"]) == (413, "document_too_large")
    finally:
        services(app).verifier.close()


@pytest.mark.parametrize("entry", MANIFEST, ids=[e["file"] for e in MANIFEST])
def test_corpus_file_through_the_api(plain_app, entry, request):
    if entry["file"] in KNOWN_GAPS:
        request.applymarker(pytest.mark.xfail(reason=KNOWN_GAPS[entry["file"]], strict=True))
    expected = entry["expected"]
    started = time.monotonic()
    response = post(plain_app.test_client(), (CORPUS / entry["file"]).read_bytes())
    elapsed = time.monotonic() - started

    assert response.status_code < 500, response.get_data(as_text=True)
    if expected.get("must_terminate_within_ms"):
        assert elapsed * 1000 < expected["must_terminate_within_ms"]
    body = response.get_json()
    if expected.get("input_rejected"):
        assert 400 <= response.status_code < 500 and body["error"] and body["message"]
        return
    if response.status_code != 200:
        assert body["error"] in ("no_signature", "unreadable_pdf", "verification_timeout")
        assert expected["integrity"] is None and expected["indication_without_trust_anchors"] is None
        return
    assert body["indication"] != "TOTAL-PASSED"  # no trust anchors
    assert body["registry"] is None and body["registry_message"]
    every = body["signatures"] + body["document_timestamps"]
    if expected["integrity"] is not None:
        assert ("broken" if any(s["integrity"] == "broken" for s in every) else "intact") == expected["integrity"]
    if expected["modified_after_signing"] is not None:
        assert body["modified_after_signing"] is expected["modified_after_signing"]
    if expected["indication_without_trust_anchors"] is not None:
        assert body["indication"] == expected["indication_without_trust_anchors"]
    if expected["sub_indication"] is not None:
        assert body["sub_indication"] == expected["sub_indication"]
    if expected["signature_count"] is not None:
        assert len(body["signatures"]) == expected["signature_count"]


def test_the_time_budget_stops_a_long_verification(make_app, signed_result, app, tmp_path):
    from tests.verify_service.conftest import signed_pdf

    pdf = signed_pdf(app, signed_result)
    budget_app = make_app(TRUST_ROOTS_PATH=str(tmp_path), VERIFY_TIME_BUDGET_SECONDS="0.001", VERIFY_WORKERS="1")
    try:
        response = post(budget_app.test_client(), pdf)
        assert (response.status_code, response.get_json().get("error")) == (422, "verification_timeout"), response.get_json()
        assert "0.001" in response.get_json()["message"]
    finally:
        services(budget_app).verifier.close()


def test_production_trust_roots_that_vanish_after_start_make_it_not_ready_and_say_why(tmp_path):
    # Without any, production refuses to start (tests/foundation/test_production_refusals.py).
    environment = production_environment(tmp_path)
    app = create_app({**environment, "TESTING": True})
    shutil.rmtree(environment["TRUST_ROOTS_PATH"])
    with pytest.raises(TrustRootsUnavailable, match=r"\(TRUST_ROOTS_PATH\) does not exist"):
        services(app).readiness_checks["trust_roots"]()
    response = post(app.test_client(), unsigned_pdf())
    assert (response.status_code, response.get_json()["error"]) == (503, "trust_roots_not_configured")


def test_development_init_step_fills_the_trust_roots_with_the_dev_root(app):
    folder = Path(app.instance_path) / "trust-roots"
    assert [p.name for p in folder.iterdir()] == ["dev-root.pem"]
    assert "trust roots ready" in fill_dev_trust_roots(app)  # idempotent
    services(app).readiness_checks["trust_roots"]()  # raises when unusable


def test_both_endpoints_are_in_the_openapi_description(plain_app):
    spec = plain_app.test_client().get("/api/openapi.json").get_json()
    assert "multipart/form-data" in spec["paths"]["/api/v1/verify"]["post"]["requestBody"]["content"]
    assert "application/json" in spec["paths"]["/api/v1/verify/credential"]["post"]["requestBody"]["content"]
