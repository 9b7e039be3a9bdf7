"""What a station may not post: each refusal is a 4xx naming the problem (Vietnamese by default,
English on request), and nothing is stored. And a server without Vietnamese OCR still makes the copy,
without text, and tells the certifying official."""
from __future__ import annotations

import io
import json

import img2pdf
import pikepdf
import pytest
from sqlalchemy import func, select

from tests.conftest import login_as, official_principal, register_case_system_in
from tests.copies.conftest import BIRTH_CERTIFICATE, WARD, metadata, post_copy, register_station, render_page
from wallet_service.dev import demo as demo_data
from wallet_service.copies.models import CertifiedCopy
from wallet_service.models import Official, Result, db
from wallet_service.services import services


def _pdf(pages: int = 1, build=None) -> bytes:
    pdf = pikepdf.new()
    for _ in range(pages):
        pdf.add_blank_page()
    if build is not None:
        build(pdf)
    out = io.BytesIO()
    pdf.save(out, encryption=pikepdf.Encryption(owner="o", user="u") if build == "encrypt" else False)
    return out.getvalue()


def _javascript(pdf):
    pdf.Root.OpenAction = pdf.make_indirect(pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS="app.alert(1)"))


def _signature(pdf):
    value = pikepdf.Dictionary(Type=pikepdf.Name.Sig, ByteRange=[0, 10, 20, 30], Contents=b"\0" * 8)
    field = pdf.make_indirect(pikepdf.Dictionary(FT=pikepdf.Name.Sig, T="Signature1", V=pdf.make_indirect(value)))
    pdf.Root.AcroForm = pikepdf.Dictionary(Fields=[field], SigFlags=3)


def _encrypted() -> bytes:
    out = io.BytesIO()
    with pikepdf.new() as pdf:
        pdf.add_blank_page()
        pdf.save(out, encryption=pikepdf.Encryption(owner="o", user="u"))
    return out.getvalue()


@pytest.fixture(scope="module")
def low_resolution_scan() -> bytes:
    return render_page(BIRTH_CERTIFICATE[:3], 0.5, dpi=100)


CASES = [
    ("not an image", {"pages": [b"%PDF-1.7 this is not a picture"]}, 422, "not_an_image", "không phải ảnh"),
    ("under 150 dpi", "low", 422, "low_resolution", "100 dpi"),
    ("PDF scanned under 150 dpi", "low-pdf", 422, "low_resolution", "100 dpi"),
    ("encrypted PDF", {"document": "encrypted"}, 422, "encrypted_pdf", "mã hóa"),
    ("signed PDF", {"document": _pdf(build=_signature)}, 422, "signed_pdf", "ký số"),
    ("PDF with JavaScript", {"document": _pdf(build=_javascript)}, 422, "pdf_javascript", "JavaScript"),
    ("51 pages", {"document": _pdf(pages=51)}, 413, "too_many_pages", "tối đa 50"),
    ("unknown document type", {"pages": [b"x"], "body": metadata(document_type="passport")}, 422,
     "unknown_document_type", "danh mục"),
    ("pages and a document", {"pages": [b"x"], "document": _pdf()}, 400, "invalid_parts", "không gửi cả hai"),
    ("bad personal ID", {"pages": [b"x"], "body": metadata(citizen_id="12345")}, 422, "invalid_metadata", "metadata"),
    ("another agency", {"pages": [b"x"], "body": metadata(agency_code="000.00.04.H40")}, 403, "agency_not_allowed",
     "000.00.04.H40"),
]


