"""Signing throughput: the plain pyHanko recipe vs the batch pipeline, same documents,
same RSA-2048 key, same run; PAdES B-B and B-LT (local TSA and OCSP) by default.

    .venv/bin/python -m bench.sign_bench            # N=500
    .venv/bin/python -m bench.sign_bench --n 500 5000 --plain-n 100
    .venv/bin/python -m bench.sign_bench --levels decree30 decree30-remote seal-lta --plain-n 30

``decree30``: the official's signature with the visible stamp, then the agency seal at B-LTA
(the plain recipe: ``PdfSigner`` with a ``QRStampStyle``, then ``PdfSigner`` with a timestamper,
``embed_validation_info`` and ``use_pades_lta``); ``seal-lta``: the seal alone at B-LTA. The
pipeline's decree30 stamps carry the service's two QR codes: the link and the signed offline code
(issued before the clock starts, as the service issues them before its pipeline runs).

Each measurement runs in a fresh subprocess so its peak memory is its own. The plain
recipe (``SimpleSigner.load_pkcs12`` + ``PdfSigner.sign_pdf`` per document, one after
another) signs the smallest N by default (``--plain-n`` to sign fewer when comparing
with large N); the pipeline signs all N. Both are measured warm, as a service runs them: the
plain recipe signs one document before its clock starts, the pipeline a small batch on the pool
of processes it then signs with (a service keeps that pool between batches).
"""

from __future__ import annotations

import argparse
import copy
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from io import BytesIO
from pathlib import Path

from bench.processes import DescendantPeakMemory, cpu_ticks, peak_rss_mb

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def templates(directory: Path, documents: str = "samples") -> list[Path]:
    """Three Vietnamese result documents, generated once per run: ``samples`` 1, 2 and 3 pages of text
    (the official's stamp goes in the corner), ``signing-block`` one page laid out as Decree 30 has it,
    as the service's demo results (the stamp goes at the signing block, found in the page's text)."""
    from signing.samples import result_pdf

    paths = []
    for pages in (1, 2, 3):
        path = directory / f"template-{pages}.pdf"
        if not path.exists():
            path.write_bytes(result_pdf(pages - 1, pages=pages) if documents == "samples" else _block_pdf(pages))
        paths.append(path)
    return paths


def _block_pdf(number: int) -> bytes:
    from wallet_service.dev.demo import result_pdf

    return result_pdf("Ủy ban nhân dân phường Hạ Long", "Giấy chứng nhận đăng ký hộ kinh doanh", "Lê Thị Hoa",
                      f"000.00.15.H40-251201-{number:04d}", (f"Tên hộ kinh doanh: Hộ kinh doanh số {number}",
                                                             "Địa điểm kinh doanh: phường Hạ Long, tỉnh Quảng Ninh"))


# --- the development PKI services in their own process --------------------------------


def _serve_pki(directory: str, conn) -> None:
    from werkzeug.serving import make_server

    from adapters.devpki import DEMO_IDENTITIES, dev_pki_services_app, ensure_dev_pki

    holder = {}
    from werkzeug.serving import WSGIRequestHandler

    class QuietHandler(WSGIRequestHandler):
        def log_request(self, *args, **kwargs):  # keep the benchmark output readable
            pass

    from werkzeug.middleware.dispatcher import DispatcherMiddleware

    from wallet_service.dev import csc
    from wallet_service.dev.csc.wsgi import DevCscApp

    server = make_server("127.0.0.1", 0, lambda e, s: holder["app"](e, s), threaded=True,
                         request_handler=QuietHandler)
    pki = ensure_dev_pki(Path(directory), f"http://127.0.0.1:{server.server_port}", DEMO_IDENTITIES)
    # The development remote-signing service holds official1's key, as a provider would.
    csc.ensure_secrets(Path(directory) / "csc", ("official1",))
    remote = csc.DevCscService(Path(directory) / "csc", Path(directory), ("official1",))
    holder["app"] = DispatcherMiddleware(dev_pki_services_app(pki), {csc.MOUNT: DevCscApp(remote)})
    conn.send(pki.services_base_url)
    server.serve_forever()


def start_pki(directory: Path):
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_serve_pki, args=(str(directory), child), daemon=True)
    proc.start()
    parent.recv()
    return proc


