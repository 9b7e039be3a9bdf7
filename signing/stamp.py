"""The visible signature stamp: Vietnamese text in an embedded OpenType font plus a QR
code that opens the verification page, and, when the stamp carries one, a larger second QR code
holding the result's offline code (verifiable with no network) on the right.

Font subsetting per document (fontTools) costs ~150 ms; every stamp uses the same small
repertoire (Vietnamese letters, digits, punctuation), so :class:`StampFont` subsets the
font *once* to that repertoire and every document embeds those bytes as they are.
``StampFont`` holds only bytes, so it pickles cheaply to worker processes.
"""

from __future__ import annotations

import io
import textwrap
import unicodedata
import zlib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.writer import init_xobject_dictionary
import uharfbuzz as hb
from fontTools import ttLib
from pyhanko.pdf_utils.font.api import FontEngine, FontEngineFactory
from pyhanko.pdf_utils.font.opentype import CIDFontType2, GlyphAccumulator, _read_ps_name

from pyhanko.stamp.qr import QRStamp, QRStampStyle

from .errors import InvalidRequest
from .qr import qr_bitmap

FONT_DIR = Path(__file__).parent / "fonts"
DEFAULT_FONT = FONT_DIR / "DejaVuSans.ttf"

_VIETNAMESE_LETTERS = (
    "ÀÁÂÃÈÉÊÌÍÒÓÔÕÙÚÝàáâãèéêìíòóôõùúýĂăĐđĨĩŨũƠơƯư"
    + "".join(chr(c) for c in range(0x1EA0, 0x1EFA))
)
REPERTOIRE = (
    "".join(chr(c) for c in range(0x20, 0x7F))
    + _VIETNAMESE_LETTERS
    + "\u0300\u0301\u0303\u0309\u0323"  # combining tone marks (decomposed input)
    + "–—‘’“”…•°©«»·×"
)
"""Characters every stamp may use; anything else is rejected with a clear error."""
LINK_QR_SIZE = 66
"""Side in points of the link QR code (the corner stamp's height less its inner margins)."""
OFFLINE_QR_SIZE = 150.0
"""Side in points of the offline code's QR (53 mm): a version-15 code then has 0.6 mm modules, which
phones read from paper, and 3.5 pixels per module in a 150 dpi scan."""


@dataclass(frozen=True)
class StampText:
    """What the stamp says. Rendered as ``Ký bởi: <signer>`` / ``<agency>`` / time."""

    signer_name: str
    """Person (or seal) shown after "Ký bởi"."""
    agency_name: str
    """Agency the signature is made for."""
    signed_at: datetime | None = None
    """Time shown on the stamp; defaults to the signing time (with its UTC offset)."""
    offline_code: str | None = None
    """The result's signed offline code (``VN1:...``), drawn as a second QR code; None for none."""


@dataclass(frozen=True)
class StampPlacement:
    """Where the stamp goes. Default: bottom right of the last page."""

    page: int = -1
    """Page index; negative counts from the end."""
    box: tuple[float, float, float, float] | None = None
    """Explicit (llx, lly, urx, ury) in PDF points; overrides the corner layout."""
    width: float = 300.0
    """Width in points when placed in a corner."""
    height: float = 72.0
    """Height in points when placed in a corner."""
    margin: float = 28.0
    """Distance from the page edges in points when placed in a corner."""
    corner: str = "bottom-right"
    """``bottom-right``, ``bottom-left``, ``top-right`` or ``top-left``."""
    offline_qr_size: float = OFFLINE_QR_SIZE
    """Side in points of the offline code's QR, added to the corner stamp's width and height."""

    def rectangle(self, mediabox: tuple[float, float, float, float],
                  with_offline_code: bool = False) -> tuple[int, int, int, int]:
        """The stamp rectangle on a page with this MediaBox (larger when it carries an offline code)."""
        if self.box is not None:
            return tuple(int(round(v)) for v in self.box)  # type: ignore[return-value]
        width, height = self.width, self.height
        if with_offline_code:
            width, height = width + self.offline_qr_size, max(height, self.offline_qr_size)
        x0, y0, x1, y1 = mediabox
        vertical, _, horizontal = self.corner.partition("-")
        if vertical not in ("top", "bottom") or horizontal not in ("left", "right"):
            raise InvalidRequest(f"Unknown stamp corner {self.corner!r}.", code="bad_stamp")
        llx = x1 - self.margin - width if horizontal == "right" else x0 + self.margin
        lly = y0 + self.margin if vertical == "bottom" else y1 - self.margin - height
        return (int(llx), int(lly), int(llx + width), int(lly + height))


