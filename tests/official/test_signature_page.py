"""An official uploads their own signature image on "Chữ ký của tôi": a PNG with transparency is kept
and shown; anything else is refused with a Vietnamese message and a 4xx, and nothing is kept."""
from __future__ import annotations

from io import BytesIO

import pytest
from PIL import Image
from sqlalchemy import select

from signing.samples import signature_png
from tests.conftest import login_as, official_principal
from tests.page_text import main_text
from wallet_service.models import AuditEvent, Official, db


@pytest.fixture
def official1(app, client, demo):
    client.csrf = login_as(app, client, official_principal("official1"))
    return client


def _upload(client, data: bytes | None, csrf: str | None):
    form = {"image": (BytesIO(data), "chu-ky.png")} if data is not None else {}
    if csrf:
        form["csrf_token"] = csrf
    return client.post("/official/signature", data=form, content_type="multipart/form-data")


def _stored() -> str | None:
    db.session.expire_all()
    return db.session.scalar(select(Official.signature_image_sha256).where(Official.username == "official1"))


def test_a_transparent_png_is_kept_and_shown(official1):
    page = main_text(official1.get("/official/signature").get_data(as_text=True))
    assert "Chữ ký của tôi" in page and "chưa tải lên hình ảnh chữ ký" in page
    png = signature_png("Nguyễn Văn An")
    answer = _upload(official1, png, official1.csrf)
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/official/signature?saved=1")
    assert "Đã lưu hình ảnh chữ ký" in official1.get(answer.headers["Location"]).get_data(as_text=True)
    image = official1.get("/official/signature.png")
    assert image.status_code == 200 and image.mimetype == "image/png" and image.data == png
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.action == "official.signature_image_set"))


@pytest.mark.parametrize("kind, status, words", [
    ("opaque", 422, "nền trong suốt"), ("pdf", 422, "không phải ảnh PNG"), ("none", 400, "Hãy chọn tệp PNG"),
])
def test_unusable_uploads_are_refused_in_vietnamese(official1, kind, status, words):
    data = {"pdf": b"%PDF-1.7\n", "none": None}.get(kind)
    if kind == "opaque":
        buffer = BytesIO()
        Image.new("RGB", (300, 100), "white").save(buffer, "PNG")
        data = buffer.getvalue()
    answer = _upload(official1, data, official1.csrf)
    assert answer.status_code == status
    assert words in main_text(answer.get_data(as_text=True))
    assert _stored() is None
    assert official1.get("/official/signature.png").status_code == 404


def test_an_upload_without_the_csrf_token_is_refused(official1):
    assert _upload(official1, signature_png("x"), None).status_code == 400
    assert _stored() is None