def run_plain(pki_dir: Path, templates_: list[Path], n: int, level: str) -> dict:
    """The recipe from pyHanko's documentation, one document after another. ``decree30``: the
    official's signature with a QR stamp in the Vietnamese font, then the seal at B-LTA."""
    import asyncio

    from adapters.devpki import load_dev_pki

    pki = load_dev_pki(pki_dir)
    pdfs = [p.read_bytes() for p in templates_]

    def sign(i: int) -> None:
        pdf = pdfs[i % 3]
        if level == "decree30":
            pdf = asyncio.run(_plain_official(pki, pdf, f"doc-{i:06d}"))
        seal_level = "B-LTA" if level in ("decree30", "seal-lta") else level
        out = asyncio.run(_plain_sign(pki, pdf, "000.00.15.H40", seal_level,
                                      "Sig2-CoQuan" if level == "decree30" else "Signature1"))
        assert out.getbuffer().nbytes > 0

    sign(n)  # before the clock, as the pipeline's warm-up: pyHanko's first signature imports the rest of it
    start = time.perf_counter()
    cpu = time.process_time()
    for i in range(n):
        sign(i)
    elapsed = time.perf_counter() - start
    return {"docs": n, "seconds": elapsed, "rate": n / elapsed, "rss_mb": peak_rss_mb(),
            "workers_rss_mb": 0.0, "cpu_ms": (time.process_time() - cpu) * 1000 / n}


async def _plain_official(pki, pdf: bytes, result_id: str) -> bytes:
    """PdfSigner with a visible QR stamp: pyHanko's ``QRStampStyle`` and its own font engine
    (which subsets the font per document). Its QR matrix comes from zxing-cpp, as in the service,
    because pyHanko's ``qrcode`` package is not installed (and is slower, which would only
    flatter the pipeline)."""
    from pyhanko.pdf_utils.font.opentype import GlyphAccumulatorFactory
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.text import TextBoxStyle
    from pyhanko.sign import fields, signers

    from signing.stamp import DEFAULT_FONT, LINK_QR_SIZE, StampPlacement, verification_url
    from signing.stamp import _FastQRStampStyle as FastQRStampStyle

    signer = signers.SimpleSigner.load_pkcs12(str(pki.pkcs12_path("official1")),
                                              passphrase=pki.pkcs12_passphrase())
    style = FastQRStampStyle(stamp_text="Ký bởi: %(signer)s\nThời gian: %(ts)s", qr_inner_size=LINK_QR_SIZE,
                             text_box_style=TextBoxStyle(font=GlyphAccumulatorFactory(str(DEFAULT_FONT)),
                                                         font_size=7, leading=9))
    box = StampPlacement().rectangle((0, 0, 595.28, 841.89))
    writer = IncrementalPdfFileWriter(BytesIO(pdf))
    page = int(writer.root["/Pages"]["/Count"]) - 1
    meta = signers.PdfSignatureMetadata(field_name="Sig1-CanBo", subfilter=fields.SigSeedSubFilter.PADES)
    pdf_signer = signers.PdfSigner(meta, signer=signer, stamp_style=style,
                                   new_field_spec=fields.SigFieldSpec("Sig1-CanBo", on_page=page, box=box))
    out = await pdf_signer.async_sign_pdf(
        writer, appearance_text_params={"url": verification_url("https://wallet.example.vn", result_id)})
    return out.getvalue()


async def _plain_sign(pki, pdf: bytes, identity: str, level: str, field: str):
    from asn1crypto import pem, x509
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko.sign.timestamps import HTTPTimeStamper
    from pyhanko_certvalidator import ValidationContext

    root = x509.Certificate.load(pem.unarmor(pki.root_cert_path.read_bytes())[2])
    lt = level in ("B-LT", "B-LTA")
    signer = signers.SimpleSigner.load_pkcs12(str(pki.pkcs12_path(identity)),
                                              passphrase=pki.pkcs12_passphrase())
    meta = signers.PdfSignatureMetadata(
        field_name=field, subfilter=fields.SigSeedSubFilter.PADES,
        embed_validation_info=lt, use_pades_lta=level == "B-LTA",
        validation_context=ValidationContext(trust_roots=[root], allow_fetching=True) if lt else None,
    )
    timestamper = HTTPTimeStamper(pki.tsa_url) if level != "B-B" else None
    return await signers.async_sign_pdf(IncrementalPdfFileWriter(BytesIO(pdf)), meta, signer=signer,
                                        timestamper=timestamper)


