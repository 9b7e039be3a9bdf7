"""Scans of a generated Vietnamese birth certificate (text rendered at 300 dpi with the project's
embedded font, each page slightly rotated, as a counter's scanner gives them), a registered
digitisation station, and posting to the station API."""
from __future__ import annotations

import io

import pytest
from PIL import Image, ImageDraw, ImageFont
from sqlalchemy import update

from signing.stamp import FONT_DIR
from tests.conftest import register_case_system_in
from wallet_service.models import ApiClient, db

WARD = "000.00.15.H40"
CITIZEN_ID = "022186001234"  # citizen1 of the demo data
HOLDER = "NGUYỄN THỊ MAI ANH"
HOLDER_ID = "022320001234"
BIRTH_CERTIFICATE = (
    ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 50, True),
    ("Độc lập - Tự do - Hạnh phúc", 44, False),
    ("GIẤY KHAI SINH", 70, True),
    ("Số: 123/2020", 44, False),
    (f"Họ, chữ đệm, tên: {HOLDER}", 44, False),
    ("Ngày, tháng, năm sinh: 15/03/2020", 44, False),
    ("Giới tính: Nữ   Dân tộc: Kinh   Quốc tịch: Việt Nam", 44, False),
    (f"Số định danh cá nhân: {HOLDER_ID}", 44, False),
    ("Nơi sinh: Bệnh viện Sản Nhi tỉnh Quảng Ninh", 44, False),
    ("Nơi đăng ký: Ủy ban nhân dân phường Hạ Long, tỉnh Quảng Ninh", 44, False),
    ("Ngày đăng ký: 20/03/2020", 44, False),
)


def render_page(lines, angle: float, dpi: int = 300, fmt: str = "PNG") -> bytes:
    """An A4 page at `dpi` with `lines` (text, size at 300 dpi, bold), rotated by `angle` degrees."""
    scale = dpi / 300
    image = Image.new("L", (round(2480 * scale), round(3508 * scale)), 255)
    draw, y = ImageDraw.Draw(image), round(250 * scale)
    for text, size, bold in lines:
        font = ImageFont.truetype(str(FONT_DIR / ("DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf")), round(size * scale))
        draw.text((round(200 * scale), y), text, font=font, fill=0)
        y += round(size * 1.9 * scale)
    image = image.rotate(angle, fillcolor=255, resample=Image.BICUBIC)
    out = io.BytesIO()
    image.save(out, fmt, dpi=(dpi, dpi))
    return out.getvalue()


@pytest.fixture(scope="session")
def birth_certificate_scans() -> list[bytes]:
    """Three pages: the certificate and two pages of its back, each slightly askew."""
    return [render_page(BIRTH_CERTIFICATE, 1.5),
            render_page((("Trang 2 — Ghi chú thay đổi, cải chính hộ tịch", 44, False),), -1.0),
            render_page((("Trang 3", 44, False),), 0.7)]


def metadata(**changes) -> dict:
    body = {"citizen_id": CITIZEN_ID, "citizen_name": "Lê Thị Hoa", "document_type": "birth_certificate",
            "title": f"Giấy khai sinh của {HOLDER.title()}", "agency_code": WARD, "original_number": "123/2020"}
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


def register_station(app, name: str = "station-ha-long", agencies: tuple[str, ...] = (WARD,)):
    station = register_case_system_in(app, name, agencies)
    db.session.execute(update(ApiClient).where(ApiClient.name == name).values(kind="station"))
    db.session.commit()
    return station


def post_copy(client, station, *, pages=(), document=None, body=None):
    import json

    form = {"metadata": json.dumps(body if body is not None else metadata())}
    files = [("page", (io.BytesIO(page), f"page-{i}.png")) for i, page in enumerate(pages, start=1)]
    if document is not None:
        files.append(("document", (io.BytesIO(document), "scan.pdf")))
    data = dict(form)
    for name, part in files:
        data.setdefault(name, []).append(part)
    return client.post("/api/v1/copies", data=data, headers=station.headers(), content_type="multipart/form-data")
