"""A digitisation station posts three scans of a Vietnamese birth certificate; the fields are read
out; the certifying official confirms them in the page form and signs; the citizen finds the copy in
the wallet, shares it with an agency, whose case system reads it until the citizen withdraws the share.
The certified PDF as pdfsig, the service's verifier and a PDF/A check read it."""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import re
import subprocess
from urllib.parse import urlparse

import jwt
import pikepdf
import pikepdf.pdfa
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select, update

from tests.conftest import login_as, official_principal, register_case_system_in
from tests.copies.conftest import CITIZEN_ID, HOLDER, HOLDER_ID, WARD, post_copy, register_station
from tests.issuer.conftest import Wallet, WalletKey, issuer_of, offer_from_response
from tests.verify_service.conftest import use_verifier
from wallet_service.access import CITIZEN, Principal
from wallet_service.copies.scans import ocr_available
from wallet_service.copies.models import CopyShare
from wallet_service.models import Citizen, Official, db
from wallet_service.services import services

needs_ocr = pytest.mark.skipif(not ocr_available("vie"), reason="Tesseract with Vietnamese data (tesseract-ocr-vie) "
                                                               "is not installed: `make test` installs it")


def _certifier(app):
    db.session.execute(update(Official).where(Official.username == "official1")
                       .values(roles=["annul", "certifier", "signer"]))
    db.session.commit()
    client = app.test_client()
    return client, login_as(app, client, official_principal("official1"))


def _citizen(app):
    citizen = db.session.scalar(select(Citizen).where(Citizen.personal_id == CITIZEN_ID))
    client = app.test_client()
    return client, login_as(app, client, Principal(CITIZEN, citizen.id, citizen.full_name, personal_id=CITIZEN_ID))


def _run(*command: str, data: bytes, tmp_path) -> str:
    path = tmp_path / "copy.pdf"
    path.write_bytes(data)
    return subprocess.run([*command, str(path), *(["-"] if command[0] == "pdftotext" else [])],
                          capture_output=True, text=True, timeout=60).stdout


@needs_ocr
def test_scans_become_a_certified_copy_in_the_wallet_shared_and_withdrawn(live_app, demo, birth_certificate_scans,
                                                                          trusted_verifier, tmp_path):
    use_verifier(live_app, trusted_verifier)
    station = register_station(live_app)
    posted = post_copy(live_app.test_client(), station, pages=birth_certificate_scans)
    assert posted.status_code == 201, posted.json
    copy_id, copy = posted.json["id"], posted.json["copy"]
    assert (posted.json["kind"], posted.json["status"], copy["page_count"], copy["text_layer"]) == (
        "certified_copy", "pending_signature", 3, True)
    fields = copy["extracted_fields"]
    assert (fields["holder_name"], fields["personal_id"], fields["birth_date"]) == (HOLDER, HOLDER_ID, "2020-03-15")
    assert fields["document_number"] == "123/2020" and fields["issue_date"] == "2020-03-20"

    official, csrf = _certifier(live_app)
    early = official.post("/api/v1/signing-batches", json={"result_ids": [copy_id]}, headers={"X-CSRFToken": csrf})
    assert (early.status_code, early.json["error"]) == (409, "copy_not_confirmed")
    queue = official.get("/official/?kind=certified_copy").get_data(as_text=True)
    assert f'data-result-id="{copy_id}"' in queue
    assert f'data-result-id="{copy_id}"' not in official.get("/official/?kind=result").get_data(as_text=True)
    page = official.get(f"/official/copies/{copy_id}").get_data(as_text=True)
    assert f'value="{HOLDER}"' in page and 'value="15/03/2020"' in page
    form = {"holder_name": HOLDER, "personal_id": HOLDER_ID, "birth_date": "15/03/2020", "document_number": "123/2020",
            "issue_date": "20/03/2020", "issuer": "Ủy ban nhân dân phường Hạ Long"}
    assert official.post(f"/official/copies/{copy_id}", data=form).status_code == 400  # no CSRF token
    bad = official.post(f"/official/copies/{copy_id}", data={**form, "birth_date": "2020-03-15", "csrf_token": csrf})
    assert bad.status_code == 422 and "dd/mm/yyyy" in bad.get_data(as_text=True)
    confirmed = official.post(f"/official/copies/{copy_id}", data={**form, "csrf_token": csrf})
    assert confirmed.status_code == 302 and confirmed.headers["Location"].endswith(f"/official/results/{copy_id}")
    timeline = official.get(f"/official/results/{copy_id}").get_data(as_text=True)
    assert "Đã xác nhận dữ liệu và thêm lời chứng" in timeline and "station-ha-long" in timeline

    batch = official.post("/api/v1/signing-batches", json={"result_ids": [copy_id]}, headers={"X-CSRFToken": csrf})
    assert batch.status_code == 202, batch.json
    services(live_app).jobs.wait(timeout=300)
    progress = official.get(f"/api/v1/signing-batches/{batch.json['id']}").json
    assert (progress["done"], progress["failed"]) == (1, 0), progress.get("items", progress)
    signed = official.get(f"/api/v1/copies/{copy_id}").json
    assert signed["status"] in ("signed", "delivered")
    assert [s["role"] for s in signed["signatures"]] == ["official", "agency"]
    assert signed["copy"]["confirmed_fields"]["issuer"] == "Ủy ban nhân dân phường Hạ Long"
    assert signed["copy"]["certification"]["number"] == 1
    pdf = official.get(f"/api/v1/results/{copy_id}/document").data
    original = services(live_app).documents.get(signed["hashes"]["original_sha256"])
    _check_certified_pdf(live_app, pdf, original, tmp_path, signed["copy"]["certification"])

    citizen, citizen_csrf = _citizen(live_app)
    wallet = citizen.get("/wallet/").get_data(as_text=True)
    assert "Giấy tờ đã số hóa" in wallet and f'data-testid="copy" data-result-id="{copy_id}"' in wallet
    assert citizen.get(f"/api/v1/results/{copy_id}/document").data == pdf
    _offered_as_a_credential(live_app, citizen, citizen_csrf, copy_id, pdf)
    _share_read_and_withdraw(live_app, citizen, citizen_csrf, copy_id, pdf)


