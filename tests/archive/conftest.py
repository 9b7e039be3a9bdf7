"""The archive tests' PKI (per module: a TSA certificate that expires soon, and the one it rolls over
to) and demo results sealed through it at B-LTA with pyHanko."""
from __future__ import annotations

from io import BytesIO

import pytest
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.timestamps import HTTPTimeStamper
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from wallet_service.models import ResultStatus, db, utcnow
from wallet_service.services import services

from .short_tsa import ShortTsaPki, serve_short_tsa_pki


@pytest.fixture(scope="module")
def short_tsa_pki(tmp_path_factory) -> ShortTsaPki:
    pki, server = serve_short_tsa_pki(tmp_path_factory.mktemp("short-tsa-pki"))
    yield pki
    server.shutdown()


def seal_b_lta(pki: ShortTsaPki, pdf: bytes) -> bytes:
    """`pdf` sealed at B-LTA, both timestamps from the TSA whose certificate expires soon."""
    from certomancer.registry import KeyLabel

    seal = pki.cert("seal")
    signer = signers.SimpleSigner(signing_cert=seal, signing_key=pki.arch.key_set.get_private_key(KeyLabel("seal")),
                                  cert_registry=SimpleCertificateStore.from_certs([pki.root, seal]))
    context = ValidationContext(trust_roots=[pki.root], allow_fetching=True, revocation_mode="hard-fail")
    meta = signers.PdfSignatureMetadata(field_name="AgencySeal", subfilter=fields.SigSeedSubFilter.PADES,
                                        embed_validation_info=True, use_pades_lta=True, validation_context=context)
    stamper = HTTPTimeStamper(pki.url("tsa", "tsa-old"))
    out = signers.PdfSigner(meta, signer, timestamper=stamper).sign_pdf(IncrementalPdfFileWriter(BytesIO(pdf)))
    return out.getvalue()


@pytest.fixture(scope="module")
def sealed_pdfs(short_tsa_pki, demo_pdfs) -> dict[str, bytes]:
    """Each demo result's PDF sealed once per module, by dossier code."""
    return {dossier: seal_b_lta(short_tsa_pki, pdf) for dossier, pdf in list(demo_pdfs.items())[:3]}


@pytest.fixture
def keys_config(short_tsa_pki, tmp_path) -> str:
    """KEYS_CONFIG naming the rolled-over TSA and the archive PKI's root; no signing key is needed."""
    root = tmp_path / "archive-root.pem"
    from asn1crypto import pem

    root.write_bytes(pem.armor("CERTIFICATE", short_tsa_pki.root.dump()))
    path = tmp_path / "keys.toml"
    path.write_text(f'tsa_url = "{short_tsa_pki.url("tsa", "tsa-new")}"\ntrust_roots = ["{root}"]\n')
    return str(path)


@pytest.fixture
def app(make_app, keys_config, request):
    """The archive's app; further settings by indirect parametrisation
    (`parametrize("app", [{...}], indirect=True)`)."""
    app = make_app(KEYS_CONFIG=keys_config, **getattr(request, "param", {}))
    with app.app_context():
        yield app
        db.session.remove()


@pytest.fixture
def sealed_results(app, demo_results, sealed_pdfs) -> dict:
    """Signed results whose documents are `sealed_pdfs` (by dossier code), as a signing batch leaves them."""
    for dossier, signed in sealed_pdfs.items():
        result = demo_results[dossier]
        result.move_to(ResultStatus.SIGNING)
        result.signed_sha256 = services(app).documents.put(signed)
        result.signed_at = utcnow()
        result.move_to(ResultStatus.SIGNED)
    db.session.commit()
    return {dossier: demo_results[dossier] for dossier in sealed_pdfs}
