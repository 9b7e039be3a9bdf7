"""Batch pipeline behaviour: per-item errors as values, one authorisation per batch,
bulk signing within the CSC credential's multisign limit, idempotent re-runs, and the
hand-encoded CMS / DSS being what pyHanko would write."""

from __future__ import annotations

import asyncio
import hashlib
from io import BytesIO

import pytest
from checks import load_root, validate_all
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader

from adapters.keys.csc import CscKeySource
from adapters.keys.pkcs11 import Pkcs11KeySource
from signing.cms import CmsTemplate
from signing.document import PreparedSignature, StepContext, _signer
from signing.dss import DssPayload, append_dss
from signing.errors import InvalidRequest, JournalError, KeySourceError
from signing.journal import ItemState, SqliteBatchJournal
from signing.operator import sign_file
from signing.pipeline import BatchItem, BatchSigner, SignatureStep
from signing.profiles import PadesLevel, TrustServices
from signing.samples import result_pdf
from signing.stamp import StampText


@pytest.fixture(scope="module")
def pdf() -> bytes:
    return result_pdf(0)


def _encrypted(pdf: bytes) -> bytes:
    from pyhanko.pdf_utils.crypt import StandardSecurityHandler

    w = IncrementalPdfFileWriter(BytesIO(pdf))
    out = BytesIO()
    from pyhanko.pdf_utils.writer import copy_into_new_writer

    nw = copy_into_new_writer(w.prev)
    nw.encrypt = None
    nw._assign_security_handler(StandardSecurityHandler.build_from_pw("secret"))
    nw.write(out)
    return out.getvalue()


def test_bad_documents_fail_alone_with_codes(dev_pki, key_source_factory, stamp_font, pdf, tmp_path):
    key = key_source_factory("pkcs12", "official1")
    items = [
        BatchItem("good-1", pdf, StampText("Nguyễn Văn An", "Sở Xây dựng"), "https://x/v/1"),
        BatchItem("garbage", b"%PDF-1.7 this is not really a pdf"),
        BatchItem("encrypted", _encrypted(pdf)),
        BatchItem("bad-stamp", pdf, StampText("Nguyễn Văn An ☃", "Sở"), "https://x/v/3"),
        BatchItem("good-2", pdf),
    ]
    signer = BatchSigner(trust_services=TrustServices(tsa_url=dev_pki.tsa_url), font=stamp_font, workers=1)
    step = SignatureStep(key, PadesLevel.B_T, "Sig1", visible=True)
    outcomes = {o.result_id: o for o in signer.sign(items, [step], SqliteBatchJournal(tmp_path / "j.db"))}
    assert outcomes["good-1"].ok and outcomes["good-2"].ok
    assert outcomes["garbage"].error.code == "invalid_document"
    assert outcomes["encrypted"].error.code == "encrypted_document"
    assert outcomes["bad-stamp"].error.code == "stamp_unsupported_character"
    assert "☃" in outcomes["bad-stamp"].error.message
    assert all(o.signed_pdf is None for o in outcomes.values() if not o.ok)


def test_csc_one_authorisation_and_multisign_chunks(dev_pki, csc_service, pdf, tmp_path):
    app = csc_service["app"]
    before = dict(app.state.calls)
    key = CscKeySource(csc_service["url"], "000.00.15.H40", "wallet-service", "s3cret", pin="2468")
    items = [BatchItem(f"r{i}", pdf) for i in range(7)]
    signer = BatchSigner(workers=1)
    journal = SqliteBatchJournal(tmp_path / "j.db")
    outcomes = list(signer.sign(items, [SignatureStep(key, PadesLevel.B_B, "Sig")], journal))
    assert all(o.ok for o in outcomes)
    calls = {k: app.state.calls.get(k, 0) - before.get(k, 0) for k in app.state.calls}
    assert calls["credentials/authorize"] == 1       # one SAD (one PIN entry) for the batch
    assert calls["signatures/signHash"] == 3         # 7 hashes, multisign 3 -> 3+3+1
    # every hash the server signed is exactly one of our documents' to-be-signed digests
    signed = app.state.signed_hashes[-7:]
    assert len(set(signed)) == 7


