"""An administrator uploads an official's signature image and an agency's seal image once
(`wallet-service officials signature-image`, `agencies seal-image`); every result signed from then on
draws them at its signing block, and still verifies. Unusable images are refused in one line."""
from __future__ import annotations

from io import BytesIO

from PIL import Image
from pyhanko.pdf_utils.reader import PdfFileReader

from signing.samples import seal_png, signature_png
from tests.foundation.admin_cli import ok, refused
from tests.verify_service.conftest import WARD, sign, signed_pdf
from wallet_service.dev.demo import demo_code
from wallet_service.models import Official, db


def _widgets(pdf: bytes) -> dict[str, list[float]]:
    reader = PdfFileReader(BytesIO(pdf))
    found = {}
    for ref in reader.root["/AcroForm"]["/Fields"]:
        field = ref.get_object()
        widget = field["/Kids"][0].get_object() if "/Kids" in field else field
        found[field["/T"]] = [float(v) for v in widget["/Rect"]]
    return found


def test_uploaded_images_are_drawn_by_both_signatures(app, demo_results, tmp_path):
    (tmp_path / "sig.png").write_bytes(signature_png("Nguyễn Văn An"))
    (tmp_path / "seal.png").write_bytes(seal_png("Trung tâm Phục vụ hành chính công phường Hạ Long"))
    assert "signature image set for official1" in ok(app, "officials", "signature-image", "official1", str(tmp_path / "sig.png"))
    assert f"seal image set for {WARD}" in ok(app, "agencies", "seal-image", WARD, str(tmp_path / "seal.png"))
    result = sign(app, [demo_results[demo_code(WARD, 2)]])[0]
    pdf = signed_pdf(app, result)
    widgets = _widgets(pdf)
    official, seal = widgets["Sig1-CanBo"], widgets["Sig2-CoQuan"]
    assert official[2] - official[0] > 200  # the signing block, not an invisible field
    # the seal overlaps the official's widget on its left part
    assert official[0] < seal[2] < official[2] and seal[3] > official[1]
    assert b"/SMask" in pdf  # images with their transparency
    verdict = app.test_client().post("/api/v1/verify", data={"document": (BytesIO(pdf), "kq.pdf")}).get_json()
    assert verdict["indication"] == "TOTAL-PASSED", verdict


def test_unusable_images_are_refused_in_one_line(app, demo, tmp_path):
    opaque = tmp_path / "opaque.png"
    Image.new("RGB", (300, 100), "white").save(opaque)
    (tmp_path / "not.png").write_bytes(b"%PDF-1.7 not an image")
    assert "no transparent background" in refused(app, "officials", "signature-image", "official1", str(opaque))
    assert "not a PNG" in refused(app, "agencies", "seal-image", WARD, str(tmp_path / "not.png"))
    assert "no official 'nobody'" in refused(app, "officials", "signature-image", "nobody", str(opaque))
    assert db.session.query(Official).filter(Official.signature_image_sha256.isnot(None)).count() == 0


def test_demo_officials_and_agencies_get_drawn_images(app, demo):
    from signing.appearance import StampImage
    from wallet_service.models import Agency
    from wallet_service.services import services

    store = services(app).documents
    demo.load_images(db.session, store)
    officials = db.session.query(Official).filter(Official.username.in_(["official1", "official2"])).all()
    agencies = db.session.query(Agency).all()
    assert len(officials) == 2 and all(o.signature_image_sha256 for o in officials)
    assert agencies and all(a.seal_image_sha256 for a in agencies)
    StampImage.from_png(store.get(officials[0].signature_image_sha256))  # usable as they are
    StampImage.from_png(store.get(agencies[0].seal_image_sha256), "seal")
    before = officials[0].signature_image_sha256
    demo.load_images(db.session, store)  # idempotent: an uploaded or drawn image stays
    assert db.session.get(Official, officials[0].id).signature_image_sha256 == before
