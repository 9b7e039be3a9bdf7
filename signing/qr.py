"""QR codes for the stamp, made by zxing-cpp (C++, ~0.8 ms for a 69x69 code; segno, pure Python,
takes ~5 ms). Level M, not boosted; zxing-cpp picks the mode from the text (alphanumeric for the
Base45 offline code), the smallest version and the mask of lowest ISO/IEC 18004 penalty."""

from __future__ import annotations

import zxingcpp

_DARK_LIGHT = bytes.maketrans(b"\x00\xff", b"\x01\x00")


def qr_matrix(data: str) -> tuple[bytes, ...]:
    """The module matrix, one ``bytes`` a row (1 = dark), quiet zone excluded."""
    code = zxingcpp.create_barcode(data, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
    image = code.to_image(scale=1, add_quiet_zones=False)  # 8-bit grey, 0 = dark
    size = image.shape[0]
    modules = bytes(image).translate(_DARK_LIGHT)
    return tuple(modules[y * size:(y + 1) * size] for y in range(size))
