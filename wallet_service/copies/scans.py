"""From what a station posted to the copy's PDF/A-2b: the checks that refuse what cannot be a scan of
a paper original, then OCRmyPDF (Tesseract, Vietnamese) for the searchable text layer and the PDF/A
conversion. OCR runs in the request: the station waits for the extracted fields anyway, and the page
limit bounds the wait (about 0.6 s of CPU a page at 300 dpi)."""
from __future__ import annotations

import io
import shutil
import subprocess
from dataclasses import dataclass

import img2pdf
import ocrmypdf
import pikepdf
from flask_babel import gettext as _
from PIL import Image, UnidentifiedImageError

from ..platform.errors import PayloadTooLarge, Unprocessable

MAX_PAGES = 50
MIN_DPI = 150
MAX_PAGE_PIXELS = 80_000_000
"""A0 at 300 dpi is 140 million; a counter's scanner does A3 at most (A3 at 600 dpi: 70 million)."""
IMAGE_FORMATS = frozenset({"JPEG", "PNG", "TIFF"})
OCR_TIMEOUT_SECONDS = 60.0
"""Per page: a page Tesseract cannot read in this time gets no text rather than holding the request."""


@dataclass(frozen=True)
class Scan:
    """The digitised original: a PDF/A-2b of its pages, and the text read from them."""

    pdf: bytes
    page_count: int
    text: str
    text_layer: bool
    """False when no OCR language is installed: the copy has no searchable text."""


def scan_from_images(parts: list[bytes], ocr_language: str, max_bytes: int) -> Scan:
    """Pages posted as images, one or more per part (a TIFF may hold several)."""
    pages = [_checked_image(index, part) for index, part in enumerate(parts)]
    count = sum(frames for _, frames in pages)
    _check_page_count(count)
    source = img2pdf.convert([data for data, _ in pages])
    return _ocr(source, count, ocr_language, max_bytes)


def scan_from_pdf(data: bytes, ocr_language: str, max_bytes: int) -> Scan:
    """A scanner's PDF. Pages that carry text already keep it; the others are read."""
    count = check_pdf(data)
    return _ocr(data, count, ocr_language, max_bytes)


def _check_page_count(count: int) -> None:
    if count > MAX_PAGES:
        raise PayloadTooLarge(_("The scan has %(count)s pages; a copy has at most %(max)s.", count=count, max=MAX_PAGES),
                              "too_many_pages")


