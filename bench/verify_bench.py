"""Verification throughput on B-LTA documents: this project's verifier against the plain
pyHanko recipe, same documents, same run.

    .venv/bin/python -m bench.verify_bench [--documents 20] [--rounds 5] [--workers 2]

Signs ``--documents`` distinct Decree 30 results as one batch of the service's signing pipeline
(:class:`signing.pipeline.BatchSigner`, as ``bench/sign_bench.py`` does: the official's signature
with the visible stamp, then the agency seal at B-LTA) on a freshly generated development PKI (live
TSA/OCSP on loopback), then verifies each of them ``--rounds`` times. The results of one batch share
their certificates and their DSS revocation data (the batch fetches its OCSP responses once), as
the service's results do: that is what a warm worker really gets, and what its memo of path
validations (:mod:`verification.path_outcomes`) reuses. Until 2026-12-07 the bench signed each
document on its own with fresh OCSP responses, which no worker sees in service. Verified with:

* plain recipe: ``PdfFileReader`` + ``validate_pdf_signature`` / ``validate_pdf_timestamp``
  with a new ``ValidationContext`` per document (trust root + the document's DSS, revocation
  checked: ``hard-fail``), one process — and the same recipe on a pool of processes;
* the project's engine called directly in one fresh process, set up the way a pool worker
  sets itself up (its caches, its name memos, its memo of path validations): the cost of
  verification alone;
* the project's :class:`verification.Verifier` (warm worker processes, per-worker caches),
  fed by twice as many threads as workers: what the service gets;
* both again as the service verifies its own results (``issued_as_is``: the register holds the
  file's SHA-256, so the issued-document policy's checks replace pyHanko's difference analysis).

A registered document answered from its stored report never reaches the engine: that path is
measured through the API by ``bench/load.py --scenarios verify-registered``.

Each line gives documents per second (wall clock) and CPU milliseconds per document
(process CPU time of whatever did the work: the measuring process, or the pool's workers
plus the feeding process), so a loaded shared machine shows up as a gap between the two.
Every verdict is checked (TOTAL-PASSED / trusted): a fast wrong answer is not a result.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
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


@dataclass
class Run:
    documents: int
    seconds: float
    cpu_seconds: float

    @property
    def rate(self) -> float:
        return self.documents / self.seconds

    def line(self, label: str) -> str:
        return (
            f"{label:34s} {self.rate:7.1f} docs/s  {1000 * self.cpu_seconds / self.documents:6.1f} CPU ms/doc"
            f"  ({self.documents} documents in {self.seconds:.2f} s)"
        )


def _cpu_per_doc(run: Run) -> float:
    return run.cpu_seconds / run.documents


def _cpu_seconds(pids) -> float:
    """User + system CPU time of live processes (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / ticks


def _plain_in_this_process(workload, root_der) -> Run:
    started, cpu = time.perf_counter(), time.process_time()
    assert all(plain_recipe((d, root_der)) for d in workload)
    return Run(len(workload), time.perf_counter() - started, time.process_time() - cpu)


def _plain_on_processes(workload, root_der, workers: int) -> Run:
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        list(pool.map(plain_recipe, [(workload[0], root_der)] * workers * 2))  # imports done
        pids = list(pool._processes)
        started, cpu = time.perf_counter(), time.process_time() + _cpu_seconds(pids)
        assert all(pool.map(plain_recipe, [(d, root_der) for d in workload]))
        return Run(len(workload), time.perf_counter() - started, time.process_time() + _cpu_seconds(pids) - cpu)


def engine_alone(workload, policy, issued_as_is: bool = False) -> Run:
    """The engine in this process, set up as a pool worker sets itself up (run in a fresh
    process: its memos change asn1crypto and pyHanko for the whole process)."""
    from verification import Indication
    from verification.caches import WorkerCaches
    from verification.engine import verify_document
    from verification.worker_setup import prepare_worker

    caches = WorkerCaches()
    prepare_worker(caches)
    verify_document(workload[0], policy, caches, issued_as_is=issued_as_is)  # imports and first-use setup
    started, cpu = time.perf_counter(), time.process_time()
    reports = [verify_document(d, policy, caches, issued_as_is=issued_as_is) for d in workload]
    run = Run(len(workload), time.perf_counter() - started, time.process_time() - cpu)
    assert all(r.indication is Indication.TOTAL_PASSED for r in reports)
    return run


def _engine_in_a_fresh_process(workload, policy, issued_as_is: bool = False) -> Run:
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(engine_alone, workload, policy, issued_as_is).result()


def _verifier(workload, documents, policy, workers: int, issued_as_is: bool = False) -> Run:
    from verification import Indication, Verifier

    with Verifier(policy, workers=workers) as verifier:
        def verify(document: bytes):
            return verifier.verify(document, issued_as_is=issued_as_is)

        for document in documents[: workers * 2]:  # wait for the warm pool
            verify(document)
        pids = [w.process.pid for w in verifier._all]
        started, cpu = time.perf_counter(), time.process_time() + _cpu_seconds(pids)
        with ThreadPoolExecutor(workers * 2) as feeders:
            reports = list(feeders.map(verify, workload))
        run = Run(len(workload), time.perf_counter() - started, time.process_time() + _cpu_seconds(pids) - cpu)
    assert all(r.indication is Indication.TOTAL_PASSED for r in reports)
    return run


def sign_batch(pki, n: int, directory: Path) -> list[bytes]:
    """``n`` distinct results signed as one batch by the service's pipeline (official + seal)."""
    from adapters.keys.pkcs12 import Pkcs12KeySource
    from signing.journal import SqliteBatchJournal
    from signing.pipeline import BatchItem, BatchSigner, decree30_steps
    from signing.profiles import TrustServices
    from signing.stamp import StampFont, StampText
    from tests.verification.documents import unsigned_pdf

    official = Pkcs12KeySource.from_file(pki.pkcs12_path("official1"), pki.pkcs12_passphrase())
    agency = Pkcs12KeySource.from_file(pki.pkcs12_path("000.00.15.H40"), pki.pkcs12_passphrase())
    items = [
        BatchItem(f"kq-{i:04d}", unsigned_pdf(f"Giấy chứng nhận số {i}"),
                  StampText("Nguyễn Văn An", "Trung tâm Phục vụ hành chính công phường Hạ Long"),
                  f"https://wallet.example.vn/v/kq-{i:04d}")
        for i in range(n)
    ]
    signer = BatchSigner(trust_services=TrustServices(tsa_url=pki.tsa_url), font=StampFont.load(), workers=1)
    journal = SqliteBatchJournal(directory / "journal.db")
    try:
        outcomes = list(signer.sign(items, decree30_steps(official, agency), journal))
    finally:
        journal.close()
    assert all(o.ok for o in outcomes), [o.error for o in outcomes if not o.ok]
    return [o.signed_pdf for o in outcomes]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    options = parser.parse_args()

    from tests.pki import serve_pki
    from verification import VerificationPolicy

    with tempfile.TemporaryDirectory() as directory:
        pki, server = serve_pki(Path(directory) / "pki")
        started = time.perf_counter()
        documents = sign_batch(pki, options.documents, Path(directory))
        elapsed = time.perf_counter() - started
        print(f"signed {len(documents)} Decree 30 results (B-LTA) as one batch in {elapsed:.1f} s")
        server.shutdown()  # verification uses only what the documents carry
        policy = VerificationPolicy.from_certificates([pki.root_cert_path.read_bytes()])
    root_der = policy.trust_roots[0]
    workload = documents * options.rounds
    workers = options.workers

    print(f"load average (1 min) before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    plain = _plain_in_this_process(workload, root_der)
    print(plain.line("plain recipe, 1 process:"))
    plain_pool = _plain_on_processes(workload, root_der, workers)
    print(plain_pool.line(f"plain recipe, {workers} processes:"))
    engine = _engine_in_a_fresh_process(workload, policy)
    print(engine.line("project engine, 1 process:"))
    pool = _verifier(workload, documents, policy, workers)
    print(pool.line(f"project Verifier, {workers} workers:"))
    issued_engine = _engine_in_a_fresh_process(workload, policy, issued_as_is=True)
    print(issued_engine.line("registered, engine, 1 process:"))
    issued_pool = _verifier(workload, documents, policy, workers, issued_as_is=True)
    print(issued_pool.line(f"registered, Verifier, {workers} workers:"))
    for label, engine_run, pool_run in (("any document", engine, pool), ("registered", issued_engine, issued_pool)):
        print(
            f"ratio over the plain recipe, {label}: engine {engine_run.rate / plain.rate:.2f}x, "
            f"Verifier {pool_run.rate / plain.rate:.2f}x "
            f"(over the plain recipe on {workers} processes: {pool_run.rate / plain_pool.rate:.2f}x); "
            f"CPU per document: engine {_cpu_per_doc(plain) / _cpu_per_doc(engine_run):.2f}x less, "
            f"Verifier {_cpu_per_doc(plain_pool) / _cpu_per_doc(pool_run):.2f}x less"
        )
    print(f"load average (1 min) after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