@dataclass(frozen=True)
class StampFont:
    """An OpenType font pre-subset to :data:`REPERTOIRE`; build once, reuse everywhere."""

    font_bytes: bytes = field(repr=False)
    """The subset font program (TrueType)."""
    compressed_font_bytes: bytes = field(repr=False)
    """The same, Flate-compressed, ready to embed as /FontFile2."""
    advances: tuple[int, ...] = field(default=(), repr=False)
    """Advance width of each character of :data:`REPERTOIRE`, in thousandths of the font size."""

    def text_width(self, text: str, size: float) -> float:
        """Width in points of one line of ``text`` at ``size`` (unknown characters count 1 em)."""
        widths = dict(zip(REPERTOIRE, self.advances))
        return sum(widths.get(c, 1000) for c in text) * size / 1000

    @classmethod
    def load(cls, path: "str | Path" = DEFAULT_FONT) -> "StampFont":
        from fontTools import subset, ttLib
        from fontTools.ttLib.scaleUpem import scale_upem

        font = ttLib.TTFont(str(path))
        options = subset.Options()
        options.layout_features = ["*"]
        options.name_IDs = ["*"]
        subsetter = subset.Subsetter(options=options)
        subsetter.populate(unicodes=[ord(c) for c in REPERTOIRE])
        subsetter.subset(font)
        # pyHanko writes glyph widths (/W, TJ) in font units as if unitsPerEm were 1000;
        # DejaVu uses 2048, so rescale once here or every letter is spaced twice too wide.
        if font["head"].unitsPerEm != 1000:
            scale_upem(font, 1000)
        buf = io.BytesIO()
        font.save(buf)
        data = buf.getvalue()
        cmap, metrics = font.getBestCmap(), font["hmtx"].metrics
        advances = tuple(metrics[cmap[ord(c)]][0] if ord(c) in cmap else 1000 for c in REPERTOIRE)
        return cls(font_bytes=data, compressed_font_bytes=zlib.compress(data, 6), advances=advances)

    def engine_factory(self, font_size: int = 7):
        """A pyHanko ``FontEngineFactory`` embedding this font without re-subsetting."""
        return _PresubsetFontFactory(self, font_size)


def verification_url(public_base_url: str, result_id: str, access_key: str | None = None) -> str:
    """The address the stamp's QR code opens: ``{PUBLIC_BASE_URL}/v/{result_id}``, with
    ``?k={access_key}`` when the page behind it should show the document to the QR's holder."""
    from urllib.parse import quote

    url = f"{public_base_url.rstrip('/')}/v/{quote(result_id, safe='')}"
    return f"{url}?k={quote(access_key, safe='')}" if access_key else url


def check_text(text: str) -> str:
    """NFC-normalise and make sure the font can draw every character."""
    text = unicodedata.normalize("NFC", text)
    missing = sorted({c for c in text if c not in REPERTOIRE and c != "\n"})
    if missing:
        raise InvalidRequest(
            f"The stamp font cannot draw {''.join(missing)!r}.", code="stamp_unsupported_character"
        )
    return text