@pytest.mark.parametrize(("case", "parts", "status", "code", "vietnamese"), CASES, ids=[c[0] for c in CASES])
def test_a_bad_scan_is_refused_and_nothing_is_stored(app, demo, client, low_resolution_scan, case, parts, status,
                                                     code, vietnamese):
    station = register_station(app)
    if parts == "low":
        parts = {"pages": [low_resolution_scan]}
    if parts == "low-pdf":
        parts = {"document": img2pdf.convert(low_resolution_scan)}
    if parts.get("document") == "encrypted":
        parts = {"document": _encrypted()}
    answer = post_copy(client, station, **parts)
    assert (answer.status_code, answer.json["error"]) == (status, code), answer.json
    assert vietnamese in answer.json["message"]
    assert db.session.scalar(select(func.count(Result.id))) == 0
    assert db.session.scalar(select(func.count(CertifiedCopy.result_id))) == 0
    assert not any(services(app).settings.documents_dir.rglob("*.*"))


def test_refusals_speak_english_on_request_and_only_stations_post(app, demo, client):
    station = register_station(app)
    english = client.post("/api/v1/copies", data={"metadata": json.dumps(metadata(document_type="passport")),
                                                  "page": (io.BytesIO(b"x"), "p.png")},
                          headers={**station.headers(), "Accept-Language": "en"}, content_type="multipart/form-data")
    assert english.json["message"].startswith("Unknown document type 'passport'")
    case_system = register_case_system_in(app, "mot-cua", (WARD,))
    refused = post_copy(client, case_system, pages=[b"x"])
    assert (refused.status_code, refused.json["error"]) == (403, "not_a_station")
    no_results = client.post("/api/v1/results", data={"metadata": "{}", "document": (io.BytesIO(b"%PDF-"), "r.pdf")},
                             headers=station.headers(), content_type="multipart/form-data")
    assert (no_results.status_code, no_results.json["error"]) == (403, "not_a_case_system")
    result = {"dossier_code": f"{WARD}-251121-0042", "procedure_code": "1.001193.000.00.00.H40",
              "procedure_name": "Thủ tục đăng ký khai sinh", "citizen_id": "022186001234", "citizen_name": "Lê Thị Hoa",
              "title": "Trích lục khai sinh", "agency_code": WARD}
    posted = client.post("/api/v1/results", data={"metadata": json.dumps(result), "document": (io.BytesIO(_pdf()), "r.pdf")},
                         headers=case_system.headers(), content_type="multipart/form-data")
    assert posted.status_code == 201, posted.json
    hidden = client.get(f"/api/v1/results/{posted.json['id']}", headers=station.headers())
    assert hidden.status_code == 404  # a station sees the copies it serves, not the agency's results
    assert client.get(f"/api/v1/results/{posted.json['id']}", headers=case_system.headers()).status_code == 200


def test_without_vietnamese_ocr_the_copy_has_no_text_and_the_official_is_told(make_app):
    app = make_app(copy_ocr_language="none")
    with app.app_context():
        demo_data.load_people(db.session, services(app).settings.public_base_url)
        station = register_station(app)
        posted = post_copy(app.test_client(), station, pages=[render_page(BIRTH_CERTIFICATE, 1.0, dpi=150, fmt="JPEG")])
        assert posted.status_code == 201, posted.json
        assert posted.json["copy"]["text_layer"] is False
        assert set(posted.json["copy"]["extracted_fields"].values()) == {None}
        db.session.query(Official).filter_by(username="official1").update({"roles": ["certifier"]})
        db.session.commit()
        official = app.test_client()
        login_as(app, official, official_principal("official1"))
        page = official.get(f"/official/copies/{posted.json['id']}").get_data(as_text=True)
        assert 'data-testid="no-text-layer"' in page and "chưa cài đặt nhận dạng ký tự tiếng Việt" in page
        # A scanner's PDF is taken as well, its page count and resolution read from the PDF.
        scanner_pdf = img2pdf.convert([render_page(BIRTH_CERTIFICATE[:2], 0.0, dpi=150, fmt="JPEG")] * 2)
        from_pdf = post_copy(app.test_client(), station, document=scanner_pdf)
        assert from_pdf.status_code == 201, from_pdf.json
        assert (from_pdf.json["copy"]["page_count"], from_pdf.json["copy"]["text_layer"]) == (2, False)
        db.session.remove()
