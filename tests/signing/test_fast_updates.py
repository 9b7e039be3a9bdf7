"""The updates written by hand (the seal's field, the document timestamp) and the stamp's QR
codes: the same results as pyHanko gives, codes that read back at segno's size, and pyHanko's
own path wherever the file is not of the shape handled by hand."""

from __future__ import annotations

import asyncio
import random
import string
from io import BytesIO

import pytest
import segno
import zxingcpp
from checks import load_root, validate_all
from PIL import Image, ImageOps
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.writer import copy_into_new_writer

from adapters.keys.pkcs12 import Pkcs12KeySource
from signing.increment import FieldSpec, append_field
from signing.journal import SqliteBatchJournal
from signing.pipeline import BatchItem, BatchSigner, decree30_steps
from signing.profiles import TrustServices
from signing.qr import qr_bitmap
from signing.samples import result_pdf
from signing.stamp import StampText, verification_url


def _picture(bits: bytes, side: int, scale=4, border=4):
    """The packed modules (1 = dark, rows on whole bytes) as a picture with a quiet zone, as a PDF
    viewer would paint the image mask."""
    modules = ImageOps.invert(Image.frombytes("1", (side, side), bits).convert("L"))  # PIL: bit 1 = white
    framed = ImageOps.expand(modules, border, fill=255)
    return framed.resize((framed.width * scale, framed.height * scale), Image.NEAREST)


def test_qr_codes_read_back_and_are_no_larger_than_segno_makes():
    rng = random.Random(7)
    alphabet = string.ascii_letters + string.digits + "-_"
    urls = [verification_url("https://wallet.example.vn", f"kq-{i}", "".join(rng.choices(alphabet, k=rng.randint(0, 43))))
            for i in range(30)]
    base45 = string.ascii_uppercase + string.digits + " $%*+-./:"
    offline = ["VN1:" + "".join(rng.choices(base45, k=rng.randint(100, 500))) for _ in range(5)]
    for data in urls + offline:
        bits, side = qr_bitmap(data)
        # the same version segno gives (alphanumeric mode for the offline code), level M
        assert side == len(segno.make_qr(data, error="m", boost_error=False).matrix), data
        assert len(bits) == side * ((side + 7) // 8)
        [code] = zxingcpp.read_barcodes(_picture(bits, side), try_invert=False)  # dark modules on light
        assert (code.text, code.extra["ECLevel"]) == (data, "M")


def _xref_stream_copy(pdf: bytes) -> bytes:
    writer = copy_into_new_writer(PdfFileReader(BytesIO(pdf)), writer_kwargs={"stream_xrefs": True})
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def test_unhandled_layouts_are_left_to_pyhanko():
    spec = FieldSpec("Sig2-CoQuan", 8192)
    unsigned = result_pdf(0)
    assert append_field(unsigned, spec) is None  # no form yet: the first signature is pyHanko's
    with_form = BytesIO(unsigned)
    writer = IncrementalPdfFileWriter(with_form)
    writer.root["/AcroForm"] = writer.add_object(generic.DictionaryObject())
    writer.update_root()
    writer.write_in_place()
    assert append_field(with_form.getvalue(), spec) is None  # a form without /Fields
    assert append_field(_xref_stream_copy(unsigned), spec) is None


@pytest.fixture(scope="module")
def keys(dev_pki):
    load = lambda name: Pkcs12KeySource.from_file(dev_pki.pkcs12_path(name), dev_pki.pkcs12_passphrase())  # noqa: E731
    return load("official1"), load("000.00.15.H40")


@pytest.mark.parametrize("layout", ["classic", "xref-stream"])
def test_decree30_result_validates_at_b_lta_by_either_path(layout, dev_pki, keys, stamp_font, tmp_path):
    pdf = result_pdf(1) if layout == "classic" else _xref_stream_copy(result_pdf(1))
    signer = BatchSigner(trust_services=TrustServices(tsa_url=dev_pki.tsa_url), font=stamp_font, workers=1)
    item = BatchItem("kq-1", pdf, StampText("Nguyễn Văn An", "UBND phường Hạ Long"),
                     verification_url("https://wallet.example.vn", "kq-1"))
    [outcome] = signer.sign([item], decree30_steps(*keys), SqliteBatchJournal(tmp_path / "j.db"))
    assert outcome.ok, outcome.error
    signed = outcome.signed_pdf
    # the seal's update and the document timestamp's are classic sections only on the classic file
    assert signed.count(b"\nxref\n") == (5 if layout == "classic" else 0)
    statuses, timestamps, reader = asyncio.run(
        validate_all(signed, load_root(dev_pki.root_cert_path), "B-LTA"))
    assert [s.bottom_line and s.trusted for s in statuses] == [True, True]
    assert len(timestamps) == 1 and timestamps[0].valid and timestamps[0].trusted
    fields = [f.get_object()["/T"] for f in reader.root["/AcroForm"]["/Fields"]]
    assert fields == ["Sig1-CanBo", "Sig2-CoQuan", "Sig2-CoQuan-ts"]
    assert len(reader.embedded_signatures) == 3