def stamp_time(moment: datetime) -> str:
    """``dd/mm/yyyy HH:MM:SS +07:00``: the signing time with its UTC offset."""
    when = moment.strftime("%d/%m/%Y %H:%M:%S %z")
    return when[:-2] + ":" + when[-2:] if when[-5:-4] in "+-" else when


def stamp_lines(text: StampText, signed_at: datetime, width_chars: int = 56) -> str:
    """The stamp's text block, wrapped to the stamp width."""
    lines = [f"Ký bởi: {text.signer_name}"]
    lines += textwrap.wrap(f"Cơ quan: {text.agency_name}", width_chars) or [""]
    lines.append(f"Thời gian: {stamp_time(text.signed_at or signed_at)}")
    return check_text("\n".join(lines))


def qr_form(writer, data: str) -> tuple[generic.IndirectObject, int]:
    """A QR code as a form XObject (one unit a module, quiet zone included) and its side in units. The
    modules are a 1-bit image mask painted black, not a rectangle per run of dark modules: writing those
    operators cost ~1.3 ms a result in Python, the mask ~0.05. Drawn without interpolation, as the PDF
    default is, a mask keeps its modules' edges sharp at any scale."""
    border = _FastQRStamp.BORDER
    bits, modules = qr_bitmap(data)
    mask = generic.StreamObject({
        generic.pdf_name("/Type"): generic.pdf_name("/XObject"), generic.pdf_name("/Subtype"): generic.pdf_name("/Image"),
        generic.pdf_name("/Width"): generic.NumberObject(modules), generic.pdf_name("/Height"): generic.NumberObject(modules),
        generic.pdf_name("/ImageMask"): generic.BooleanObject(True),
        # samples of 1, the dark modules, are painted
        generic.pdf_name("/Decode"): generic.ArrayObject([generic.NumberObject(1), generic.NumberObject(0)]),
    }, stream_data=bits)
    resources = generic.DictionaryObject({generic.pdf_name("/XObject"): generic.DictionaryObject(
        {generic.pdf_name("/M"): writer.add_object(mask)})})
    size = modules + 2 * border
    xobj = init_xobject_dictionary(b"0 0 0 rg q %d 0 0 %d %d %d cm /M Do Q" % (modules, modules, border, border),
                                   size, size, resources)
    return writer.add_object(xobj), size


