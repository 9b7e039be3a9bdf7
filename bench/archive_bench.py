"""Archive renewal throughput: B-LTA documents given a new document timestamp (with the DSS of
their last one first), as `wallet-service archive renew` does it.

    .venv/bin/python -m bench.archive_bench [--documents 40] [--templates 40] [--processes 2]
        [--lines extender,sqlite,postgres]

Signs ``--templates`` two-signature B-LTA documents on a freshly generated development PKI (live
TSA/OCSP/CRL on loopback) and makes ``--documents`` distinct results from them: each further one is a
template with one incremental update of its own (pyHanko's writer, ~1 ms), so every result has its own
bytes, SHA-256 and version row, and each renewal validates, stamps and stores a document of its own.
Then it renews them:

* the extender alone (`wallet_service.archive.extend.ProofExtender`), one process, warmed up on one
  document: validation of the newest timestamp, its DSS, a new document timestamp (pyHanko);
* a whole run (`wallet_service.archive.renewal.run`) against a SQLite database and a document store:
  claim, read, extend, store, record the version and the audit event, one transaction per result;
* the same run on PostgreSQL (a fresh database beside ``--database-url``, dropped afterwards) with
  1 and ``--processes`` worker processes (`archive renew --workers`), CPU of the workers included;
* the extender on ``--processes`` processes, each with its own share (what several workers claiming
  with SKIP LOCKED on PostgreSQL would do).

Each line gives renewals per second (wall clock) and CPU milliseconds per renewal of this process
(the TSA on loopback serves from a thread of the main process, counted only in the whole run). A whole
run's line splits its CPU into the worker processes' and this process's (the run's parent and the
loopback TSA/OCSP thread, which a production TSA would not charge), and gives the time its workers
took to be ready (imports, database engine, extender). Every renewed document is checked to carry one
more document timestamp than before.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import resource
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from io import BytesIO
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _timestamps(data: bytes) -> int:
    from pyhanko.pdf_utils.reader import PdfFileReader

    return len(PdfFileReader(BytesIO(data), strict=False).embedded_timestamp_signatures)


def _extend_all(args) -> tuple[int, float, float]:
    """Renew each document with one extender, warmed up on the first (its revocation data fetched);
    returns how many gained exactly one timestamp, and the wall and CPU seconds the renewals took."""
    documents, tsa_url, root_der = args
    from asn1crypto import x509

    from wallet_service.archive.extend import ProofExtender

    with ProofExtender(tsa_url, [x509.Certificate.load(root_der)]) as extender:
        extender.extend(documents[0])
        started, cpu = time.perf_counter(), time.process_time()
        renewed = [extender.extend(d) for d in documents]
        took, cpu = time.perf_counter() - started, time.process_time() - cpu
    return sum(_timestamps(r) == _timestamps(d) + 1 for r, d in zip(renewed, documents)), took, cpu


def _variants(templates: list[bytes], count: int) -> list[bytes]:
    """`count` distinct documents: the templates, then copies each with one incremental update of its own."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    made = list(templates[:count])
    for n in range(len(made), count):
        writer = IncrementalPdfFileWriter(BytesIO(templates[n % len(templates)]), strict=False)
        writer.root["/WalletBenchCopy"] = generic.NumberObject(n)
        writer.update_root()
        out = BytesIO()
        writer.write(out)
        made.append(out.getvalue())
    return made


def _line(label: str, count: int, wall: float, cpu: float) -> str:
    return f"{label:<44} {count / wall:7.1f} renewals/s   {1000 * cpu / count:6.1f} ms CPU each"


def _measure(label: str, count: int, work) -> None:
    """`work()` gives (renewed correctly, wall seconds, CPU seconds of the renewing processes)."""
    done, wall, cpu = work()
    if done != count:
        raise SystemExit(f"{label}: {done} of {count} renewed correctly")
    print(_line(label, count, wall, cpu), flush=True)


def _on_processes(pool, shares) -> tuple[int, float, float]:
    """The processes renew their shares at the same time (each warmed up first): the slowest one's wall time."""
    results = list(pool.map(_extend_all, shares))
    return sum(r[0] for r in results), max(r[1] for r in results), sum(r[2] for r in results)


