"""Every PAdES level with every key source: pdfsig says valid and trusted, pyHanko
confirms the level (B-T: signature timestamp; B-LT: revocation data embedded, validated
offline; B-LTA: a document timestamp)."""

from __future__ import annotations

import asyncio

import pytest
from checks import load_root, pdfsig, validate_all

from signing.journal import SqliteBatchJournal
from signing.pipeline import BatchItem, BatchSigner, SignatureStep
from signing.profiles import PadesLevel, TrustServices
from signing.samples import result_pdf

LEVELS = ["B-B", "B-T", "B-LT", "B-LTA"]
KINDS = ["pkcs12", "pkcs11", "csc"]


@pytest.fixture(scope="module")
def sample_pdf() -> bytes:
    return result_pdf(1)  # two pages


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("level", LEVELS)
def test_level_with_key_source(level, kind, dev_pki, key_source_factory, nss_db, sample_pdf, tmp_path):
    key = key_source_factory(kind, "000.00.15.H40")
    signer = BatchSigner(trust_services=TrustServices(tsa_url=dev_pki.tsa_url), workers=1)
    items = [BatchItem(f"r{i}", sample_pdf) for i in range(3)]
    steps = [SignatureStep(key, PadesLevel.parse(level), "Sig-CoQuan")]
    outcomes = list(signer.sign(items, steps, SqliteBatchJournal(tmp_path / "j.db")))
    assert [o.result_id for o in outcomes] == ["r0", "r1", "r2"]
    assert all(o.ok for o in outcomes), [o.error for o in outcomes]
    assert outcomes[0].signers[0].common_name == "Trung tâm Phục vụ hành chính công phường Hạ Long"

    pdf = outcomes[0].signed_pdf
    path = tmp_path / "out.pdf"
    path.write_bytes(pdf)
    sigs = pdfsig(path, nss_db)
    regular = [s for s in sigs if s.field == "Sig-CoQuan"]
    assert len(regular) == 1 and regular[0].signature_valid and regular[0].certificate_trusted, sigs

    root = load_root(dev_pki.root_cert_path)
    statuses, ts_statuses, reader = asyncio.run(validate_all(pdf, root, level))
    (status,) = statuses
    assert status.bottom_line, status.pretty_print_details()
    assert status.trusted and status.intact and status.valid
    has_ts = status.timestamp_validity is not None
    assert has_ts == (level != "B-B")
    dss = reader.root.get("/DSS")
    if level in ("B-LT", "B-LTA"):
        dss = dss.get_object()
        assert len(dss["/OCSPs"]) > 0 and len(dss["/Certs"]) >= 3
    else:
        assert dss is None
    assert len(ts_statuses) == (1 if level == "B-LTA" else 0)
    assert all(ts.valid and ts.intact and ts.trusted for ts in ts_statuses)