def run_pipeline(pki_dir: Path, templates_: list[Path], n: int, level: str, workers: int) -> dict:
    from adapters.devpki import load_dev_pki
    from adapters.keys.pkcs12 import Pkcs12KeySource
    from signing.executors import new_worker_pool
    from signing.journal import SqliteBatchJournal
    from signing.pipeline import BatchItem, BatchSigner, SignatureStep, decree30_steps
    from signing.profiles import PadesLevel, TrustServices

    pki = load_dev_pki(pki_dir)
    key = Pkcs12KeySource.from_file(pki.pkcs12_path("000.00.15.H40"), pki.pkcs12_passphrase())
    remote = level == "decree30-remote"
    if level.startswith("decree30"):  # the service's real job: official + stamp, then seal at B-LTA
        from signing.stamp import StampFont, StampText, verification_url

        local_official = Pkcs12KeySource.from_file(pki.pkcs12_path("official1"), pki.pkcs12_passphrase())
        official = _remote_official(pki) if remote else local_official
        originals = [t.read_bytes() for t in templates_]
        codes = _offline_codes(key, [(f"doc-{i:06d}", originals[i % 3]) for i in range(n)])
        items = [BatchItem(f"doc-{i:06d}", templates_[i % 3].read_bytes,
                           StampText("Nguyễn Văn An", "Trung tâm Phục vụ hành chính công phường Hạ Long",
                                     offline_code=code),
                           verification_url("https://wallet.example.vn", f"doc-{i:06d}"))
                 for i, code in enumerate(codes)]
        steps = decree30_steps(official, key)
        font = StampFont.load()
    else:
        items = [BatchItem(f"doc-{i:06d}", templates_[i % 3].read_bytes) for i in range(n)]
        steps = [SignatureStep(key, PadesLevel.parse("B-LTA" if level == "seal-lta" else level),
                               "Signature1")]
        font = None
    pool = new_worker_pool(workers)
    signer = BatchSigner(trust_services=TrustServices(tsa_url=pki.tsa_url), workers=workers, font=font,
                         executor=pool)
    with tempfile.TemporaryDirectory(prefix="sign-bench-") as tmp:
        # the remote official approves once a batch: the warm-up signs with the same key held locally
        _warm_up(signer, items, decree30_steps(local_official, key) if remote else steps,
                 SqliteBatchJournal(Path(tmp) / "warm-up.db"))
        journal = SqliteBatchJournal(Path(tmp) / "journal.db")
        with DescendantPeakMemory() as memory:
            start, cpu = time.perf_counter(), time.process_time()
            if remote:  # prepare, one approval for every digest, then sign with it (as the service does)
                steps = _approve_remotely(signer, items, steps, journal, official, key, pki)
            ok = sum(1 for outcome in signer.sign(items, steps, journal) if outcome.ok)
            elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
        journal.close()
    pool.shutdown()
    assert ok == n, f"only {ok} of {n} signed"
    return {"docs": n, "seconds": elapsed, "rate": n / elapsed, "rss_mb": peak_rss_mb(),
            "workers_rss_mb": memory.max_mb(), "cpu_ms": (cpu + memory.cpu_seconds()) * 1000 / n, "main_cpu_ms": cpu * 1000 / n}


def _warm_up(signer, items, steps, journal) -> None:
    """Sign a few items (in a journal of their own) before the clock, one document a worker call so that
    every worker starts and signs: a service keeps its pool between batches (a pool's first batch also
    pays ~0.5 s of process start and imports)."""
    warm = copy.copy(signer)
    warm.chunk_size = warm.sign_chunk_size = 1
    assert all(o.ok for o in warm.sign(items[:2 * signer.workers], steps, journal)), "the warm-up batch failed"
    journal.close()


