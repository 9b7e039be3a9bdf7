"""A timestamp token is taken only for the digest it was asked for: a TSA reached through something
that rewrites the request's digest (the nonce kept, so pyHanko's own checks pass) is refused, and a batch
through it stops as a trust-service error before signing anything, instead of embedding a token
for another document."""

from __future__ import annotations

import asyncio
import hashlib

import pytest
import requests
from asn1crypto import tsp
from pyhanko.sign.timestamps import HTTPTimeStamper, TimestampRequestError

from signing.timestamps import CheckedTimeStamper
from tests.pki import serve


@pytest.fixture(scope="module")
def rewriting_tsa(dev_pki):
    """The development TSA behind a proxy that swaps each request's digest for another one."""

    def app(environ, start_response):
        request = tsp.TimeStampReq.load(environ["wsgi.input"].read(int(environ["CONTENT_LENGTH"])))
        request["message_imprint"]["hashed_message"] = hashlib.sha256(b"another document").digest()
        answer = requests.post(dev_pki.tsa_url, data=request.dump(), timeout=20,
                               headers={"Content-Type": "application/timestamp-query"})
        start_response(f"{answer.status_code} OK", [("Content-Type", "application/timestamp-reply")])
        return [answer.content]

    url, server = serve(app)
    yield url
    server.shutdown()


def _timestamp(stamper, digest: bytes):
    return asyncio.run(stamper.async_timestamp(digest, "sha256"))


def test_a_token_for_the_digest_sent_is_taken(dev_pki):
    digest = hashlib.sha256(b"this document").digest()
    token = _timestamp(CheckedTimeStamper(dev_pki.tsa_url), digest)
    assert token["content"]["encap_content_info"]["content"].parsed["message_imprint"]["hashed_message"].native == digest


def test_a_token_for_another_digest_is_refused(rewriting_tsa):
    digest = hashlib.sha256(b"this document").digest()
    _timestamp(HTTPTimeStamper(rewriting_tsa), digest)  # pyHanko alone takes it: status and nonce are right
    with pytest.raises(TimestampRequestError, match="another digest"):
        _timestamp(CheckedTimeStamper(rewriting_tsa), digest)


def test_a_batch_through_a_rewriting_tsa_signs_nothing(rewriting_tsa, key_source_factory, tmp_path):
    from signing.errors import TrustServiceError
    from signing.journal import SqliteBatchJournal
    from signing.pipeline import BatchItem, BatchSigner, SignatureStep
    from signing.profiles import PadesLevel, TrustServices
    from signing.samples import result_pdf

    signer = BatchSigner(trust_services=TrustServices(tsa_url=rewriting_tsa, http_timeout=5), workers=1)
    steps = [SignatureStep(key_source_factory("pkcs12", "000.00.15.H40"), PadesLevel.parse("B-T"), "Sig")]
    journal = SqliteBatchJournal(tmp_path / "j.db")
    with pytest.raises(TrustServiceError, match="another digest"):
        list(signer.sign([BatchItem("r0", result_pdf(0))], steps, journal))
    assert journal.signature_count(0) == 0
