"""What the Decree 30 appearance costs per document, against the corner box, in one run: the first
(visible) step's preparation of N documents in this process, PAdES B-B (no trust services), CPU ms per
document; and the once-a-batch cost of reading the two images.

    .venv/bin/python -m bench.stamp_bench            # N=40
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    from adapters.devpki import DEMO_IDENTITIES, ensure_dev_pki
    from adapters.keys.pkcs12 import Pkcs12KeySource
    from signing.appearance import StampImage
    from signing.journal import SqliteBatchJournal
    from signing.pipeline import BatchItem, BatchSigner, decree30_steps
    from signing.profiles import PadesLevel
    from signing.samples import result_pdf, seal_png, signature_png
    from signing.stamp import StampFont, StampText
    from wallet_service.dev.demo import result_pdf as demo_pdf

    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=40)
    n = parser.parse_args().n
    tmp = Path(tempfile.mkdtemp())
    pki = ensure_dev_pki(tmp / "pki", "http://127.0.0.1:9", DEMO_IDENTITIES)
    key = Pkcs12KeySource.from_file(pki.pkcs12_path("official1"), pki.pkcs12_passphrase())
    agency = Pkcs12KeySource.from_file(pki.pkcs12_path("000.00.15.H40"), pki.pkcs12_passphrase())
    signature, seal = signature_png("Nguyễn Văn An"), seal_png("Trung tâm Phục vụ hành chính công phường Hạ Long")
    started = time.process_time()
    images = StampImage.from_png(signature), StampImage.from_png(seal, "seal")
    per_batch = (time.process_time() - started) * 1000
    signer = BatchSigner(font=StampFont.load(), workers=1)
    corner = result_pdf(0, pages=1)
    block = demo_pdf("Trung tâm Phục vụ hành chính công phường Hạ Long", "Giấy phép", "Lê Thị Hoa",
                     "000.00.15.H40-260105-0001", ("Công trình: nhà ở",), ("KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC"), "Nguyễn Văn An")
    cases = {"corner box (no signing block)": (corner, (None, None)),
             "signing block, no images": (block, (None, None)),
             "signing block + signature and seal images": (block, images)}
    print(f"load average {os.getloadavg()[0]:.2f}; images read once a batch: {per_batch:.1f} ms CPU")
    for name, (pdf, (sig, sl)) in cases.items():
        steps = decree30_steps(key, agency, PadesLevel.B_B, signature_image=sig, seal_image=sl)
        items = [BatchItem(f"r{i}", pdf, StampText("Nguyễn Văn An", "Trung tâm Phục vụ hành chính công"), "https://x/v/1")
                 for i in range(n)]
        cpu, wall = time.process_time(), time.perf_counter()
        list(signer.sign(items, steps, SqliteBatchJournal(tmp / f"{len(name)}.db")))
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        print(f"{name:45s} {cpu / n * 1000:6.1f} ms CPU/doc  {n / wall:6.1f} docs/s (both steps, B-B)")


if __name__ == "__main__":
    main()
