"""QR codes for the stamp, made by zxing-cpp (C++; its writer is zint). Level M, not boosted; zint picks
the mode from the text (alphanumeric for the Base45 offline code) and the smallest version.

The mask is fixed (pattern 7) rather than scored: zint applies and scores all eight masks over the
whole matrix, ~80 % of a code's time (~1.3 of 1.6 ms for the offline code's 77x77 modules). Any of
the eight is a valid symbol that every reader undoes from the format information; on these codes'
data (Base45 of a signature, a short link) pattern 7 scores a median ~4 % (offline code) and ~1 %
(link) above the best mask's ISO/IEC 18004 penalty."""

from __future__ import annotations

import zxingcpp

_DARK_LIGHT_DIGITS = bytes.maketrans(b"\x00\xff", b"10")
_MASK = 7


def qr_bitmap(data: str) -> tuple[bytes, int]:
    """The module matrix packed one bit a module (1 = dark), each row starting on a byte as a PDF image's
    samples do, and its side; quiet zone excluded."""
    code = zxingcpp.create_barcode(data, zxingcpp.BarcodeFormat.QRCode, ec_level="M", data_mask=_MASK)
    image = code.to_image(scale=1, add_quiet_zones=False)  # 8-bit grey, 0 = dark
    size = image.shape[0]
    digits = bytes(image).translate(_DARK_LIGHT_DIGITS)
    row_bytes = (size + 7) // 8
    pad = b"0" * (row_bytes * 8 - size)
    return b"".join(int(digits[y * size:(y + 1) * size] + pad, 2).to_bytes(row_bytes, "big")
                    for y in range(size)), size
