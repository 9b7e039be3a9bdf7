"""QR codes for the stamp, made by zxing-cpp (C++, ~1.6 ms for a 65x65 code, ~0.5 for 37x37; segno,
pure Python, takes ~5 ms). Level M, not boosted; zxing-cpp picks the mode from the text (alphanumeric
for the Base45 offline code), the smallest version and the mask of lowest ISO/IEC 18004 penalty."""

from __future__ import annotations

import zxingcpp

_DARK_LIGHT_DIGITS = bytes.maketrans(b"\x00\xff", b"10")


def qr_bitmap(data: str) -> tuple[bytes, int]:
    """The module matrix packed one bit a module (1 = dark), each row starting on a byte as a PDF image's
    samples do, and its side; quiet zone excluded."""
    code = zxingcpp.create_barcode(data, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
    image = code.to_image(scale=1, add_quiet_zones=False)  # 8-bit grey, 0 = dark
    size = image.shape[0]
    digits = bytes(image).translate(_DARK_LIGHT_DIGITS)
    row_bytes = (size + 7) // 8
    pad = b"0" * (row_bytes * 8 - size)
    return b"".join(int(digits[y * size:(y + 1) * size] + pad, 2).to_bytes(row_bytes, "big")
                    for y in range(size)), size