def _check_certified_pdf(app, pdf: bytes, original: bytes, tmp_path, certification: dict) -> None:
    report = _run("pdfsig", data=pdf, tmp_path=tmp_path)
    assert report.count("Signature Validation: Signature is Valid.") == 2, report
    verified = app.test_client().post("/api/v1/verify", data={"document": (io.BytesIO(pdf), "copy.pdf")},
                                      content_type="multipart/form-data").json
    assert verified["indication"] == "TOTAL-PASSED" and len(verified["signatures"]) == 2, verified
    assert verified["registry"]["status"] in ("signed", "delivered")
    text = _run("pdftotext", "-layout", data=pdf, tmp_path=tmp_path)
    assert "CHỨNG THỰC BẢN SAO ĐÚNG VỚI BẢN CHÍNH" in text
    assert f"Số chứng thực: {certification['number']}" in text and f"Quyển số: {certification['book']}" in text
    assert re.search(r"Ngày \d{2}/\d{2}/\d{4}", text) and "Nguyễn Văn An" in text
    assert HOLDER in text  # the scan's text layer: the copy is searchable
    with pikepdf.open(io.BytesIO(pdf)) as document:
        assert len(document.pages) == 4  # three scanned pages and the statement
        assert document.open_metadata().pdfa_status == "2B"
        report = pikepdf.pdfa.check(document, "2b")
        # pikepdf's allowlist validator does not model signature fields and the DSS: it reports them as
        # unchecked, never as violations. The document before signing passes it outright (below).
        assert not report.violations, report.violations
        assert sorted(f.where for f in report.unsupported) == ["obj 2 0 (Catalog)", "obj 2 0 (Catalog) /AcroForm"]
    with pikepdf.open(io.BytesIO(original)) as document:
        assert pikepdf.pdfa.check(document, "2b").passed
    fonts = _run("pdffonts", data=pdf, tmp_path=tmp_path).splitlines()[2:]
    assert fonts and all(" yes " in line.split("Identity-H")[-1] or "yes" in line.split()[-5:] for line in fonts), fonts


