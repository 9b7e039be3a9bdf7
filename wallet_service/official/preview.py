"""A PNG of a document's first page, for previews that do not depend on the browser having a PDF
viewer (phones, headless browsers). Rendered by poppler's `pdftoppm`, the same poppler the
service's tests check signatures with; no Python package here rasterises PDF."""
from __future__ import annotations

import subprocess

from ..platform.errors import ApiError

PDFTOPPM = "pdftoppm"
TIMEOUT_SECONDS = 20
DEFAULT_WIDTH = 900


class PreviewUnavailable(ApiError):
    status = 503
    code = "preview_unavailable"


def first_page_png(pdf: bytes, width: int = DEFAULT_WIDTH) -> bytes:
    """Page 1 of `pdf`, scaled to `width` pixels across (the height follows the page's shape)."""
    command = [PDFTOPPM, "-png", "-f", "1", "-l", "1", "-singlefile", "-scale-to-x", str(width), "-scale-to-y", "-1", "-"]
    try:
        done = subprocess.run(command, input=pdf, capture_output=True, timeout=TIMEOUT_SECONDS, check=False)
    except FileNotFoundError:
        raise PreviewUnavailable("The page preview needs poppler-utils (pdftoppm) on the server.") from None
    except subprocess.TimeoutExpired:
        raise PreviewUnavailable("The page preview took too long; open the PDF instead.") from None
    if done.returncode != 0 or not done.stdout.startswith(b"\x89PNG"):
        message = done.stderr.decode("utf-8", "replace").strip()[:200]
        raise PreviewUnavailable(f"The first page could not be rendered: {message or 'pdftoppm failed'}.")
    return done.stdout
