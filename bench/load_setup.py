"""The data bench/load.py runs against, set up through the public API as people and systems would: the
case system posts results for citizen1, official1 signs some of them, citizen1 logs in."""
from __future__ import annotations

import re
import time
from dataclasses import dataclass

import requests

from bench.load_case_system import CaseSystem
from tests.auth.browser import log_in  # a person's login through the provider's form


@dataclass
class Wallet:
    """What the scenarios need from the set-up."""

    cookies: dict[str, str]
    """citizen1's session."""
    signed_pdf: bytes
    """A result official1 signed, for verification."""
    listed: int
    """How many results citizen1's wallet lists."""


def csrf_token(page_html: str) -> str:
    match = re.search(r'<meta name="csrf-token" content="([^"]+)"', page_html)
    if not match:
        raise SystemExit("no CSRF token on the officials' page")
    return match.group(1)


def sign_as_official1(base_url: str, result_ids: list[str]) -> None:
    http = requests.Session()
    log_in(http, base_url, "official", "official1")
    token = csrf_token(http.get(f"{base_url}/official/", timeout=20).text)
    batch = http.post(f"{base_url}/api/v1/signing-batches", json={"result_ids": result_ids},
                      headers={"X-CSRFToken": token}, timeout=20)
    batch.raise_for_status()
    deadline = time.monotonic() + 300
    while True:
        state = http.get(f"{base_url}/api/v1/signing-batches/{batch.json()['id']}", timeout=20).json()
        if state["status"] == "finished":
            break
        if time.monotonic() > deadline:
            raise SystemExit(f"signing did not finish in 300 s: {state}")
        time.sleep(0.5)
    if state["failed"]:
        raise SystemExit(f"signing failed: {state['items']}")


def set_up_wallet(base_url: str, case_system: CaseSystem, results: int, signed: int) -> Wallet:
    """`results` results posted for citizen1, the first `signed` of them signed by official1, citizen1 logged in."""
    created = [case_system.post_sync(base_url, 900_000 + i)["id"] for i in range(results)]
    sign_as_official1(base_url, created[:signed])
    signed_pdf = requests.get(f"{base_url}/api/v1/results/{created[0]}/document",
                              headers=case_system.headers(), timeout=20).content
    citizen = requests.Session()
    log_in(citizen, base_url, "citizen", "citizen1")
    cookies = citizen.cookies.get_dict()
    listed = citizen.get(f"{base_url}/api/v1/wallet/results", timeout=20).json()
    return Wallet(cookies, signed_pdf, len(listed))