def _offline_codes(seal, documents: list[tuple[str, bytes]]) -> list[str]:
    """Each document's offline code as the service prints it beside the link QR code (signed with
    the seal's key, the service's claims), made before the clock starts: the pipeline draws it."""
    import datetime as dt
    import hashlib

    from offline_qr import ResultClaims, issue_codes

    now = dt.datetime.now(dt.timezone.utc)
    return issue_codes(seal, [
        ResultClaims(result_id=rid, agency_code="000.00.15.H40", dossier_code=f"000.00.15.H40-261201-{i:04d}",
                     issued_on=now.date(), signed_at=now, pdf_sha256=hashlib.sha256(pdf).digest(),
                     holder_name="Nguyễn Văn An", id_last4="1234", procedure_code="1.001234",
                     title="Giấy chứng nhận đăng ký hộ kinh doanh", procedure_name="Đăng ký thành lập hộ kinh doanh")
        for i, (rid, pdf) in enumerate(documents)])


def _remote_official(pki):
    from adapters.keys.csc import CscKeySource
    from wallet_service.dev import csc

    secrets = csc.load_secrets(pki.directory / "csc")
    return CscKeySource(csc.api_url(pki.services_base_url), "official1", secrets.client_id, secrets.client_secret)


def _approve_remotely(signer, items, steps, journal, official, seal, pki):
    """What the service does for a remote-signing official: prepare the batch, have the official
    approve all its digests with PIN + one-time code (one `credentials/authorize`), sign with it."""
    from signing.keys import ApprovedKey, HolderSecrets
    from signing.pipeline import decree30_steps
    from wallet_service.dev import csc

    signer.prepare(items, steps, journal)
    digests = [digest for _, digest in journal.pending_digests(0)]
    codes = HolderSecrets(csc.DEMO_PIN, csc.load_secrets(pki.directory / "csc").totp("official1").now())
    approval = official.authorize(digests, "sha256", holder=codes)
    return decree30_steps(ApprovedKey(official, approval), seal)


