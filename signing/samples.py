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
