"""The page behind a stamp's QR code, through the test client: the verdict at a glance for a valid
and an annulled result; the document's pages only with the access key the stamp prints (the bare
address keeps the masked summary); an unsigned upload answered with a verdict; the guide to
verifying without this website and the roots it offers."""
from __future__ import annotations

import io
import re

from asn1crypto import x509

from tests.verification.documents import unsigned_pdf
from tests.verify_service.conftest import annul, signed_pdf
from tests.verify_service.test_offline_codes import last_page_png, qr_texts
from wallet_service.services import services
from wallet_service.verify.access import access_key

DATE = re.compile(r"\d\d/\d\d/\d{4}")


def text_of(response) -> str:
    return response.get_data(as_text=True)


def test_the_printed_qr_carries_the_key_and_only_the_key_shows_the_pages(app, client, signed_result, tmp_path):
    key = access_key(services(app).settings, signed_result.id)
    base = services(app).settings.public_base_url.rstrip("/")
    printed = qr_texts(last_page_png(signed_pdf(app, signed_result), tmp_path))  # as a phone's camera reads it
    assert f"{base}/v/{signed_result.id}?k={key}" in printed, printed
    assert len(key) == 22 and key != access_key(services(app).settings, signed_result.id + "x")

    bare = client.get(f"/v/{signed_result.id}?lang=vi")
    assert bare.status_code == 200
    page = text_of(bare)
    assert "CÒN HIỆU LỰC" in page and 'data-status="valid"' in page
    assert "L** T** H**" in page and "Lê Thị Hoa" not in page
    assert 'data-testid="document-page"' not in page and 'data-testid="pages-hidden"' in page
    issued = re.search(r'data-testid="issued-on">([^<]*)<', page).group(1)
    assert DATE.fullmatch(issued), issued

    for wrong in ("", "x" * 22, key[:-1] + ("A" if key[-1] != "A" else "B"), key + "A"):
        shown = text_of(client.get(f"/v/{signed_result.id}?k={wrong}&lang=en"))
        assert 'data-testid="document-page"' not in shown and "VALID" in shown
        assert client.get(f"/v/{signed_result.id}/pages/1.png?k={wrong}").status_code == 404

    keyed = client.get(f"/v/{signed_result.id}?k={key}&lang=en")
    assert keyed.headers["Referrer-Policy"] == "no-referrer"
    images = re.findall(r'<img src="([^"]+)"[^>]*data-testid="document-page"', text_of(keyed))
    assert len(images) == 1, "the demo result has one page"
    picture = client.get(images[0].replace("&amp;", "&"))
    assert picture.status_code == 200 and picture.mimetype == "image/png"
    assert picture.data.startswith(b"\x89PNG") and picture.headers["Cache-Control"] == "no-store"
    assert client.get(f"/v/{signed_result.id}/pages/2.png?k={key}").status_code == 404
    assert client.get(f"/v/{signed_result.id}/pages/0.png?k={key}").status_code == 404


def test_an_annulled_result_says_so_in_red_with_its_facts(app, client, signed_result):
    annul(app, signed_result, "Cấp nhầm người nhận")
    page = text_of(client.get(f"/v/{signed_result.id}?lang=vi"))
    assert "KHÔNG CÒN HIỆU LỰC" in page and 'class="glance fail"' in page and 'data-status="annulled"' in page
    for fact in (signed_result.agency.name, signed_result.procedure_name, signed_result.dossier_code):
        assert fact in page
    assert "Cấp nhầm người nhận" in page
    english = text_of(client.get(f"/v/{signed_result.id}?lang=en"))
    assert "NO LONGER VALID" in english


def test_an_unsigned_pdf_gets_a_verdict_with_the_code_folded_away(app, client):
    data = {"document": (io.BytesIO(unsigned_pdf()), "giay.pdf", "application/pdf")}
    response = client.post("/verify?lang=vi", data=data, content_type="multipart/form-data")
    assert response.status_code == 200
    page = text_of(response)
    assert 'data-testid="verdict"' in page and "Chưa xác định được" in page
    assert "không có chữ ký số" in page and 'data-testid="verify-error"' not in page
    main, details = page.split('data-testid="technical-details"', 1)
    assert "no_signature" not in main and "no_signature" in details and "Mã lỗi" in details
    assert "/verify/guide" in page


def test_a_refused_file_keeps_its_code_out_of_the_message(app, client):
    data = {"document": (io.BytesIO(b"GIF89a not a pdf" * 20), "anh.pdf", "application/pdf")}
    page = text_of(client.post("/verify?lang=vi", data=data, content_type="multipart/form-data"))
    message = re.search(r'data-testid="verify-error"><p><strong>([^<]*)</strong>', page).group(1)
    assert "Tệp không phải là tài liệu PDF" in message and "not_a_pdf" not in message
    assert "(not_a_pdf)" not in page and "<code>not_a_pdf</code>" in page


def test_the_guide_explains_readers_and_offers_the_trusted_roots(app, client):
    page = text_of(client.get("/verify/guide?lang=vi"))
    assert "Adobe Acrobat Reader" in page and "Foxit PDF Reader" in page
    assert "Chữ ký của người có thẩm quyền" in page and "Con dấu của cơ quan" in page
    links = re.findall(r'href="(/verify/trust-roots/\d+\.cer)"', page)
    assert links, "the development root is offered"
    root = client.get(links[0])
    assert root.status_code == 200 and root.mimetype == "application/pkix-cert"
    certificate = x509.Certificate.load(root.data)
    assert certificate.sha256.hex().upper() in page and certificate.self_signed
    assert client.get("/verify/trust-roots/99.cer").status_code == 404