def _subprocess(kind: str, pki_dir: Path, tmpl_dir: Path, n: int, level: str, workers: int,
                pki_pid: int) -> dict:
    """One measurement in a fresh process; adds the PKI services' CPU per document (TSA, OCSP
    and the remote-signing service run there) as ``pki_ms``."""
    before = cpu_ticks(pki_pid)
    out = subprocess.run(
        [sys.executable, "-m", "bench.sign_bench", "--measure", kind, "--pki", str(pki_dir),
         "--templates", str(tmpl_dir), "--n", str(n), "--level", level, "--workers", str(workers)],
        cwd=ROOT, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"{kind} {level} n={n} failed:\n{out.stderr[-3000:]}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["pki_ms"] = (cpu_ticks(pki_pid) - before) / os.sysconf("SC_CLK_TCK") * 1000 / n
    return result


def _plain_level(level: str) -> str:
    return "decree30" if level.startswith("decree30") else level


def _row(level: str, n: int, plain: dict, pipe: dict) -> str:
    return (f"{level:16} {n:>6} {plain['rate']:>8.1f} {pipe['rate']:>11.1f} "
            f"{pipe['rate'] / plain['rate']:>6.1f}x "
            f"{plain['cpu_ms']:>6.1f}+{plain['pki_ms']:<6.1f} "
            f"{pipe['cpu_ms']:>5.1f}+{pipe['pki_ms']:<4.1f} "
            f"({pipe['main_cpu_ms']:.1f}+{pipe['cpu_ms'] - pipe['main_cpu_ms']:.1f}+{pipe['pki_ms']:.1f}) "
            f"{pipe['rss_mb']:>8.0f} {pipe['workers_rss_mb']:>10.0f} {os.getloadavg()[0]:>5.1f}")


TARGETS = {"decree30": (100, 40), "decree30-remote": (100, 40), "seal-lta": (200, None)}
"""Results a second on two cores and the ratio to the plain recipe each level is expected to reach."""


def _verdict(level: str, plain: dict, pipe: dict) -> str | None:
    """Whether the line met its level's targets; for a rate not met, the most the CPU a result allows
    on this machine's cores (the gap is then the machine's or the libraries', not the overlap's)."""
    if level not in TARGETS:
        return None
    rate, ratio = TARGETS[level]
    ceiling = (os.cpu_count() or 1) * 1000 / (pipe["cpu_ms"] + pipe["pki_ms"])
    parts = [f">= {rate}/s " + ("met" if pipe["rate"] >= rate else
                                f"NOT met ({pipe['rate']:.1f}/s; its CPU a result allows at most "
                                f"{ceiling:.0f}/s on {os.cpu_count()} cores)")]
    if ratio:
        achieved = pipe["rate"] / plain["rate"]
        parts.append(f">= {ratio}x plain " + ("met" if achieved >= ratio else f"NOT met ({achieved:.1f}x)"))
    return f"{'':16} targets: " + "; ".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, nargs="+", default=[500], help="batch sizes (default 500)")
    parser.add_argument("--plain-n", type=int, default=0,
                        help="documents for the plain recipe (default: the smallest N)")
    parser.add_argument("--levels", nargs="+", default=["B-B", "B-LT"],
                        help="B-B, B-T, B-LT, B-LTA, seal-lta (B-LTA, the agency seal alone), decree30 "
                             "(official with stamp + seal at B-LTA), or decree30-remote (the same, the official's key at the "
                             "development remote-signing service, one PIN + code approval per batch)")
    parser.add_argument("--workers", type=int, default=0, help="pipeline processes (0: CPU count)")
    parser.add_argument("--documents", choices=("samples", "signing-block"), default="samples",
                        help="samples: 1-3 pages of text, stamp in the corner (default); signing-block: one page "
                             "with a Decree 30 signing block, as the service's results (bench.e2e_sign_bench's)")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--pki", help=argparse.SUPPRESS)
    parser.add_argument("--templates", help=argparse.SUPPRESS)
    parser.add_argument("--level", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.measure:  # child mode: one measurement, JSON on stdout
        tmpl = sorted(Path(args.templates).glob("template-*.pdf"))
        if args.measure == "plain":
            result = run_plain(Path(args.pki), tmpl, args.n[0], args.level)
        else:
            result = run_pipeline(Path(args.pki), tmpl, args.n[0], args.level, args.workers)
        print(json.dumps(result))
        return

    workers = args.workers or os.cpu_count() or 1
    with tempfile.TemporaryDirectory(prefix="sign-bench-") as tmp:
        tmp = Path(tmp)
        tmpl_dir = tmp / "templates"
        tmpl_dir.mkdir()
        templates(tmpl_dir, args.documents)
        pki_proc = start_pki(tmp / "pki")
        try:
            print(f"load average at start: {os.getloadavg()[0]:.1f}")
            print(f"CPUs: {os.cpu_count()}, pipeline workers: {workers}; RSA-2048 seal key; "
                  f"{'1-3 page Vietnamese PDFs' if args.documents == 'samples' else 'Decree 30 layouts, stamp at the signing block'}; PKI services (TSA, OCSP, CRL) in a separate process; "
                  f"decree30 stamps carry the link QR code and the signed offline code (VN1:, as the service's)")
            print(f"{'level':16} {'N':>6} {'plain/s':>8} {'pipeline/s':>11} {'ratio':>7} "
                  f"{'plain CPU ms':>13} {'pipe CPU ms (main+workers+PKI)':>31} {'main MB':>8} "
                  f"{'worker MB':>10} {'load':>5}")
            plain_n = args.plain_n or min(args.n)
            for level in args.levels:
                plain = _subprocess("plain", tmp / "pki", tmpl_dir, plain_n, _plain_level(level), 1,
                                    pki_proc.pid)
                for n in args.n:
                    pipe = _subprocess("pipeline", tmp / "pki", tmpl_dir, n, level, workers, pki_proc.pid)
                    print(_row(level, n, plain, pipe), flush=True)
                    if verdict := _verdict(level, plain, pipe):
                        print(verdict, flush=True)
            print(f"(plain recipe on {plain_n} documents per level, pipeline on all N; CPU ms per "
                  "document: the signing processes + the PKI services (TSA, OCSP, remote signing), "
                  "then split as the pipeline's main process + its workers + the PKI services; "
                  "MB = peak resident set size; load = 1-minute load average after the line)")
        finally:
            pki_proc.terminate()


if __name__ == "__main__":
    main()
