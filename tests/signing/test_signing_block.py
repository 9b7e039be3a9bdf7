"""The Decree 30 look: the official's signature image, name and time at the document's signing block
(found by its text), the agency's red seal over the image's left third, the QR code beside them;
the result still verifies. The rendered page is kept in test-artifacts/screenshots/."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from io import BytesIO
from pathlib import Path

import pytest
from checks import load_root, pdfsig, validate_all
from PIL import Image
from pyhanko.pdf_utils.reader import PdfFileReader

from adapters.keys.pkcs12 import Pkcs12KeySource
from signing.appearance import InvalidImage, StampImage, find_signing_block
from signing.journal import SqliteBatchJournal
from signing.page_text import page_lines
from signing.pipeline import BatchItem, BatchSigner, decree30_steps
from signing.profiles import PadesLevel, TrustServices
from signing.samples import seal_png, signature_png
from signing.stamp import StampText, verification_url
from wallet_service.dev.demo import result_pdf

AGENCY = "Trung tâm Phục vụ hành chính công phường Hạ Long tỉnh Quảng Ninh"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
DPI = 100


@pytest.fixture(scope="module")
def signed(dev_pki, stamp_font, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("block")
    official = Pkcs12KeySource.from_file(dev_pki.pkcs12_path("official1"), dev_pki.pkcs12_passphrase())
    agency = Pkcs12KeySource.from_file(dev_pki.pkcs12_path("000.00.15.H40"), dev_pki.pkcs12_passphrase())
    original = result_pdf(AGENCY, "Giấy phép xây dựng", "Lê Thị Hoa", "000.00.15.H40-260105-0001",
                          ("Công trình: nhà ở riêng lẻ 3 tầng",), ("KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC"), "Nguyễn Văn An")
    steps = decree30_steps(official, agency, PadesLevel.B_LTA,
                           signature_image=StampImage.from_png(signature_png("Nguyễn Văn An")),
                           seal_image=StampImage.from_png(seal_png(AGENCY), kind="seal"))
    item = BatchItem("kq-1", original, StampText("Nguyễn Văn An", AGENCY), verification_url("https://wallet.example.vn", "kq-1"))
    signer = BatchSigner(trust_services=TrustServices(tsa_url=dev_pki.tsa_url), font=stamp_font, workers=1)
    (outcome,) = signer.sign([item], steps, SqliteBatchJournal(tmp / "j.db"))
    assert outcome.ok, outcome.error
    path = tmp / "signed.pdf"
    path.write_bytes(outcome.signed_pdf)
    subprocess.run(["pdftoppm", "-r", str(DPI), "-png", "-singlefile", str(path), str(tmp / "page")], check=True)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(tmp / "page.png", ARTIFACTS / "signing_block_stamp.png")
    return outcome.signed_pdf, path, Image.open(tmp / "page.png").convert("RGB"), original


def _to_pixels(x: float, y: float, page_height: float) -> tuple[int, int]:
    return int(x * DPI / 72), int((page_height - y) * DPI / 72)


def test_signature_and_seal_are_drawn_at_the_signing_block(signed):
    _, _, image, original = signed
    reader = PdfFileReader(BytesIO(original))
    lines = page_lines(reader.root["/Pages"]["/Kids"][0].get_object())
    title = next(line for line in lines if line.text == "PHÓ GIÁM ĐỐC")
    name = next(line for line in lines if line.text == "Nguyễn Văn An")
    height = 841.89
    # the place between the title and the typed name, under the title's centre
    left, top = _to_pixels(title.centre - 110, title.y, height)
    right, bottom = _to_pixels(title.centre + 110, name.y + name.size, height)
    region = image.crop((left, top, right, bottom))
    pixels = list(region.get_flattened_data())
    red = sum(1 for r, g, b in pixels if r > 150 and g < 90 and b < 90)
    blue = sum(1 for r, g, b in pixels if b > 80 and r < 80 and g < 90)  # the signature's ink
    assert red > 0.02 * len(pixels), red
    assert blue > 0.005 * len(pixels), blue
    # the seal sits on the left of the signature: its red is mostly in the block's left half
    half = region.width // 2
    red_left = sum(1 for k, (r, g, b) in enumerate(pixels) if k % region.width < half and r > 150 and g < 90 and b < 90)
    assert red_left > 0.6 * red
    # and nothing of it is left in the page's bottom right corner, where the old stamp went
    corner = image.crop(_to_pixels(595 - 330, 100, height) + _to_pixels(595 - 20, 20, height))
    assert corner.convert("L").getextrema()[0] > 200


def test_both_signatures_still_verify(signed, dev_pki, nss_db):
    pdf, path, _, _ = signed
    sigs = {s.field: s for s in pdfsig(path, nss_db)}
    for field in ("Sig1-CanBo", "Sig2-CoQuan"):
        assert sigs[field].signature_valid and sigs[field].certificate_trusted, sigs[field].raw
    statuses, _, _ = asyncio.run(validate_all(pdf, load_root(dev_pki.root_cert_path), "B-LTA"))
    assert all(s.bottom_line and s.trusted for s in statuses)


def test_the_qr_code_beside_the_block_opens_the_verification_page(signed, tmp_path):
    import zxingcpp

    _, path, _, _ = signed
    subprocess.run(["pdftoppm", "-r", "200", "-png", "-singlefile", str(path), str(tmp_path / "sharp")], check=True)
    codes = zxingcpp.read_barcodes(Image.open(tmp_path / "sharp.png"), try_invert=False)
    assert "https://wallet.example.vn/v/kq-1" in [c.text for c in codes]


def test_a_document_without_a_signing_block_keeps_the_corner_box():
    from signing.samples import result_pdf as plain

    assert find_signing_block(PdfFileReader(BytesIO(plain(0)))) is None


@pytest.mark.parametrize("data, code", [
    (b"GIF89a....", "image_not_png"),
    (b"\x89PNG\r\n\x1a\n" + b"\0" * 40, "image_not_png"),
    (None, "image_not_transparent"),
    (b"\x89PNG\r\n\x1a\n" + b"\0" * 1_000_001, "image_too_large"),
], ids=["gif", "broken-png", "opaque-png", "over-1-mb"])
def test_unusable_images_are_refused_with_a_code(data, code):
    if data is None:
        buffer = BytesIO()
        Image.new("RGB", (60, 20), "white").save(buffer, "PNG")
        data = buffer.getvalue()
    with pytest.raises(InvalidImage) as refused:
        StampImage.from_png(data)
    assert refused.value.code == code


def _two_pages(anchor_page: int, title_on_last: bool) -> bytes:
    from fpdf import FPDF

    from signing.appearance import ANCHOR
    from signing.stamp import FONT_DIR

    pdf = FPDF(format="A4", unit="pt")
    pdf.add_font("DejaVu", "", str(FONT_DIR / "DejaVuSans.ttf"))
    pdf.set_font("DejaVu", "", 10)
    for number in range(2):
        pdf.add_page()
        if number == 1 and title_on_last:
            pdf.text(400, 200, "CHỦ TỊCH")
        if number == anchor_page:
            pdf.set_text_color(255, 255, 255)  # invisible on paper, found all the same
            pdf.text(380, 300, ANCHOR)         # baseline 300 pt from the top
            pdf.set_text_color(0, 0, 0)
    return bytes(pdf.output())


def test_an_anchor_text_marks_the_place():
    block = find_signing_block(PdfFileReader(BytesIO(_two_pages(anchor_page=1, title_on_last=True))))
    assert block.page == 1 and 380 < block.centre < 450  # the anchor wins over the title line
    assert abs(block.top - (841.89 - 300 + 10)) < 1
    # a last page without a place (an appendix): the anchor on an earlier page
    assert find_signing_block(PdfFileReader(BytesIO(_two_pages(anchor_page=0, title_on_last=False)))).page == 0
    # a title line on the last page wins over an anchor on an earlier page
    assert find_signing_block(PdfFileReader(BytesIO(_two_pages(anchor_page=0, title_on_last=True)))).page == 1


def test_a_long_agency_name_wraps_between_words_within_the_block(stamp_font):
    from datetime import datetime, timezone

    from signing.appearance import BLOCK_WIDTH, FONT_SIZE, PAD, block_lines

    name = "Trung tâm Phục vụ hành chính công và Kiểm soát thủ tục hành chính tỉnh Quảng Ninh (Chi nhánh Hạ Long)"
    lines = block_lines(StampText("Nguyễn Văn An", name), datetime(2026, 1, 5, 9, 30, tzinfo=timezone.utc), stamp_font)
    agency_lines = lines[1:-1]
    assert len(agency_lines) >= 2 and " ".join(agency_lines) == name  # every word whole, in order
    assert all(stamp_font.text_width(line, FONT_SIZE) <= BLOCK_WIDTH - 2 * PAD for line in lines)
    assert lines[-1] == "Thời gian: 05/01/2026 09:30:00 +00:00"
