"""The pages of an issued document as PNG images, for the QR page's holder to compare with the
paper copy without a PDF viewer. Rendered by poppler's `pdftoppm`, as the officials' preview is."""
from __future__ import annotations

import io
import subprocess

from pyhanko.pdf_utils.reader import PdfFileReader

from ..official.preview import PDFTOPPM, TIMEOUT_SECONDS, PreviewUnavailable

MAX_PAGES = 20
"""Pages shown on the QR page; a result longer than this is compared in its PDF."""
PAGE_WIDTH = 1000


def page_count(pdf: bytes) -> int:
    """How many pages the QR page shows: the document's, at most `MAX_PAGES`."""
    try:
        count = int(PdfFileReader(io.BytesIO(pdf), strict=False).root["/Pages"]["/Count"])
    except Exception:  # an issued document is readable; a store gone wrong shows no pages, not a 500
        return 0
    return max(0, min(count, MAX_PAGES))


def page_png(pdf: bytes, number: int, width: int = PAGE_WIDTH) -> bytes:
    """Page `number` (from 1) of `pdf`, `width` pixels across."""
    command = [PDFTOPPM, "-png", "-f", str(number), "-l", str(number), "-singlefile",
               "-scale-to-x", str(width), "-scale-to-y", "-1", "-"]
    try:
        done = subprocess.run(command, input=pdf, capture_output=True, timeout=TIMEOUT_SECONDS, check=False)
    except (FileNotFoundError, subprocess.TimeoutExpired):
        raise PreviewUnavailable("The page image could not be made on the server.") from None
    if done.returncode != 0 or not done.stdout.startswith(b"\x89PNG"):
        raise PreviewUnavailable("The page image could not be made on the server.")
    return done.stdout
