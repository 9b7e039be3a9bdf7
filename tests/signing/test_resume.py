"""A batch killed with SIGKILL midway resumes: every result ends signed exactly once per
step (one official signature, one seal), none lost."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import time
from io import BytesIO
from pathlib import Path

import pytest
from checks import load_root
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import async_validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from signing.journal import SqliteBatchJournal
from signing.samples import result_pdf

RUNNER = Path(__file__).with_name("batch_runner.py")
N = 24


def _count(journal: Path, step: int, states: tuple[str, ...]) -> int:
    if not journal.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{journal}?mode=ro", uri=True, timeout=1) as db:
            marks = ",".join("?" * len(states))
            return db.execute(f"SELECT COUNT(*) FROM journal WHERE step=? AND state IN ({marks})",
                              (step, *states)).fetchone()[0]
    except sqlite3.OperationalError:
        return 0


@pytest.fixture(scope="module")
def input_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("in")
    base = [result_pdf(i) for i in range(3)]  # fpdf2 is slow; three layouts suffice
    for i in range(N):
        (d / f"kq-{i:03d}.pdf").write_bytes(base[i % 3])
    return d


@pytest.mark.parametrize("kill_when", [(0, ("signed", "finished"), 6), (1, ("finished",), 6)],
                         ids=["during-official-step", "during-seal-step"])
def test_sigkill_then_resume_signs_each_result_exactly_once(kill_when, dev_pki, input_dir, tmp_path):
    step, states, threshold = kill_when
    journal, out = tmp_path / "journal.db", tmp_path / "out"
    out.mkdir()
    args = [sys.executable, str(RUNNER), str(dev_pki.directory), dev_pki.tsa_url, str(journal),
            str(input_dir), str(out), "B-LT"]
    proc = subprocess.Popen(args, start_new_session=True)
    deadline = time.monotonic() + 120
    while _count(journal, step, states) < threshold:
        assert proc.poll() is None, "batch finished before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert _count(journal, 1, ("finished",)) < N  # really interrupted midway
    # outcomes stream as their last step is journaled: never one that the journal has not finished
    assert len(list(out.iterdir())) <= _count(journal, 1, ("finished",))

    resumed = subprocess.run(args, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr

    context = ValidationContext(trust_roots=[load_root(dev_pki.root_cert_path)],
                                allow_fetching=False, revocation_mode="soft-fail")
    outputs = sorted(out.iterdir())
    assert [p.stem for p in outputs] == sorted(p.stem for p in input_dir.iterdir())
    for path in outputs:
        reader = PdfFileReader(BytesIO(path.read_bytes()))
        names = [s.field_name for s in reader.embedded_regular_signatures]
        assert names == ["Sig1-CanBo", "Sig2-CoQuan"], (path, names)
        for sig in reader.embedded_regular_signatures:
            status = asyncio.run(async_validate_pdf_signature(sig, context))
            assert status.intact and status.valid and status.trusted, (path, sig.field_name)
    j = SqliteBatchJournal(journal)
    assert j.signature_count(0) == N and j.signature_count(1) == N
    j.close()