def _checked_image(index: int, data: bytes) -> tuple[bytes, int]:
    """The image as img2pdf takes it (without an alpha channel), and its number of frames."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            kind, size, dpi, frames, mode = image.format, image.size, image.info.get("dpi"), getattr(image, "n_frames", 1), image.mode
            if kind in IMAGE_FORMATS and size[0] * size[1] <= MAX_PAGE_PIXELS:
                image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise Unprocessable(_("Page %(n)s is not a JPEG, PNG or TIFF image.", n=index + 1), "not_an_image") from None
    if kind not in IMAGE_FORMATS:
        raise Unprocessable(_("Page %(n)s is not a JPEG, PNG or TIFF image.", n=index + 1), "not_an_image")
    if size[0] * size[1] > MAX_PAGE_PIXELS:
        raise PayloadTooLarge(_("Page %(n)s has too many pixels; scan at 300 dpi.", n=index + 1), "image_too_large")
    if not dpi or min(float(dpi[0]), float(dpi[1])) < MIN_DPI:
        raise Unprocessable(_("Page %(n)s is scanned at %(dpi)s dpi; scan at %(min)s dpi or more (300 is usual).",
                              n=index + 1, dpi=round(min(map(float, dpi))) if dpi else "?", min=MIN_DPI), "low_resolution")
    if mode in ("RGBA", "LA", "PA") or (mode == "P" and kind == "PNG"):
        # img2pdf refuses transparency, which a scan never needs: flatten onto white.
        with Image.open(io.BytesIO(data)) as image:
            out = io.BytesIO()
            image.convert("RGB").save(out, "PNG", dpi=tuple(map(float, dpi)))
            return out.getvalue(), frames
    return data, frames


def check_pdf(data: bytes) -> int:
    """The scanner PDF's page count, or the reason it cannot be a copy's source."""
    try:
        pdf = pikepdf.open(io.BytesIO(data))
    except pikepdf.PasswordError:
        raise Unprocessable(_("The PDF is encrypted; send it without a password or restrictions."), "encrypted_pdf") from None
    except (pikepdf.PdfError, ValueError):
        raise Unprocessable(_("The document is not a readable PDF."), "not_a_pdf") from None
    with pdf:
        if pdf.is_encrypted:
            raise Unprocessable(_("The PDF is encrypted; send it without a password or restrictions."), "encrypted_pdf")
        count = len(pdf.pages)
        if count == 0:
            raise Unprocessable(_("The PDF has no pages."), "not_a_pdf")
        _check_page_count(count)
        _check_objects(pdf)
        for number, page in enumerate(pdf.pages, start=1):
            _check_page_resolution(number, page)
    return count


def _check_objects(pdf: pikepdf.Pdf) -> None:
    if "/Names" in pdf.Root and "/JavaScript" in pdf.Root.Names:
        raise Unprocessable(_("The PDF contains JavaScript; send the scan only."), "pdf_javascript")
    for obj in pdf.objects:
        if not isinstance(obj, (pikepdf.Dictionary, pikepdf.Stream)):
            continue
        if obj.get("/S") == pikepdf.Name.JavaScript or "/JS" in obj:
            raise Unprocessable(_("The PDF contains JavaScript; send the scan only."), "pdf_javascript")
        if obj.get("/Type") in (pikepdf.Name.Sig, pikepdf.Name.DocTimeStamp) or "/ByteRange" in obj:
            raise Unprocessable(_("The PDF is signed; a copy is made from the scan of the paper original."), "signed_pdf")


def _check_page_resolution(number: int, page: pikepdf.Page) -> None:
    """A page drawn from an image: that image must have at least MIN_DPI for the page's size."""
    box = [float(v) for v in page.mediabox]
    inches = sorted((abs(box[2] - box[0]) / 72, abs(box[3] - box[1]) / 72))
    pixels = [sorted((int(image.Width), int(image.Height))) for image in page.images.values()]
    if not pixels or min(inches) <= 0:
        return  # a page of text, not a scan: nothing to measure
    largest = max(pixels, key=lambda wh: wh[0] * wh[1])
    dpi = round(min(largest[0] / inches[0], largest[1] / inches[1]))  # page sizes in points round the inches
    if dpi < MIN_DPI:
        raise Unprocessable(_("Page %(n)s is scanned at %(dpi)s dpi; scan at %(min)s dpi or more (300 is usual).",
                              n=number, dpi=dpi, min=MIN_DPI), "low_resolution")


def ocr_available(language: str) -> bool:
    """Whether Tesseract is installed with the data for `language` (`none` turns OCR off)."""
    if language in ("", "none") or shutil.which("tesseract") is None:
        return False
    listed = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True, timeout=30)
    return language in listed.stdout.split()


def _ocr(source: bytes, count: int, language: str, max_bytes: int) -> Scan:
    with_text = ocr_available(language)
    output, sidecar = io.BytesIO(), io.BytesIO()
    try:
        ocrmypdf.ocr(
            io.BytesIO(source), output, sidecar=sidecar if with_text else None,
            language=[language] if with_text else None, ocr_engine="tesseract" if with_text else "none",
            output_type="pdfa-2", pdfa_backend="internal", skip_text=True, optimize=0, jobs=1,
            use_threads=True, progress_bar=False, tesseract_timeout=OCR_TIMEOUT_SECONDS,
        )
    except ocrmypdf.exceptions.ExitCodeException as exc:
        raise Unprocessable(_("The scan could not be made into a PDF/A copy: %(reason)s", reason=type(exc).__name__),
                            "scan_unusable") from None
    pdf = output.getvalue()
    if len(pdf) > max_bytes:
        raise PayloadTooLarge(_("The copy would be %(size)s MB; the limit is %(max)s MB. Scan in grey or compress as JPEG.",
                                size=len(pdf) // 2**20, max=max_bytes // 2**20), "document_too_large")
    return Scan(pdf, count, sidecar.getvalue().decode("utf-8", "replace") if with_text else "", with_text)