def test_wrong_pins_are_key_source_errors(dev_pki, csc_service, softhsm_token, pdf, tmp_path):
    csc = CscKeySource(csc_service["url"], "official1", "wallet-service", "s3cret", pin="0000")
    with pytest.raises(KeySourceError) as err:
        list(BatchSigner(workers=1).sign([BatchItem("a", pdf)], [SignatureStep(csc, PadesLevel.B_B, "S")],
                                         SqliteBatchJournal(tmp_path / "a.db")))
    assert err.value.code == "pin_incorrect"
    hsm = Pkcs11KeySource(softhsm_token["module"], softhsm_token["token"], "official1", "999999")
    journal = SqliteBatchJournal(tmp_path / "b.db")
    with pytest.raises(KeySourceError) as err:
        list(BatchSigner(workers=1).sign([BatchItem("a", pdf)], [SignatureStep(hsm, PadesLevel.B_B, "S")],
                                         journal))
    assert err.value.code == "pin_incorrect"
    # nothing was signed; the prepared document waits for a correct PIN
    assert journal.states(0) == {"a": ItemState.PREPARED}


def test_rerun_is_idempotent_and_double_signing_is_refused(dev_pki, key_source_factory, pdf, tmp_path):
    key = key_source_factory("pkcs12", "000.00.15.H40")
    journal = SqliteBatchJournal(tmp_path / "j.db")
    items = [BatchItem(f"r{i}", pdf) for i in range(4)]
    steps = [SignatureStep(key, PadesLevel.B_B, "Sig")]
    first = list(BatchSigner(workers=1).sign(items, steps, journal))
    again = list(BatchSigner(workers=1).sign(items, steps, journal))
    assert [o.signed_pdf for o in again] == [o.signed_pdf for o in first]
    assert journal.signature_count(0) == 4
    with pytest.raises(JournalError) as err:
        journal.save_signatures(0, [("r0", b"another signature")])
    assert err.value.code == "already_signed"


def test_invalid_requests(dev_pki, key_source_factory, pdf, tmp_path):
    key = key_source_factory("pkcs12", "official1")
    signer = BatchSigner(workers=1)
    with pytest.raises(InvalidRequest) as err:
        list(signer.sign([BatchItem("a", pdf), BatchItem("a", pdf)],
                         [SignatureStep(key, PadesLevel.B_B, "S")], SqliteBatchJournal(tmp_path / "1.db")))
    assert err.value.code == "duplicate_item"
    with pytest.raises(InvalidRequest) as err:
        list(signer.sign([BatchItem("a", pdf)], [SignatureStep(key, PadesLevel.B_T, "S")],
                         SqliteBatchJournal(tmp_path / "2.db")))
    assert err.value.code == "no_tsa"
    with pytest.raises(InvalidRequest) as err:
        PadesLevel.parse("B-XL")
    assert err.value.code == "unknown_level"
    assert PadesLevel.parse("pades_b_lta") is PadesLevel.B_LTA


def test_cms_template_is_byte_identical_to_pyhanko(key_source_factory):
    key = key_source_factory("pkcs12", "official1")
    identity = key.identity()
    cert, chain = identity.certificate.dump(), tuple(c.dump() for c in identity.chain)
    template = CmsTemplate.build(cert, chain, "sha256_rsa")
    step = StepContext("S", PadesLevel.B_B, cert, chain, "sha256_rsa", cms=template)
    digest, signature = hashlib.sha256(b"document").digest(), bytes(range(256))
    signer = _signer(step)

    async def reference():
        attrs = await signer.signed_attrs(digest, "sha256", use_pades=True)
        signer.signature_value = signature
        signer._signature_value = signature
        return attrs, await signer.async_sign_prescribed_attributes("sha256", attrs)

    attrs, content_info = asyncio.run(reference())
    assert template.signed_attributes(digest) == attrs.dump()
    assert template.content_info(attrs.dump(), signature) == content_info.dump()


