"""A worker's INFO log speaks of the service: the libraries' progress lines (fontTools pruning each
table while the stamp font is subset) and deprecation notices (cryptography's DSA, imported by
pyhanko) stay out of it."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# A fresh process's environment: this one's PYTHONWARNINGS may have been set by an earlier test's `or_exit`.
FRESH = {k: v for k, v in os.environ.items() if k != "PYTHONWARNINGS"}

# What a process started through `or_exit` (gunicorn's wsgi, the Celery worker) does after Celery has
# set the root logger to INFO and routed warnings to the log: build the stamp font, sign with pyhanko.
SCRIPT = """
import logging, warnings
logging.basicConfig(level=logging.INFO, format="%(name)s %(levelname)s %(message)s")
logging.captureWarnings(True)
warnings.simplefilter("default")
from wallet_service.platform.startup import or_exit
or_exit(lambda: None)
import pyhanko.sign.signers.pdf_cms
from signing.stamp import StampFont
StampFont.load()
logging.getLogger("wallet_service").info("service line")
import subprocess, sys  # a process it spawns (a verifier or signer pool) imports pyhanko afresh
subprocess.run([sys.executable, "-c", "import pyhanko.sign.signers.pdf_cms"], check=True)
"""


def test_library_lines_stay_out_of_an_info_log():
    ran = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=120, env=FRESH)
    assert ran.returncode == 0, ran.stderr
    assert ran.stderr.splitlines() == ["wallet_service INFO service line"], ran.stderr


def test_without_the_quieting_the_lines_would_be_there():
    """The test above can fail: the same script without `or_exit` logs them (the spawned process too)."""
    bare = SCRIPT.replace("or_exit(lambda: None)", "")
    ran = subprocess.run([sys.executable, "-c", bare], cwd=ROOT, capture_output=True, text=True, timeout=120, env=FRESH)
    assert "fontTools" in ran.stderr and ran.stderr.count("DSA is deprecated") == 2
