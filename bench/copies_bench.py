"""Certified copies: what turning scans into the searchable PDF/A costs, per page, with Vietnamese
OCR (A) and without (B), in the same run. CPU includes Tesseract's child processes.

    PYTHONPATH=. .venv/bin/python bench/copies_bench.py [--rounds 3]
"""
from __future__ import annotations

import argparse
import os
import resource
import time

from flask import Flask
from flask_babel import Babel

from tests.copies.conftest import BIRTH_CERTIFICATE, render_page
from wallet_service.copies.catalogue import DOCUMENT_TYPES
from wallet_service.copies.extraction import extract_fields
from wallet_service.copies.scans import scan_from_images


def _cpu() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def measure(pages: list[bytes], language: str, rounds: int) -> tuple[float, float, dict]:
    wall, cpu, fields = 0.0, 0.0, {}
    for _ in range(rounds):
        start_wall, start_cpu = time.perf_counter(), _cpu()
        scan = scan_from_images(pages, language, 100 * 2**20)
        fields = extract_fields(DOCUMENT_TYPES["birth_certificate"], scan.text)
        wall += time.perf_counter() - start_wall
        cpu += _cpu() - start_cpu
    count = rounds * len(pages)
    return 1000 * wall / count, 1000 * cpu / count, fields


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    pages = [render_page(BIRTH_CERTIFICATE, angle) for angle in (1.5, -1.0, 0.7)]
    app = Flask("bench")
    Babel(app)
    with app.app_context():
        measure(pages[:1], "none", 1)  # warm imports
        print(f"load average before: {os.getloadavg()}")
        for label, language in (("A: OCR vie", "vie"), ("B: no OCR", "none")):
            wall, cpu, fields = measure(pages, language, args.rounds)
            print(f"{label:12} {wall:7.0f} ms wall/page  {cpu:7.0f} ms CPU/page  holder={fields.get('holder_name')}")
        print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
