"""The Decree 30/2020 look of a signed result (Appendix I): at the document's signing block, under
"KT. CHỦ TỊCH" and the title, the official's signature image with their name, agency and the signing
time, the QR codes beside it; the agency's red seal image, drawn by the agency's own signature,
covers the left third of the official's signature image.

Where: the place the case system marked with :data:`ANCHOR`, else the last page's signing block
found by its text, else the corner box of :mod:`signing.stamp`. Images are decoded and compressed once per batch (:class:`StampImage`);
each document only embeds the ready bytes.
"""

from __future__ import annotations

import io
import re
import zlib
from dataclasses import dataclass, field
from datetime import datetime

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.content import ResourceType
from pyhanko.stamp.base import BaseStamp, BaseStampStyle

from .errors import InvalidDocument, InvalidRequest
from .page_text import TextLine, page_lines
from .stamp import LINK_QR_SIZE, OFFLINE_QR_SIZE, StampFont, StampText, check_text, qr_form, stamp_lines, stamp_time

BLOCK_WIDTH = 210.0
"""Width in points of the signing block's part of the official's widget (about 74 mm)."""
PAD = 4.0
SLOT = (BLOCK_WIDTH - 2 * PAD, 62.0)
"""Width and height in points of the signature image's place at the top of the block."""
FONT_SIZE, LEADING = 8, 10
"""Text of the block: readable at 100 % zoom (the corner stamp's 7 pt is not)."""
SEAL_SIZE = 96.0
"""Side in points of the seal image (34 mm, a real seal's size)."""
QR_GAP = 44.0
"""Between the QR codes and the block: room for the part of the seal left of the signature."""
SIGNATURE_IMAGE_MAX_BYTES = 1_000_000
IMAGE_MAX_SIDE = 4000
_IMAGE_PIXELS = {"signature": (720, 216), "seal": (400, 400)}
"""Pixels kept per image (about 250 dpi at its drawn size), so each document stays small."""

OFFICIAL_FIELD_LABEL = "Chữ ký số của người có thẩm quyền"
"""The /TU (the name a PDF reader shows) of the official's field at the signing block; the seal goes only there."""
ANCHOR = "[[KY_SO]]"
"""A line of only this text (it may be drawn white or tiny) marks the top centre of the signature's place."""
_TITLE = re.compile(
    r"^(?:(?:KT|TM|TL|TUQ|Q)\.\s*\S.*|(?:PHÓ\s+)?(?:CHỦ TỊCH|GIÁM ĐỐC|TỔNG GIÁM ĐỐC|BỘ TRƯỞNG|THỦ TRƯỞNG|"
    r"CỤC TRƯỞNG|VỤ TRƯỞNG|HIỆU TRƯỞNG|VIỆN TRƯỞNG|CHÁNH VĂN PHÒNG|TRƯỞNG PHÒNG|TRƯỞNG BAN|TRƯỞNG CÔNG AN)"
    r"(?:\s.*)?)$"
)
"""A signing block's authority or title line, as Decree 30 writes them (in capitals)."""


class InvalidImage(InvalidRequest):
    """An uploaded signature or seal image that cannot be used."""

    code = "invalid_image"