class _FastQRStamp(QRStamp):
    """pyHanko's QR stamp with the matrix from zxing-cpp (see :mod:`signing.qr`): the ``qrcode``
    package pyHanko uses spends ~9 ms per document choosing a mask, more than the rest of the stamp. With an offline
    code, its QR code goes right of the text, the link QR code and the text centred beside it."""

    BORDER = 4

    def __init__(self, *args, offline_code: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.offline_code = offline_code

    def _qr_xobject(self, data: str | None = None):
        return qr_form(self.writer, data or self.url)

    def _inner_layout_natural_size(self):
        commands, (width, height) = super()._inner_layout_natural_size()
        if not self.offline_code:
            return commands, (width, height)
        from pyhanko.pdf_utils.content import ResourceType

        ref, natural = self._qr_xobject(self.offline_code)
        self.set_resource(category=ResourceType.XOBJECT, name=generic.pdf_name("/QR2"), value=ref)
        pad, side = self.style.innsep, OFFLINE_QR_SIZE - 2 * self.style.innsep
        total = max(height, OFFLINE_QR_SIZE)
        scale = side / natural
        return ([b"q 1 0 0 1 0 %g cm" % ((total - height) / 2), *commands, b"Q",
                 b"q %g 0 0 %g %g %g cm /QR2 Do Q" % (scale, scale, width + pad, (total - side) / 2)],
                (width + OFFLINE_QR_SIZE, total))




@dataclass(frozen=True)
class _FastQRStampStyle(QRStampStyle):
    def create_stamp(self, writer, box, text_params):
        text_params = dict(text_params)
        url, offline_code = text_params.pop("url"), text_params.pop("offline_code", None)
        return _FastQRStamp(writer, style=self, url=url, text_params=text_params, box=box,
                             offline_code=offline_code)


def stamp_style(font: StampFont):
    """pyHanko QR stamp style with our font; the text is passed as ``%(stamp)s``."""
    from pyhanko.pdf_utils.text import TextBoxStyle
    from pyhanko.stamp import QRPosition

    return _FastQRStampStyle(
        stamp_text="%(stamp)s",
        text_box_style=TextBoxStyle(font=font.engine_factory(), font_size=7, leading=9),
        border_width=1,
        qr_position=QRPosition.LEFT_OF_TEXT,
        qr_inner_size=LINK_QR_SIZE,
        background=None,
    )


# --- pyHanko font engine that skips subsetting ------------------------------------------


class _PresubsetCIDFont(CIDFontType2):
    """CIDFontType2 whose /FontFile2 is the cached, already compressed subset."""

    def __init__(self, tt, base_ps_name, subset_prefix, font: StampFont):
        super().__init__(tt, base_ps_name, subset_prefix)
        self._font = font

    def set_font_file(self, writer):
        stream = generic.StreamObject(
            {generic.pdf_name("/Length1"): generic.NumberObject(len(self._font.font_bytes)),
             generic.pdf_name("/Filter"): generic.pdf_name("/FlateDecode")},
            encoded_data=self._font.compressed_font_bytes,
        )
        ref = writer.add_object(stream)
        self._font_descriptor[generic.pdf_name("/FontFile2")] = ref
        return ref


@dataclass(frozen=True)
class _ParsedFont:
    """The font as fontTools and HarfBuzz read it: only read by the accumulators (subsetting
    is skipped), so one parse serves every document of a chunk."""

    tt: ttLib.TTFont
    hb_font: hb.Font
    ps_name: str


class _PresubsetGlyphAccumulator(GlyphAccumulator):
    """pyHanko's glyph accumulator minus the per-document subsetting, font re-save and font
    parsing (~4 ms per document): ``GlyphAccumulator.__init__`` as pyHanko 0.38 has it for a
    TrueType font, with the parsed font shared."""

    def __init__(self, writer, font: StampFont, font_size, parsed: _ParsedFont, obj_stream=None):
        self.hb_font, self.tt = parsed.hb_font, parsed.tt
        FontEngine.__init__(self, writer, parsed.ps_name, embedded_subset=True,
                            obj_stream=obj_stream, font_size=font_size)
        self._font_ref = writer.allocate_placeholder()
        self.cff_charset, self.use_raw_gids = None, True
        self.cidfont_obj = _PresubsetCIDFont(self.tt, parsed.ps_name, self.subset_prefix, font)
        self.features = None
        self.units_per_em = self.tt["head"].unitsPerEm
        self._glyphs = {}
        self._glyph_set = self.tt.getGlyphSet(preferCFF=True)
        self._cid_to_unicode = {}
        self._GlyphAccumulator__reverse_cmap = None
        self.ot_language_tag = self.ot_script_tag = self.writing_direction = None
        self.bcp47_lang_code = None
        self._subset_created = self._write_prepared = False

    def _extract_subset(self, options=None):
        return None  # already subset to the stamp repertoire by StampFont.load


class _PresubsetFontFactory(FontEngineFactory):
    """Made once per chunk of documents (``stamp_style``); parses the font on first use."""

    def __init__(self, font: StampFont, font_size: int):
        self.font = font
        self.font_size = font_size
        self._parsed: _ParsedFont | None = None

    def create_font_engine(self, writer, obj_stream=None):
        if self._parsed is None:
            tt = ttLib.TTFont(io.BytesIO(self.font.font_bytes))
            self._parsed = _ParsedFont(tt, hb.Font(hb.Face(self.font.font_bytes)), _read_ps_name(tt))
        return _PresubsetGlyphAccumulator(writer, self.font, self.font_size, self._parsed, obj_stream)
