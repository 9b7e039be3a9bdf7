"""Opening a PDF for verification: pyHanko's reader, made lenient where the standard allows
and fast on signature dictionaries, and the answer for files that cannot be opened.
"""

from __future__ import annotations

import re
from io import BytesIO

from pyhanko.pdf_utils import generic, misc
from pyhanko.pdf_utils.reader import PdfFileReader, read_object_header

from verification import errors


class LenientReader(PdfFileReader):
    """pyHanko's reader with two changes:

    * ``/Encrypt null`` in a trailer means "not encrypted" (a null value equals an absent
      key, ISO 32000-1 7.3.9); pyHanko 0.38 refuses such files, so treat it as absent.
    * Signature dictionaries are parsed with their ``/Contents`` hex string decoded in one
      step. pyHanko tokenizes hex strings one character at a time, which is about a third
      of the time of verifying a B-LTA document (three ~20 kB /Contents). Everything
      else in the dictionary is still parsed by pyHanko.
    """

    # Overrides a private pyHanko method: pyproject.toml pins pyHanko's minor version, and
    # this override must be re-checked against pyHanko's reader on every pyHanko upgrade.
    def _read_object(self, ref, marker, never_decrypt=False, as_metadata_stream=False):
        if isinstance(marker, int) and not as_metadata_stream and self._security_handler is None:
            fast = _read_signature_dictionary(self, ref, marker)
            if fast is not None:
                return fast
        return super()._read_object(ref, marker, never_decrypt, as_metadata_stream)

    @property
    def encrypt_dict(self):
        try:
            if isinstance(self.trailer.raw_get("/Encrypt"), generic.NullObject):
                return None
        except KeyError:
            return None
        return super().encrypt_dict


_OBJECT_AND_CONTENTS = re.compile(
    rb"\s*(\d+)\s+(\d+)\s+obj\s*<<(?:(?!endobj|>>\s*stream).){0,4096}?/Contents\s*<([0-9A-Fa-f\s]{1024,})>",
    re.DOTALL,
)
"""An indirect dictionary whose /Contents is a long hex string (a signature dictionary)."""
_DICTIONARY_TAIL = 16384


def _read_signature_dictionary(reader: PdfFileReader, ref, offset: int):
    """Parse the object at ``offset`` with its long /Contents decoded by ``bytes.fromhex``;
    None when it is not such a dictionary (pyHanko then reads it the usual way)."""
    if not isinstance(reader.stream, BytesIO):
        return None
    data = reader.stream.getbuffer()
    try:
        match = _OBJECT_AND_CONTENTS.match(data, offset)
        if match is None or (int(match.group(1)), int(match.group(2))) != (ref.idnum, ref.generation):
            return None
        contents = bytes.fromhex(bytes(match.group(3)).decode("ascii"))
        tail_end = bytes(data[match.end(0) : match.end(0) + _DICTIONARY_TAIL]).find(b"endobj")
        if tail_end < 0:
            return None
        # the same object with an empty hex string, for pyHanko's parser
        stub = bytes(data[offset : match.start(3) - 1]) + b"<>" + bytes(data[match.end(0) : match.end(0) + tail_end])
    finally:
        del data  # release the buffer export so the stream stays usable
    stream = BytesIO(stub)
    read_object_header(stream, strict=False)
    obj = generic.read_object(stream, generic.Reference(ref.idnum, ref.generation, reader))
    if not isinstance(obj, generic.DictionaryObject) or "/Contents" not in obj:
        return None
    obj["/Contents"] = generic.ByteStringObject(contents)
    return obj


def open_pdf(data: bytes) -> PdfFileReader:
    """A reader over ``data``; :class:`~verification.errors.UnreadablePdf` or
    :class:`~verification.errors.EncryptedDocument` when it cannot be read."""
    try:
        reader = LenientReader(BytesIO(data), strict=False)
    except (misc.PdfError, ValueError, KeyError, TypeError, IndexError, AttributeError) as exc:
        truncated = "EOF marker" in str(exc) or "startxref" in str(exc)
        raise errors.UnreadablePdf(reason="reason.truncated" if truncated else "reason.cross_reference") from exc
    if reader.encrypted:
        try:
            result = reader.decrypt(b"")
            ok = result.status.name != "FAILED"
        except Exception:  # unsupported handler, broken dictionary: same answer for the user
            ok = False
        if not ok:
            raise errors.EncryptedDocument()
    return reader