def test_fast_dss_matches_what_pyhanko_reads(dev_pki, pdf):
    ders = [b"\x30\x03\x02\x01\x05"]  # opaque DER blobs: the DSS only stores them
    payload = DssPayload.build(ders, [b"\x30\x03\x0a\x01\x00"], [b"\x30\x00"])
    out = append_dss(pdf, payload)
    assert out is not None and out.startswith(pdf)
    reader = PdfFileReader(BytesIO(out))
    dss = reader.root["/DSS"]
    assert [c.get_object().data for c in dss["/Certs"]] == ders
    assert dss["/OCSPs"][0].get_object().data == b"\x30\x03\x0a\x01\x00"
    assert reader.root["/Pages"]["/Count"] == 1  # the rest of the catalog survived
    # a second DSS is pyHanko's job (merge), not the fast path's
    assert append_dss(out, payload) is None


def test_sign_file_writes_atomically(dev_pki, key_source_factory, pdf, tmp_path):
    src, dst = tmp_path / "in.pdf", tmp_path / "out.pdf"
    src.write_bytes(pdf)
    key = key_source_factory("pkcs12", "000.00.04.H40")
    result = sign_file(src, dst, "B-LTA", key, tsa_url=dev_pki.tsa_url)
    assert result.signer.common_name == "Sở Xây dựng tỉnh Quảng Ninh"
    statuses, ts_statuses, _ = asyncio.run(
        validate_all(dst.read_bytes(), load_root(dev_pki.root_cert_path), "B-LTA"))
    assert statuses[0].bottom_line and ts_statuses[0].valid
    src.write_bytes(b"not a pdf")
    with pytest.raises(Exception) as err:
        sign_file(src, tmp_path / "never.pdf", "B-B", key)
    assert getattr(err.value, "code", "") == "invalid_document"
    assert not (tmp_path / "never.pdf").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".never")]


def test_key_source_specs(dev_pki, tmp_path, monkeypatch):
    from adapters.keys import open_key_source

    pass_file = tmp_path / "pass"
    pass_file.write_bytes(dev_pki.pkcs12_passphrase())
    key = open_key_source(f"pkcs12:{dev_pki.pkcs12_path('official2')}?passphrase-file={pass_file}")
    assert key.identity().certificate.subject.native["common_name"] == "Trần Thị Bình"
    with pytest.raises(InvalidRequest):
        open_key_source("gpg:whatever")
    monkeypatch.delenv("NO_SUCH_PIN", raising=False)
    with pytest.raises(InvalidRequest):
        open_key_source("pkcs11:/usr/lib/softhsm/libsofthsm2.so?token=t&key=k&pin-env=NO_SUCH_PIN")




def test_ecdsa_p256_key(tmp_path, pdf, nss_db):
    """ECDSA P-256 officials work end to end (B-B, so no live revocation services needed)."""
    from checks import make_nss_db, pdfsig

    from adapters.devpki import DEMO_IDENTITIES, DevPkiIdentity, ensure_dev_pki
    from adapters.keys.pkcs12 import Pkcs12KeySource

    ec_official = DevPkiIdentity("official-ec", "official", "Đỗ Thị Ánh", "Sở Xây dựng tỉnh Quảng Ninh",
                                 key_type="ecdsa-p256")
    pki = ensure_dev_pki(tmp_path / "pki", "http://127.0.0.1:9/dev-pki", [*DEMO_IDENTITIES, ec_official])
    key = Pkcs12KeySource.from_file(pki.pkcs12_path("official-ec"), pki.pkcs12_passphrase())
    assert key.signature_mechanism("sha256")["algorithm"].native == "sha256_ecdsa"
    (outcome,) = BatchSigner(workers=1).sign([BatchItem("ec", pdf)], [SignatureStep(key, PadesLevel.B_B, "S")],
                                             SqliteBatchJournal(tmp_path / "j.db"))
    assert outcome.ok, outcome.error
    statuses, _, _ = asyncio.run(validate_all(outcome.signed_pdf, load_root(pki.root_cert_path), "B-B"))
    assert statuses[0].valid and statuses[0].intact and statuses[0].trusted
    out = tmp_path / "ec.pdf"
    out.write_bytes(outcome.signed_pdf)
    (sig,) = pdfsig(out, make_nss_db(tmp_path / "nss", pki.root_cert_path))
    assert sig.signature_valid and sig.certificate_trusted, sig.raw


