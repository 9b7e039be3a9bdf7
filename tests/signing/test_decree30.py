"""The Decree 30/2020 result: the official's signature with the visible Vietnamese stamp,
then the agency seal at B-LTA. Both verify (pdfsig, pyHanko), the stamp renders."""

from __future__ import annotations

import asyncio
import subprocess
from io import BytesIO

import pytest
from checks import load_root, pdfsig, validate_all
from PIL import Image
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation.status import ModificationLevel

from adapters.keys.pkcs12 import Pkcs12KeySource
from signing.journal import SqliteBatchJournal
from signing.pipeline import BatchItem, BatchSigner, decree30_steps
from signing.profiles import TrustServices
from signing.samples import result_pdf
from signing.stamp import StampPlacement, StampText, verification_url

AGENCY = "Trung tâm Phục vụ hành chính công phường Hạ Long"


@pytest.fixture(scope="module")
def decree30_batch(dev_pki, stamp_font, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("decree30")
    official = Pkcs12KeySource.from_file(dev_pki.pkcs12_path("official1"), dev_pki.pkcs12_passphrase())
    agency = Pkcs12KeySource.from_file(dev_pki.pkcs12_path("000.00.15.H40"), dev_pki.pkcs12_passphrase())
    originals = {f"kq-{i}": result_pdf(i) for i in range(6)}
    items = [BatchItem(rid, pdf, StampText("Nguyễn Văn An", AGENCY),
                       verification_url("https://wallet.example.vn", rid))
             for rid, pdf in originals.items()]
    signer = BatchSigner(trust_services=TrustServices(tsa_url=dev_pki.tsa_url), font=stamp_font,
                         workers=2, chunk_size=2)
    outcomes = list(signer.sign(items, decree30_steps(official, agency), SqliteBatchJournal(tmp / "j.db")))
    return outcomes, originals, tmp


def test_every_result_has_both_signatures_valid_in_pdfsig(decree30_batch, nss_db):
    outcomes, _, tmp = decree30_batch
    assert len(outcomes) == 6 and all(o.ok for o in outcomes), [o.error for o in outcomes]
    assert [s.common_name for s in outcomes[0].signers] == ["Nguyễn Văn An", AGENCY]
    for o in outcomes:
        path = tmp / f"{o.result_id}.pdf"
        path.write_bytes(o.signed_pdf)
        sigs = {s.field: s for s in pdfsig(path, nss_db)}
        for field in ("Sig1-CanBo", "Sig2-CoQuan"):
            assert sigs[field].signature_valid and sigs[field].certificate_trusted, sigs[field].raw
        # poppler 22 cannot check RFC 3161 document timestamps; it must see one, though
        assert "Sig2-CoQuan-ts" in sigs


def test_pyhanko_validates_both_and_the_lta_timestamp(decree30_batch, dev_pki):
    outcomes, _, _ = decree30_batch
    statuses, ts_statuses, reader = asyncio.run(
        validate_all(outcomes[0].signed_pdf, load_root(dev_pki.root_cert_path), "B-LTA"))
    official, seal = statuses
    for status in statuses:
        assert status.bottom_line and status.trusted, status.pretty_print_details()
    # the seal and the LTA update must not count as forbidden changes to the first signature
    assert official.modification_level <= ModificationLevel.FORM_FILLING
    assert official.signing_cert.subject.native["common_name"] == "Nguyễn Văn An"
    assert seal.timestamp_validity is not None and seal.timestamp_validity.valid
    assert len(ts_statuses) == 1 and ts_statuses[0].valid and ts_statuses[0].trusted
    # revocation data of both signers' certificates is in the DSS
    dss = reader.root["/DSS"]
    assert len(dss["/OCSPs"]) >= 2


def test_stamp_text_is_vietnamese_in_the_appearance(decree30_batch):
    outcomes, _, _ = decree30_batch
    reader = PdfFileReader(BytesIO(outcomes[0].signed_pdf))
    fields = [f.get_object() for f in reader.root["/AcroForm"]["/Fields"]]
    field = next(f for f in fields if f["/T"] == "Sig1-CanBo")
    appearance = field["/AP"]["/N"]
    text = _all_stream_text(appearance)
    assert "Ký bởi: Nguyễn Văn An" in text
    assert "Trung tâm Phục vụ hành chính công" in text
    assert "Thời gian:" in text and "+07:00" in text


def _all_stream_text(xobject) -> str:
    """The /ActualText strings of an appearance XObject and the forms it uses."""
    import re

    raw = [xobject.data]
    for sub in xobject.get("/Resources", {}).get("/XObject", {}).values():
        sub = sub.get_object()
        if sub.get("/Subtype") == "/Form":
            raw.append(_all_stream_text(sub).encode("utf-8"))
    data = b"\n".join(raw)
    texts = []
    for lit in re.findall(rb"/ActualText\s*\(((?:\\.|[^\\)])*)\)", data, flags=re.S):
        texts.append(_pdf_literal(lit))
    return "\n".join(texts) + "\n" + data.decode("utf-8", errors="ignore")


def _pdf_literal(lit: bytes) -> str:
    """Decode a PDF literal string (escapes; UTF-16BE with BOM or PDFDocEncoding-ish)."""
    import re

    escapes = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}

    def repl(m):
        tok = m.group(1)
        if tok[:1].isdigit():
            return bytes([int(tok, 8) & 0xFF])
        return escapes.get(tok, tok)

    raw = re.sub(rb"\\([0-7]{1,3}|.)", repl, lit, flags=re.S)
    if raw.startswith(b"\xfe\xff"):
        return raw[2:].decode("utf-16-be")
    return raw.decode("latin-1")