def _whole_run(folder: Path, documents: list[bytes], pki, label: str, database_url: str | None = None,
               workers: int = 1) -> int:
    """The service's run (`archive.renew`) over results whose signed documents are `documents`; CPU
    counts this process (and the TSA thread) plus the worker processes it spawned."""
    from wallet_service import archive, create_app
    from wallet_service.dev import demo
    from wallet_service.models import Result, ResultStatus, db, utcnow
    from wallet_service.platform import database
    from wallet_service.services import services

    keys = folder / "keys.toml"
    keys.write_text(f'tsa_url = "{pki.tsa_url}"\ntrust_roots = ["{pki.root_cert_path}"]\n')
    config = {"instance_path": folder / "instance", "KEYS_CONFIG": str(keys), "TESTING": True}
    app = create_app(config | ({"database_url": database_url} if database_url else {}))
    with app.app_context():
        database.upgrade(app)
        demo.load_people(db.session, services(app).settings.public_base_url)
        template = demo.load_results  # the demo results give valid citizens and agencies to copy
        template(db.session, services(app).documents, services(app).settings.max_document_bytes, demo.render_results())
        model = db.session.query(Result).first()
        for n, data in enumerate(documents):
            db.session.add(Result(
                dossier_code=f"000.00.15.H40-260101-{n:04d}", procedure_code=model.procedure_code,
                procedure_name=model.procedure_name, title=model.title, citizen_id=model.citizen_id,
                citizen_name=model.citizen_name, agency_id=model.agency_id, status=ResultStatus.SIGNED,
                original_sha256=model.original_sha256, original_size=model.original_size,
                signed_sha256=services(app).documents.put(data), signed_at=utcnow()))
        db.session.commit()
        before = utcnow() + dt.timedelta(days=365 * 30)  # every proof is due
        archive.renew(app, len(documents), before, dry_run=True)  # a dry run reads the proofs first
        wall, own, children = time.perf_counter(), _cpu(resource.RUSAGE_SELF), _cpu(resource.RUSAGE_CHILDREN)
        report = archive.renew(app, len(documents), before, workers=workers)
        wall = time.perf_counter() - wall
        own, children = _cpu(resource.RUSAGE_SELF) - own, _cpu(resource.RUSAGE_CHILDREN) - children
        count = max(len(report.renewed), 1)
        print(_line(label, count, wall, own + children)
              + f" (workers {1000 * children / count:.1f} + parent/TSA {1000 * own / count:.1f});"
              + f" workers ready after {getattr(report, 'startup_seconds', float('nan')):.2f} s;"
              + f" load average {os.getloadavg()[0]:.2f}", flush=True)
        db.session.remove()
        db.engine.dispose()
        return len(report.renewed)


def _cpu(who: int) -> float:
    """CPU seconds of this process (RUSAGE_SELF) or of its ended children (RUSAGE_CHILDREN)."""
    used = resource.getrusage(who)
    return used.ru_utime + used.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=40)
    parser.add_argument("--templates", type=int, default=40, help="documents signed; the others are variants of them")
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--lines", default="extender,sqlite,postgres",
                        help="which lines to run: extender (alone, 1 and N processes), sqlite, "
                             "postgres (1 and N workers)")
    parser.add_argument("--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
                        help="PostgreSQL server for the whole runs with workers (a fresh database beside it)")
    options = parser.parse_args()
    logging.disable(logging.WARNING)

    from bench.load_server import fresh_database
    from tests.pki import serve_pki
    from tests.verification.documents import DocumentSigner, unsigned_pdf

    with tempfile.TemporaryDirectory() as directory:
        pki, server = serve_pki(Path(directory) / "pki")
        signer = DocumentSigner(pki)
        started = time.perf_counter()
        templates = [signer.sign_b_lta(unsigned_pdf(f"Giấy chứng nhận số {n}"))
                     for n in range(min(options.templates, options.documents))]
        documents = _variants(templates, options.documents)
        print(f"signed {len(templates)} B-LTA documents, {len(documents)} distinct results made from them"
              f" in {time.perf_counter() - started:.1f} s", flush=True)
        root_der = pki.root_cert_path.read_bytes()
        from asn1crypto import pem

        root_der = pem.unarmor(root_der)[2] if pem.detect(root_der) else root_der
        count = len(documents)
        print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        lines = set(options.lines.split(","))
        if "extender" in lines:
            _measure("extender alone, 1 process:", count, lambda: _extend_all((documents, pki.tsa_url, root_der)))
        folder = Path(directory)
        runs = [(folder / "sqlite", "whole run (SQLite, 1 process, cold):", None, 1)] * ("sqlite" in lines) + [
            (folder / f"pg{n}", f"whole run (PostgreSQL, {n} worker{'s' * (n > 1)}, cold):", options.database_url, n)
            for n in (1, options.processes) if "postgres" in lines]
        for where, label, url, workers in runs:
            where.mkdir()
            with fresh_database(url, "archive_bench_") as fresh:  # None (SQLite in the folder) without a URL
                renewed = _whole_run(where, documents, pki, label, fresh, workers)
            if renewed != count:
                raise SystemExit(f"{label} renewed {renewed} of {count}")
        shares = [(documents[i::options.processes], pki.tsa_url, root_der) for i in range(options.processes)]
        if "extender" in lines:
            with ProcessPoolExecutor(options.processes) as pool:
                _measure(f"extender, {options.processes} processes (each warmed up):", count,
                         lambda: _on_processes(pool, shares))
        print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        server.shutdown()


if __name__ == "__main__":
    main()
