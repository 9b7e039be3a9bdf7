"""Realistic result documents (Vietnamese, 1-3 pages) for tests, the CLI demo and the
benchmark. Generated with fpdf2 and the vendored DejaVu font."""

from __future__ import annotations

from fpdf import FPDF

from .stamp import FONT_DIR

_BODY = (
    "Căn cứ Luật Tổ chức chính quyền địa phương; căn cứ Nghị định số 30/2020/NĐ-CP ngày "
    "05 tháng 3 năm 2020 của Chính phủ về công tác văn thư; xét đề nghị của công dân và "
    "kết quả thẩm định hồ sơ, cơ quan có thẩm quyền quyết định cấp kết quả giải quyết thủ "
    "tục hành chính cho công dân có tên dưới đây. Công dân có trách nhiệm thực hiện đúng "
    "các quy định của pháp luật hiện hành. "
)


def result_pdf(index: int = 0, pages: int | None = None, citizen: str = "Lê Thị Hoa",
               cccd: str = "022186001234") -> bytes:
    """A one- to three-page administrative result in Vietnamese."""
    pages = pages or 1 + index % 3
    pdf = FPDF(format="A4")
    pdf.add_font("DejaVu", "", str(FONT_DIR / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
    pdf.set_title(f"Kết quả giải quyết thủ tục hành chính số {index:06d}")
    for page in range(pages):
        pdf.add_page()
        if page == 0:
            pdf.set_font("DejaVu", "B", 11)
            pdf.cell(0, 6, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", align="C", new_x="LMARGIN", new_y="NEXT")
            pdf.cell(0, 6, "Độc lập - Tự do - Hạnh phúc", align="C", new_x="LMARGIN", new_y="NEXT")
            pdf.ln(6)
            pdf.set_font("DejaVu", "B", 14)
            pdf.cell(0, 8, "GIẤY XÁC NHẬN KẾT QUẢ", align="C", new_x="LMARGIN", new_y="NEXT")
            pdf.set_font("DejaVu", "", 11)
            pdf.cell(0, 7, f"Số hồ sơ: 000.00.15.H40-251123-{index % 10000:04d}",
                     new_x="LMARGIN", new_y="NEXT")
            pdf.cell(0, 7, f"Họ và tên: {citizen}    Số định danh cá nhân: {cccd}",
                     new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", "", 11)
        pdf.multi_cell(0, 6, _BODY * (4 if page else 2))
    return bytes(pdf.output())


def signature_png(name: str, size: tuple[int, int] = (600, 200)) -> bytes:
    """A made-up handwritten signature for ``name`` (dark blue strokes on a transparent background):
    demo officials and tests get an image without any real person's signature in the repository."""
    import hashlib
    import io
    import math

    from PIL import Image, ImageDraw

    width, height = size
    image = Image.new("RGBA", size, (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    seed = hashlib.sha256(name.encode()).digest()
    points = []
    for k in range(48):
        t = k / 47
        wobble = math.sin(t * math.pi * (3 + seed[0] % 3) + seed[1] / 40) * height * 0.28
        loop = math.cos(t * math.pi * (7 + seed[2] % 4)) * height * 0.12
        points.append((width * (0.06 + 0.86 * t) + loop * 0.6, height * 0.5 + wobble + loop))
    draw.line(points, fill=(18, 38, 120, 255), width=7, joint="curve")
    draw.line([(width * 0.12, height * 0.78), (width * 0.9, height * 0.7)], fill=(18, 38, 120, 255), width=5)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def seal_png(agency_name: str, side: int = 400) -> bytes:
    """A made-up red round seal with ``agency_name`` around its rim and a star in the middle, on a
    transparent background, as Decree 30 draws an agency's seal image."""
    import io
    import math

    from PIL import Image, ImageDraw, ImageFont

    red = (200, 16, 24, 255)
    image = Image.new("RGBA", (side, side), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    c = side / 2
    for radius, width in ((c - 4, 8), (c * 0.64, 4)):
        draw.ellipse((c - radius, c - radius, c + radius, c + radius), outline=red, width=width)
    star = [(c + (c * 0.3 if k % 2 == 0 else c * 0.12) * math.sin(k * math.pi / 5),
             c - (c * 0.3 if k % 2 == 0 else c * 0.12) * math.cos(k * math.pi / 5)) for k in range(10)]
    draw.polygon(star, fill=red)
    font = ImageFont.truetype(str(FONT_DIR / "DejaVuSans-Bold.ttf"), int(side * 0.065))
    text = agency_name.upper()
    step = 2 * math.pi * 0.92 / max(len(text), 1)
    for k, char in enumerate(text):
        angle = -math.pi * 0.92 + step * (k + 0.5)  # clockwise from the bottom left, round the top
        glyph = Image.new("RGBA", (int(side * 0.1), int(side * 0.1)), (255, 255, 255, 0))
        ImageDraw.Draw(glyph).text((glyph.width / 2, glyph.height / 2), char, font=font, fill=red, anchor="mm")
        glyph = glyph.rotate(-math.degrees(angle), resample=Image.Resampling.BICUBIC)
        x, y = c + c * 0.82 * math.sin(angle), c - c * 0.82 * math.cos(angle)
        image.alpha_composite(glyph, (int(x - glyph.width / 2), int(y - glyph.height / 2)))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()
