"""Checks a document before it is accepted for signing: a PDF that pyHanko can read strictly,
with pages, not encrypted (an encrypted PDF cannot be given a PAdES signature the citizen can open)."""
from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO

from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader

from ..platform.errors import PayloadTooLarge, Unprocessable

# A page tree deeper than this is hostile, not a result document.
_MAX_TREE_DEPTH = 32


@dataclass(frozen=True)
class PdfSummary:
    page_count: int
    """Pages found by walking the page tree."""
    pdf_version: str
    """The version in the header, e.g. '1.7'."""


def _count_pages(node, depth: int = 0) -> int:
    if depth > _MAX_TREE_DEPTH:
        raise Unprocessable("The PDF's page tree is nested too deeply.", "malformed_pdf")
    kind = node.get("/Type")
    if kind == "/Page":
        return 1
    return sum(_count_pages(kid.get_object(), depth + 1) for kid in node["/Kids"])


def inspect_pdf(data: bytes, max_bytes: int) -> PdfSummary:
    if len(data) > max_bytes:
        raise PayloadTooLarge(f"The document is {len(data)} bytes; the limit is {max_bytes} bytes.")
    if not data:
        raise Unprocessable("The document is empty.", "empty_document")
    header_at = data.find(b"%PDF-", 0, 1024)
    if header_at < 0:
        raise Unprocessable("The document is not a PDF (no %PDF- header).", "not_a_pdf")
    version = data[header_at + 5 : header_at + 8].decode("ascii", "replace")
    try:
        reader = PdfFileReader(BytesIO(data), strict=True)
        if reader.encrypted:
            raise Unprocessable("The PDF is encrypted; send it without a password or restrictions.", "encrypted_pdf")
        pages = _count_pages(reader.root["/Pages"].get_object())
    except Unprocessable:
        raise
    except (PdfError, KeyError, TypeError, ValueError, AttributeError, RecursionError) as exc:
        # PdfError covers truncated files (no %%EOF), broken xref tables and bad objects.
        raise Unprocessable(f"The PDF cannot be read: {exc}", "malformed_pdf") from None
    if pages == 0:
        raise Unprocessable("The PDF has no pages.", "malformed_pdf")
    return PdfSummary(page_count=pages, pdf_version=version)