def test_stamp_renders_bottom_right_of_last_page(decree30_batch, tmp_path):
    outcomes, originals, _ = decree30_batch
    outcome = next(o for o in outcomes if o.result_id == "kq-2")  # three pages
    signed, original = tmp_path / "s.pdf", tmp_path / "o.pdf"
    signed.write_bytes(outcome.signed_pdf)
    original.write_bytes(originals["kq-2"])
    pages = len(PdfFileReader(BytesIO(originals["kq-2"])).root["/Pages"]["/Kids"])
    assert pages == 3

    def render(pdf):
        subprocess.run(["pdftoppm", "-r", "72", "-png", "-f", "3", "-l", "3", "-singlefile",
                        str(pdf), str(pdf.with_suffix(""))], check=True)
        return Image.open(pdf.with_suffix(".png")).convert("L")

    after, before = render(signed), render(original)
    x0, y0, x1, y1 = StampPlacement().rectangle((0, 0, 595.28, 841.89))
    height = after.size[1]
    box = (x0, height - y1, x1, height - y0)  # PDF y grows upwards, image y downwards

    def dark_fraction(img, region):
        histogram = img.crop(region).histogram()  # 256 grey levels
        return sum(histogram[:128]) / sum(histogram)

    assert dark_fraction(before, box) < 0.001  # the corner was empty
    assert dark_fraction(after, box) > 0.05    # now it holds text and the QR code
    qr_box = (x0 + 4, height - y1 + 4, x0 + 70, height - y0 - 4)
    assert dark_fraction(after, qr_box) > 0.25  # the QR module area is dense
    # the QR code opens this result's verification page
    import zxingcpp

    sharp = tmp_path / "sharp"
    subprocess.run(["pdftoppm", "-r", "200", "-png", "-f", "3", "-l", "3", "-singlefile",
                    str(signed), str(sharp)], check=True)
    decoded = [b.text for b in zxingcpp.read_barcodes(Image.open(f"{sharp}.png"), try_invert=False)]
    assert decoded == [verification_url("https://wallet.example.vn", "kq-2")]
    # and nothing was drawn on page 1
    first = tmp_path / "p1"
    subprocess.run(["pdftoppm", "-r", "72", "-png", "-f", "1", "-l", "1", "-singlefile",
                    str(signed), str(first)], check=True)
    assert dark_fraction(Image.open(f"{first}.png").convert("L"), box) < 0.001