@pytest.mark.parametrize(("level", "answered"), [("B-T", 1), ("B-LTA", 4)])
def test_tsa_outage_keeps_signatures_and_resume_finishes(level, answered, dev_pki, key_source_factory, pdf,
                                                         tmp_path):
    """The TSA answers the start-of-batch probe (at B-LTA also the three signature timestamps), then
    fails: nothing is lost or signed twice, whichever timestamp it failed."""
    import threading

    import requests
    from werkzeug.serving import make_server

    from signing.errors import TrustServiceError

    seen = []

    def flaky_tsa(environ, start_response):  # forwards the first request only
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        seen.append(body)
        if len(seen) > answered:
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b"down"]
        answer = requests.post(dev_pki.tsa_url, data=body,
                               headers={"Content-Type": "application/timestamp-query"}, timeout=10)
        start_response("200 OK", [("Content-Type", "application/timestamp-reply")])
        return [answer.content]

    server = make_server("127.0.0.1", 0, flaky_tsa, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    key = key_source_factory("pkcs12", "000.00.15.H40")
    items = [BatchItem(f"r{i}", pdf) for i in range(3)]
    steps = [SignatureStep(key, PadesLevel.parse(level), "Sig")]
    journal = SqliteBatchJournal(tmp_path / "j.db")
    flaky = BatchSigner(trust_services=TrustServices(
        tsa_url=f"http://127.0.0.1:{server.server_port}/tsa", http_timeout=5), workers=1)
    with pytest.raises(TrustServiceError) as err:
        list(flaky.sign(items, steps, journal))
    server.shutdown()
    assert err.value.code == "tsa_unavailable"
    assert set(journal.states(0).values()) == {ItemState.SIGNED}
    assert journal.signature_count(0) == 3

    good = BatchSigner(trust_services=TrustServices(tsa_url=dev_pki.tsa_url), workers=1)
    outcomes = list(good.sign(items, steps, journal))
    assert all(o.ok for o in outcomes)
    assert journal.signature_count(0) == 3
    statuses, timestamps, _ = asyncio.run(
        validate_all(outcomes[0].signed_pdf, load_root(dev_pki.root_cert_path), level))
    assert statuses[0].bottom_line and statuses[0].timestamp_validity is not None
    assert len(timestamps) == (1 if level == "B-LTA" else 0)


def test_sqlite_journal_keeps_a_finished_output_only_until_the_next_step_is_prepared_from_it(tmp_path):
    journal = SqliteBatchJournal(tmp_path / "j.db")
    documents = {rid: PreparedSignature(rid, b"%PDF " + rid.encode(), b"d", 1, 2, b"a", b"t-" + rid.encode())
                 for rid in ("kept", "superseded")}
    journal.save_prepared(0, list(documents.values()))
    journal.save_signatures(0, [("kept", b"s1"), ("superseded", b"s2")])
    journal.save_finished(0, [("kept", b"%PDF kept"), ("superseded", b"%PDF superseded")], [documents["superseded"]])
    assert journal.states(1) == {"superseded": ItemState.PREPARED}
    assert journal.signature_count(0) == 2
    assert journal.finished_pdf(0, "kept") == b"%PDF kept"
    with pytest.raises(JournalError):
        journal.finished_pdf(0, "superseded")
