"""Runs one Decree 30 batch in its own process (the kill/resume test starts it twice).

usage: batch_runner.py PKI_DIR TSA_URL JOURNAL IN_DIR OUT_DIR LEVEL
Signs every IN_DIR/*.pdf and writes OUT_DIR/<name>.pdf; exits 0 when all are done.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from adapters.devpki import load_dev_pki  # noqa: E402
from adapters.keys.pkcs12 import Pkcs12KeySource  # noqa: E402
from signing.journal import SqliteBatchJournal  # noqa: E402
from signing.pipeline import BatchItem, BatchSigner, decree30_steps  # noqa: E402
from signing.profiles import PadesLevel, TrustServices  # noqa: E402
from signing.stamp import StampFont, StampText  # noqa: E402


def main(pki_dir, tsa_url, journal_path, in_dir, out_dir, level):
    pki = load_dev_pki(Path(pki_dir))
    official = Pkcs12KeySource.from_file(pki.pkcs12_path("official1"), pki.pkcs12_passphrase())
    agency = Pkcs12KeySource.from_file(pki.pkcs12_path("000.00.15.H40"), pki.pkcs12_passphrase())
    items = [BatchItem(p.stem, p.read_bytes,  # loader: read when needed
                       StampText("Nguyễn Văn An", "Trung tâm Phục vụ hành chính công phường Hạ Long"),
                       f"https://wallet.example.vn/v/{p.stem}")
             for p in sorted(Path(in_dir).glob("*.pdf"))]
    signer = BatchSigner(trust_services=TrustServices(tsa_url=tsa_url), font=StampFont.load(),
                         workers=1, chunk_size=3, sign_chunk_size=3)
    journal = SqliteBatchJournal(journal_path)
    failed = 0
    for outcome in signer.sign(items, decree30_steps(official, agency, PadesLevel.parse(level)), journal):
        if outcome.ok:
            Path(out_dir, f"{outcome.result_id}.pdf").write_bytes(outcome.signed_pdf)
        else:
            failed += 1
            print(outcome.result_id, outcome.error, flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