def _offered_as_a_credential(app, citizen, csrf: str, copy_id: str, pdf: bytes) -> None:
    """The copy goes into a wallet app as an SD-JWT VC of its document type (`vct`, configuration), naming
    the signed PDF's hash and carrying the confirmed data; a verifier recognises the type."""
    answer = citizen.post(f"/api/v1/wallet/results/{copy_id}/credential-offer", headers={"X-CSRFToken": csrf})
    assert answer.status_code == 201, answer.json
    offer = offer_from_response(answer.json)
    configuration = "certified_copy_birth_certificate"
    assert citizen.get(urlparse(offer.offer_url).path).json["credential_configuration_ids"] == [configuration]
    wallet = Wallet(app.test_client(), issuer_of(app), WalletKey(ec.generate_private_key(ec.SECP256R1())))
    token = wallet.access_token(offer)
    refused = wallet.credential(token)  # asks for the administrative result's configuration
    assert (refused.status_code, refused.json["error"]) == (400, "unknown_credential_configuration")
    proof = wallet.key.proof(audience=wallet.issuer, nonce=wallet.nonce())
    issued = wallet.credential(token, body={"credential_configuration_id": configuration, "proofs": {"jwt": [proof]}})
    assert issued.status_code == 200, issued.json
    credential = issued.json["credentials"][0]["credential"]
    claims = jwt.decode(credential.split("~")[0], options={"verify_signature": False})
    assert (claims["result_id"], claims["document"]["sha256"]) == (copy_id, hashlib.sha256(pdf).hexdigest())
    assert claims["vct"] == f"{wallet.issuer}/vct/certified-copy/birth-certificate/v1"
    assert claims["document_type"] == "birth_certificate"
    metadata = app.test_client().get("/.well-known/openid-credential-issuer").json
    assert metadata["credential_configurations_supported"][configuration]["vct"] == claims["vct"]
    assert {"administrative_result", "certified_copy_diploma"} <= metadata["credential_configurations_supported"].keys()
    assert configuration in app.test_client().get("/.well-known/oauth-authorization-server").json["scopes_supported"]
    type_metadata = app.test_client().get(urlparse(claims["vct"]).path).json
    assert type_metadata["extends"] == f"{wallet.issuer}/vct/administrative-result/v1"
    report = app.test_client().post("/api/v1/verify/credential", json={"credential": credential},
                                    headers={"Accept-Language": "en"}).json
    vct_check = next(check for check in report["checks"] if check["check"] == "vct")
    assert vct_check["status"] == "passed" and "certified copy of a Birth certificate" in vct_check["message"], report
    assert report["disclosed_claims"]["document_fields"]["holder_name"] == HOLDER, report


def _share_read_and_withdraw(app, citizen, csrf: str, copy_id: str, pdf: bytes) -> None:
    until = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=7)).isoformat()
    shared = citizen.post("/api/v1/wallet/shares", json={"copy_id": copy_id, "agency_code": WARD, "valid_until": until},
                          headers={"X-CSRFToken": csrf})
    assert shared.status_code == 201, shared.json
    share_id = shared.json["id"]
    case_system = register_case_system_in(app, "mot-cua-ha-long", (WARD,))
    other_agency = register_case_system_in(app, "so-xay-dung", ("000.00.04.H40",))
    client = app.test_client()
    read = client.get(f"/api/v1/shared-documents/{share_id}", headers=case_system.headers())
    assert read.status_code == 200, read.json
    assert read.json["confirmed_fields"]["holder_name"] == HOLDER and read.json["citizen_id"] == CITIZEN_ID
    assert base64.b64decode(read.json["document"]["base64"]) == pdf
    refused = client.get(f"/api/v1/shared-documents/{share_id}", headers=other_agency.headers())
    assert (refused.status_code, refused.json["error"]) == (403, "no_share")
    listed = citizen.get("/api/v1/wallet/shares").json
    assert [(s["id"], len(s["reads"]), s["reads"][0]["client"]) for s in listed] == [(share_id, 1, "mot-cua-ha-long")]
    assert "đã đọc 1 lần" in citizen.get("/wallet/").get_data(as_text=True)

    # The wallet page's form shares too (until the end of the chosen day, Vietnam time).
    form = citizen.post(f"/wallet/copies/{copy_id}/shares", data={"csrf_token": csrf, "agency_code": WARD,
                                                                 "until": (dt.date.today() + dt.timedelta(days=3)).isoformat()})
    assert form.status_code == 302
    expired = citizen.get("/api/v1/wallet/shares").json[0]["id"]
    assert expired != share_id
    db.session.execute(update(CopyShare).where(CopyShare.id == expired)
                       .values(valid_until=dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=1)))
    db.session.commit()
    late = client.get(f"/api/v1/shared-documents/{expired}", headers=case_system.headers())
    assert (late.status_code, late.json["error"]) == (403, "share_expired")

    withdrawn = citizen.delete(f"/api/v1/wallet/shares/{share_id}", headers={"X-CSRFToken": csrf})
    assert withdrawn.status_code == 200 and withdrawn.json["revoked_at"]
    after = client.get(f"/api/v1/shared-documents/{share_id}", headers=case_system.headers())
    assert (after.status_code, after.json["error"]) == (403, "share_revoked")
    assert citizen.post(f"/wallet/shares/{expired}/revoke", data={"csrf_token": csrf}).status_code == 302
    assert all(share["revoked_at"] for share in citizen.get("/api/v1/wallet/shares").json)
