"""QR codes as segno makes them, with its data-mask choice computed faster.

segno picks the mask pattern as ISO/IEC 18004 says (7.8.3: the lowest penalty of the eight),
but scores each mask module by module in Python: ~2 ms of the ~2.5 ms a stamp's QR code costs,
for every document. :class:`QrEncoder` scores the same penalties (N1 runs, N2 blocks, N3
finder-like patterns, N4 dark share) on whole rows at once: rows as integers for the blocks,
as strings for the runs and patterns. It lets segno encode with mask 0, recovers the unmasked
matrix from that, chooses the mask segno would choose (tests compare with segno on many
inputs), and applies it with segno's own format-information writer: the code is the one
``segno.make_qr`` returns for the same arguments.
"""

from __future__ import annotations

import re

import segno
from segno import encoder

_RUNS = re.compile(r"0{5,}|1{5,}")
_FINDER = "1011101"


def _function_matrix(size: int):
    """segno's matrix before the data goes in: finder, alignment and timing patterns, the
    reserved format and version areas as 0, the data (encoding) region as 2."""
    matrix = encoder.make_matrix(size, size)
    encoder.add_finder_patterns(matrix, size, size)
    encoder.add_alignment_patterns(matrix, size, size)
    return matrix


class QrEncoder:
    """Makes QR codes (error level M, not boosted); keeps what depends only on the symbol size
    (the mask patterns over the data region), so make one per batch chunk."""

    def __init__(self):
        self._by_size: dict[int, tuple] = {}

    def matrix(self, data: str) -> tuple[bytearray, ...]:
        """The module matrix (1 = dark), quiet zone excluded."""
        code = segno.make_qr(data, error="m", boost_error=False, mask=0)
        size = len(code.matrix)
        region, fixed, masks = self._layout(size)
        final = [int(bytes(row).translate(_DIGITS), 2) for row in code.matrix]
        # segno's pre-mask matrix: the data unmasked, the function patterns, format areas 0
        plain = [((f ^ m) & r) | x for f, m, r, x in zip(final, masks[0], region, fixed)]
        best = min(range(8), key=lambda k: (_penalty([p ^ m for p, m in zip(plain, masks[k])], size), k))
        if best == 0:
            return tuple(code.matrix)
        rows = tuple(bytearray(format(f ^ m0 ^ mk, f"0{size}b").encode().translate(_BITS))
                     for f, m0, mk in zip(final, masks[0], masks[best]))
        encoder.add_format_info(rows, code._version, code._error, best)
        return rows

    def _layout(self, size: int):
        """Per row, as integers (column 0 = most significant bit): the data region, the fixed
        dark modules, and each mask pattern over the data region."""
        if size not in self._by_size:
            base = _function_matrix(size)

            def as_int(bits):
                return int("".join("1" if b else "0" for b in bits), 2)

            region = [as_int(b == 2 for b in row) for row in base]
            fixed = [as_int(b == 1 for b in row) for row in base]
            masks = [[as_int(b == 2 and bool(fn(i, j)) for j, b in enumerate(row))
                      for i, row in enumerate(base)] for fn in encoder.get_data_mask_functions(False)]
            self._by_size[size] = (region, fixed, masks)
        return self._by_size[size]


def _penalty(ints: list[int], size: int) -> int:
    """segno's ``evaluate_mask`` (ISO/IEC 18004 7.8.3.1) on a matrix of integer rows."""
    pattern = f"0{size}b"
    texts = [format(x, pattern) for x in ints]
    lines = texts + ["".join(col) for col in zip(*texts)]
    n1 = sum(len(m) - 2 for line in lines for m in _RUNS.findall(line))
    n3 = sum(_finder_score(line, size) for line in lines if _FINDER in line)
    pairs = (1 << (size - 1)) - 1
    n2 = 0
    for above, row in zip(ints, ints[1:]):
        same = ~(above ^ row)
        n2 += 3 * (same & (same >> 1) & ~(row ^ (row >> 1)) & pairs).bit_count()
    dark = sum(x.bit_count() for x in ints)
    n4 = 10 * int(abs(float(dark) / size ** 2 * 100 - 50) / 5)
    return n1 + n2 + n3 + n4


_DIGITS = bytes.maketrans(b"\x00\x01", b"01")
_BITS = bytes.maketrans(b"01", b"\x00\x01")


def _finder_score(seq: str, size: int) -> int:
    """segno's ``n3_pattern_occurrences``, on a string of 0 and 1."""
    count = 0
    idx = seq.find(_FINDER)
    while idx != -1:
        offset = idx + 7
        if (idx in (0, size - 7) or "1" not in seq[max(idx - 4, 0):min(idx, size)]
                or "1" not in seq[max(offset, 0):min(offset + 4, size)]):
            count += 40
        else:
            offset = idx + 4
        idx = seq.find(_FINDER, offset)
    return count
