"""The certification statement (lời chứng, Decree 23/2015) on a page after the scanned pages, and the
PDF/A-2b the signatures then cover. The statement is legal text of a Vietnamese document, so it is
always Vietnamese, whatever the language of the page that asked for it."""
from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

import pikepdf
import pikepdf.pdfa
from fpdf import FPDF

from signing.stamp import FONT_DIR

MARGIN = 56.0
"""Points; the signature stamp goes in the bottom-right corner, below the statement."""


@dataclass(frozen=True)
class Statement:
    certification_number: int
    book_number: str
    certified_on: dt.date
    official_name: str
    agency_name: str
    document_name: str
    original_number: str | None
    page_count: int
    text_layer: bool


def statement_lines(statement: Statement) -> list[str]:
    what = statement.document_name + (f", số {statement.original_number}" if statement.original_number else "")
    lines = [
        f"Bản sao điện tử này ({what}, {statement.page_count} trang) được chứng thực từ bản chính.",
        f"Số chứng thực: {statement.certification_number}    Quyển số: {statement.book_number}",
        f"Ngày {statement.certified_on:%d/%m/%Y}",
        f"Người thực hiện chứng thực: {statement.official_name}",
        f"Cơ quan thực hiện chứng thực: {statement.agency_name}",
    ]
    if not statement.text_layer:
        lines.append("Bản sao không có lớp văn bản tìm kiếm được: máy chủ chưa cài đặt nhận dạng ký tự tiếng Việt.")
    return lines


def _statement_page(statement: Statement) -> bytes:
    page = FPDF(unit="pt", format="A4")
    page.set_margins(MARGIN, MARGIN, MARGIN)
    page.add_font("DejaVu", "", str(FONT_DIR / "DejaVuSans.ttf"))
    page.add_font("DejaVu", "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
    page.set_creator("wallet-service")
    page.add_page()
    page.set_font("DejaVu", "B", 14)
    page.multi_cell(0, 22, "CHỨNG THỰC BẢN SAO ĐÚNG VỚI BẢN CHÍNH", align="C", new_x="LMARGIN", new_y="NEXT")
    page.ln(12)
    page.set_font("DejaVu", "", 11)
    for line in statement_lines(statement):
        page.multi_cell(0, 17, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(page.output())


def certified_document(scan_pdf: bytes, statement: Statement) -> bytes:
    """The scan with the statement as its last page, as a PDF/A-2b that pikepdf has validated."""
    with pikepdf.open(io.BytesIO(scan_pdf)) as pdf, pikepdf.open(io.BytesIO(_statement_page(statement))) as page:
        pdf.pages.extend(page.pages)
        out = io.BytesIO()
        report = pikepdf.pdfa.save(pdf, out, "2b")
    if not report.passed:
        raise RuntimeError(f"the certified copy is not PDF/A-2b: {report.summary}")
    return out.getvalue()