@dataclass(frozen=True)
class StampImage:
    """A PNG with transparency, ready to embed: RGB and alpha, each Flate-compressed."""

    width: int
    height: int
    rgb: bytes = field(repr=False)
    alpha: bytes = field(repr=False)

    @classmethod
    def from_png(cls, data: bytes, kind: str = "signature") -> "StampImage":
        """Check and prepare an uploaded image (``kind``: ``signature`` or ``seal``): a PNG of at most
        1 MB with transparency; trimmed to its drawing and fitted to the place it is drawn in."""
        from PIL import Image, UnidentifiedImageError

        if not data.startswith(b"\x89PNG\r\n\x1a\n"):
            raise InvalidImage("The image is not a PNG file.", code="image_not_png")
        if len(data) > SIGNATURE_IMAGE_MAX_BYTES:
            raise InvalidImage("The image is larger than 1 MB.", code="image_too_large")
        try:
            image = Image.open(io.BytesIO(data))
            if max(image.size) > IMAGE_MAX_SIDE or min(image.size) < 16:
                raise InvalidImage("The image must be 16 to 4000 pixels on each side.", code="image_dimensions")
            has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
            image = image.convert("RGBA")
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as e:
            raise InvalidImage(f"The PNG file cannot be read: {e}", code="image_not_png") from e
        if not has_alpha or image.getchannel("A").getextrema()[0] == 255:
            raise InvalidImage("The image has no transparent background.", code="image_not_transparent")
        drawn = image.getchannel("A").getbbox()
        if drawn is None:
            raise InvalidImage("The image is entirely transparent.", code="image_empty")
        return cls._fitted(image.crop(drawn), _IMAGE_PIXELS[kind])

    @classmethod
    def _fitted(cls, image, canvas_size: tuple[int, int]) -> "StampImage":
        from PIL import Image

        image.thumbnail(canvas_size, Image.Resampling.LANCZOS)
        # centred on a canvas of the place's proportions, so the place's left third is the image's
        canvas = Image.new("RGBA", canvas_size, (255, 255, 255, 0))
        canvas.paste(image, ((canvas_size[0] - image.width) // 2, (canvas_size[1] - image.height) // 2))
        rgb = canvas.convert("RGB").tobytes()
        return cls(canvas.width, canvas.height, zlib.compress(rgb, 6), zlib.compress(canvas.getchannel("A").tobytes(), 6))

    def xobject(self, writer) -> generic.IndirectObject:
        """Add the image (with its alpha as a soft mask) to a document being written."""
        def image(colour_space: str, data: bytes, extra=()):
            return generic.StreamObject({
                generic.pdf_name("/Type"): generic.pdf_name("/XObject"),
                generic.pdf_name("/Subtype"): generic.pdf_name("/Image"),
                generic.pdf_name("/Width"): generic.NumberObject(self.width),
                generic.pdf_name("/Height"): generic.NumberObject(self.height),
                generic.pdf_name("/ColorSpace"): generic.pdf_name(colour_space),
                generic.pdf_name("/BitsPerComponent"): generic.NumberObject(8),
                generic.pdf_name("/Filter"): generic.pdf_name("/FlateDecode"), **dict(extra)}, encoded_data=data)

        mask = writer.add_object(image("/DeviceGray", self.alpha))
        return writer.add_object(image("/DeviceRGB", self.rgb, [(generic.pdf_name("/SMask"), mask)]))


@dataclass(frozen=True)
class SigningBlock:
    """Where the official's signature goes on a page."""

    page: int
    centre: float
    """Horizontal centre in points (of the title line)."""
    top: float
    """Top of the signature's place: just under the title line."""


def find_signing_block(reader, page: int = -1) -> SigningBlock | None:
    """Where the case system put :data:`ANCHOR`, else under the lowest authority or title line
    (Decree 30's "KT. CHỦ TỊCH" / "PHÓ CHỦ TỊCH") of ``page``; when that page has neither, the
    anchor on an earlier page (a document whose appendices follow its signature). None: no place."""
    count = int(reader.root["/Pages"]["/Count"])
    index = page if page >= 0 else count + page
    lines = page_lines(reader.find_page_for_modification(index)[0].get_object())
    found = _anchor(index, lines)
    titles = [line for line in lines if _is_title(line)]
    if found is None and titles:
        title = min(titles, key=lambda line: line.y)
        return SigningBlock(index, title.centre, title.y - 0.35 * title.size)
    for earlier in range(index - 1, -1, -1):  # read only when the page itself has no place
        if found is not None:
            break
        found = _anchor(earlier, page_lines(reader.find_page_for_modification(earlier)[0].get_object()))
    return found


def _anchor(index: int, lines: list[TextLine]) -> SigningBlock | None:
    anchor = next((line for line in lines if line.text.strip() == ANCHOR), None)
    return SigningBlock(index, anchor.centre, anchor.y + anchor.size) if anchor is not None else None


def _is_title(line: TextLine) -> bool:
    text = " ".join(line.text.split())
    return len(text) <= 60 and text == text.upper() and bool(_TITLE.match(text))


def block_lines(text: StampText, signed_at: datetime, font: StampFont) -> list[str]:
    """The block's text, wrapped between words to the block's width as the font measures them (a long
    agency name never breaks inside a word)."""
    lines = _wrapped(check_text(f"Ký bởi: {text.signer_name}"), font)
    lines += _wrapped(check_text(text.agency_name), font)
    lines.append(f"Thời gian: {stamp_time(text.signed_at or signed_at)}")
    return lines


def _wrapped(text: str, font: StampFont) -> list[str]:
    width = BLOCK_WIDTH - 2 * PAD
    lines: list[str] = []
    for word in text.split():
        joined = f"{lines[-1]} {word}" if lines else word
        if lines and font.text_width(joined, FONT_SIZE) <= width:
            lines[-1] = joined
        else:
            lines.append(word)
    return lines


def official_box(block: SigningBlock, mediabox, lines: int, offline_code: bool) -> tuple[int, int, int, int]:
    """The official's widget: the block centred under the title, QR codes on its left at its foot
    (above them stays room for the recipients' list that Decree 30 puts there)."""
    qr_width = LINK_QR_SIZE + (OFFLINE_QR_SIZE + PAD if offline_code else 0)
    width = qr_width + QR_GAP + BLOCK_WIDTH
    height = max(2 * PAD + SLOT[1] + (lines + 0.5) * LEADING, OFFLINE_QR_SIZE if offline_code else LINK_QR_SIZE)
    urx = block.centre + BLOCK_WIDTH / 2
    urx = min(max(urx, mediabox[0] + 8 + width), mediabox[2] - 8)  # stay on the page
    ury = max(block.top, mediabox[1] + 8 + height)
    return (int(urx - width), int(ury - height), int(urx), int(ury))


def seal_box(official_rect) -> tuple[int, int, int, int]:
    """The seal over the left third of the signature image's place in the official's widget, its foot
    on the image's (the signer's name and time under it stay readable)."""
    urx, ury = float(official_rect[2]), float(official_rect[3])
    slot_x0, slot_y0 = urx - PAD - SLOT[0], ury - PAD - SLOT[1]
    right = slot_x0 + SLOT[0] / 3
    return (int(right - SEAL_SIZE), int(slot_y0), int(right), int(slot_y0 + SEAL_SIZE))


@dataclass(frozen=True)
class Decree30Style(BaseStampStyle):
    """The official's appearance; ``signature`` None draws the text and QR codes only."""

    font: StampFont | None = None
    signature: StampImage | None = None
    text_font: object | None = None
    """A font engine factory shared by a chunk's documents (it parses the font once, ~1.5 ms);
    None: one of this style's own."""

    def create_stamp(self, writer, box, text_params):
        return _OfficialStamp(writer, self, box, text_params)


@dataclass(frozen=True)
class SealStyle(BaseStampStyle):
    """The agency signature's appearance: its seal image filling the widget."""

    seal: StampImage | None = None

    def create_stamp(self, writer, box, text_params):
        return _ImageStamp(writer, self, box, self.seal)


class _ImageStamp(BaseStamp):
    def __init__(self, writer, style, box, image: StampImage):
        super().__init__(writer, style, box)
        self.image = image

    def _render_inner_content(self):
        self.set_resource(ResourceType.XOBJECT, generic.pdf_name("/Seal"), self.image.xobject(self.writer))
        return [b"q %g 0 0 %g 0 0 cm /Seal Do Q" % (self.box.width, self.box.height)]


class _OfficialStamp(BaseStamp):
    def __init__(self, writer, style: Decree30Style, box, text_params):
        super().__init__(writer, style, box)
        self.params = text_params

    def _render_inner_content(self):
        from pyhanko.pdf_utils.text import TextBox, TextBoxStyle

        width, height = self.box.width, self.box.height
        commands = []
        x = 0.0
        for name, data, side in (("/QR", self.params["url"], LINK_QR_SIZE),
                                 ("/QR2", self.params.get("offline_code"), OFFLINE_QR_SIZE)):
            if data:
                ref, natural = qr_form(self.writer, data)
                self.set_resource(ResourceType.XOBJECT, generic.pdf_name(name), ref)
                commands.append(b"q %g 0 0 %g %g 0 cm %s Do Q" % (side / natural, side / natural, x, name.encode()))
                x += side + PAD
        slot_x, slot_y = width - PAD - SLOT[0], height - PAD - SLOT[1]
        if self.style.signature is not None:
            self.set_resource(ResourceType.XOBJECT, generic.pdf_name("/Sig"),
                              self.style.signature.xobject(self.writer))
            commands.append(b"q %g 0 0 %g %g %g cm /Sig Do Q" % (SLOT[0], SLOT[1], slot_x, slot_y))
        # the text box sets the engine's size to the style's, so a factory made for another size serves
        engines = self.style.text_font or self.style.font.engine_factory(FONT_SIZE)
        style = TextBoxStyle(font=engines, font_size=FONT_SIZE, leading=LEADING)
        text = TextBox(style, writer=self.writer, resources=self.resources, box=None)
        text.content = self.params["stamp"]
        rendered = text.render()
        lines = self.params["stamp"].count("\n") + 1
        margin = (text.box.height - lines * LEADING) / 2  # pyHanko's text box has margins of its own
        # its first baseline one leading under the signature image, the last inside the widget
        commands.append(b"q 1 0 0 1 %g %g cm %s Q" % (slot_x - margin, slot_y - margin - lines * LEADING, rendered))
        return commands


def place_signature(writer, doc, step, signed_at: datetime, corner_style):
    """The field, appearance style and text parameters of one document's signature in ``step``
    (a :class:`signing.document.StepContext`): the official's at the signing block (else in the
    corner box, as ``corner_style`` draws it), the agency's seal over the official's signature, or
    an invisible field."""
    from pyhanko.sign.fields import SigFieldSpec

    if doc.stamp is not None:
        page, mediabox = _page_box(writer, step.placement.page)
        block = find_signing_block(writer, page)
        if block is not None and block.page != page:
            page, mediabox = _page_box(writer, block.page)
        if block is None:
            box = step.placement.rectangle(mediabox, with_offline_code=bool(doc.stamp.offline_code))
            params = {"stamp": stamp_lines(doc.stamp, signed_at), "url": doc.qr_url or "",
                      "offline_code": doc.stamp.offline_code}
            return SigFieldSpec(step.field_name, on_page=page, box=box), corner_style, params
        lines = block_lines(doc.stamp, signed_at, step.font)
        box = official_box(block, mediabox, len(lines), bool(doc.stamp.offline_code))
        params = {"stamp": "\n".join(lines), "url": doc.qr_url or "", "offline_code": doc.stamp.offline_code}
        style = Decree30Style(border_width=0, font=step.font, signature=step.image,
                              text_font=corner_style.text_box_style.font if corner_style is not None else None)
        return SigFieldSpec(step.field_name, on_page=page, box=box, readable_field_name=OFFICIAL_FIELD_LABEL), style, params
    if step.seal_over and step.image is not None:
        found = _widget(writer, step.seal_over)
        if found is not None:
            page, rect = found
            style = SealStyle(border_width=0, seal=step.image)
            return SigFieldSpec(step.field_name, on_page=page, box=seal_box(rect)), style, None
    return SigFieldSpec(sig_field_name=step.field_name), None, None


def _page_box(writer, page: int):
    count = int(writer.root["/Pages"]["/Count"])
    index = page if page >= 0 else count + page
    if not 0 <= index < count:
        raise InvalidDocument(f"The document has no page {page} for the stamp.", code="bad_stamp_page")
    node = writer.find_page_for_modification(index)[0].get_object()
    while "/MediaBox" not in node and "/Parent" in node:
        node = node["/Parent"].get_object()
    # Indexing resolves an indirect MediaBox (fpdf2 and others write one); `.get` would not.
    box = node["/MediaBox"] if "/MediaBox" in node else [0, 0, 595, 842]
    return index, tuple(float(v) for v in box)


def _widget(writer, field_name: str):
    """The page index and /Rect of the widget of a signature field drawn at the signing block, or None
    (none such, or the official's signature is in the corner box, where no seal goes)."""
    form = writer.root.get("/AcroForm")
    for ref in (form.get_object().get("/Fields", []) if form is not None else []):
        field_dict = ref.get_object()
        if field_dict.get("/T") != field_name or field_dict.get("/TU") != OFFICIAL_FIELD_LABEL:
            continue
        widget = field_dict["/Kids"][0].get_object() if "/Kids" in field_dict else field_dict
        page_ref = widget.get_value_as_reference("/P") if "/P" in widget else None
        for index in range(int(writer.root["/Pages"]["/Count"])):
            if page_ref is None or writer.find_page_for_modification(index)[0].idnum == page_ref.idnum:
                return index, [float(v) for v in widget["/Rect"]]
    return None
