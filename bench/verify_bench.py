"""Verification throughput on B-LTA documents: this project's Verifier against the plain
pyHanko recipe, same documents, same run.

    .venv/bin/python bench/verify_bench.py [--documents 20] [--rounds 5] [--workers 2]

Signs ``--documents`` distinct two-signature B-LTA results on a freshly generated
development PKI (live TSA/OCSP/CRL on loopback), then verifies each of them ``--rounds``
times with:

* plain recipe: ``PdfFileReader`` + ``validate_pdf_signature`` / ``validate_pdf_timestamp``
  with a new ``ValidationContext`` per document (trust root + the document's DSS, revocation
  checked: ``hard-fail``), one process — and the same recipe on a pool of processes;
* the project's :class:`verification.Verifier` (warm worker processes, per-worker caches),
  fed by as many threads as workers.

Prints documents per second and checks every verdict is TOTAL-PASSED / trusted (a fast
wrong answer is not a result).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from io import BytesIO
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def plain_recipe(args) -> bool:
    """The plain pyHanko recipe for one document; True if every signature is trusted & intact."""
    data, root_der = args
    from asn1crypto import x509
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature, validate_pdf_timestamp
    from pyhanko.sign.validation.dss import DocumentSecurityStore

    root = x509.Certificate.load(root_der)
    reader = PdfFileReader(BytesIO(data))
    dss = DocumentSecurityStore.read_dss(reader)
    ok = True
    for signature in reader.embedded_signatures:
        context = dss.as_validation_context(
            {"trust_roots": [root], "revocation_mode": "hard-fail", "retroactive_revinfo": True}
        )
        if signature.sig_object_type == "/DocTimeStamp":
            status = validate_pdf_timestamp(signature, validation_context=context)
        else:
            status = validate_pdf_signature(signature, context)
        ok = ok and status.intact and status.valid and status.trusted
    return ok


def _rate(count: int, seconds: float) -> str:
    return f"{count / seconds:7.1f} docs/s  ({count} documents in {seconds:.2f} s)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    options = parser.parse_args()

    from tests.signing.pki_fixtures import serve_dev_pki
    from tests.verification.documents import DocumentSigner, unsigned_pdf
    from verification import Indication, VerificationPolicy, Verifier

    with tempfile.TemporaryDirectory() as directory:
        pki, server = serve_dev_pki(Path(directory) / "pki")
        signer = DocumentSigner(pki)
        started = time.perf_counter()
        documents = [
            signer.sign_b_lta(unsigned_pdf(f"Giấy chứng nhận số {n}")) for n in range(options.documents)
        ]
        print(f"signed {len(documents)} B-LTA documents in {time.perf_counter() - started:.1f} s")
        root_der = pki.root_cert_path.read_bytes()
        policy = VerificationPolicy.from_certificates([root_der])
        workload = documents * options.rounds

        started = time.perf_counter()
        assert all(plain_recipe((d, policy.trust_roots[0])) for d in workload)
        plain_seconds = time.perf_counter() - started
        print(f"plain recipe, 1 process:        {_rate(len(workload), plain_seconds)}")

        with ProcessPoolExecutor(options.workers) as pool:
            list(pool.map(plain_recipe, [(documents[0], policy.trust_roots[0])] * options.workers))
            started = time.perf_counter()
            assert all(pool.map(plain_recipe, [(d, policy.trust_roots[0]) for d in workload]))
            plain_pool_seconds = time.perf_counter() - started
        print(f"plain recipe, {options.workers} processes:      {_rate(len(workload), plain_pool_seconds)}")

        with Verifier(policy, workers=options.workers) as verifier:
            for document in documents[: options.workers * 2]:  # wait for the warm pool
                verifier.verify(document)
            started = time.perf_counter()
            with ThreadPoolExecutor(options.workers * 2) as feeders:
                reports = list(feeders.map(verifier.verify, workload))
            ours_seconds = time.perf_counter() - started
        assert all(r.indication is Indication.TOTAL_PASSED for r in reports)
        print(f"Verifier, {options.workers} warm workers:      {_rate(len(workload), ours_seconds)}")
        print(f"speed-up over the plain recipe: {plain_seconds / ours_seconds:.2f}x "
              f"(over the plain recipe on {options.workers} processes: {plain_pool_seconds / ours_seconds:.2f}x)")
        server.shutdown()


if __name__ == "__main__":
    main()
