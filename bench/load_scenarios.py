"""The scenarios of bench/load.py, each a coroutine `send(http, i)` that performs request i and returns
its HTTP status, and the request bodies prepared before a scenario runs."""
from __future__ import annotations

import itertools
import json
from urllib.parse import urlsplit

import aiohttp
import requests

from bench.load_case_system import CaseSystem
from bench.load_raw import RawClient, post_request


class Scenarios:
    """wallet, verify, intake and batch against one server, as citizen1, an anonymous verifier and the
    case system."""

    def __init__(self, base_url: str, case_system: CaseSystem, cookies: dict[str, str], signed_pdf: bytes,
                 batch_size: int):
        self.base_url = base_url
        self.case_system = case_system
        self.cookies = cookies
        self.signed_pdf = signed_pdf
        self.batch_size = batch_size
        self.submissions = itertools.count()  # warm-up and measured requests never share a dossier code
        self.prepared: list[tuple[dict[str, str], bytes]] = []
        self.raw_verify: bytes | None = None

    async def wallet(self, http: aiohttp.ClientSession, i: int) -> int:
        async with http.get(f"{self.base_url}/api/v1/wallet/results", cookies=self.cookies) as response:
            await response.read()
            return response.status

    async def verify(self, http: aiohttp.ClientSession, i: int) -> int:
        form = aiohttp.FormData()
        form.add_field("document", self.signed_pdf, filename="result.pdf", content_type="application/pdf")
        async with http.post(f"{self.base_url}/api/v1/verify", data=form) as response:
            body = await response.read()
            if response.status == 200 and json.loads(body)["indication"] != "TOTAL-PASSED":
                return 599  # a fast wrong answer is not a result
            return response.status

    def raw_client(self) -> RawClient:
        """The lean client of the verify-registered scenario (`bench.load_raw`)."""
        address = urlsplit(self.base_url)
        return RawClient(address.hostname, address.port)

    async def verify_registered(self, http: RawClient, i: int) -> int:
        """The signed PDF as the whole body (application/pdf): answered from the register. The same
        request each time, built once (`raw_client`)."""
        if self.raw_verify is None:
            address = urlsplit(self.base_url)
            self.raw_verify = post_request(address.hostname, address.port, "/api/v1/verify", "application/pdf",
                                           self.signed_pdf)
        return _registered_answer(*await http.send(self.raw_verify))

    async def verify_registered_form(self, http: aiohttp.ClientSession, i: int) -> int:
        """The same as multipart/form-data, as a browser sends it."""
        form = aiohttp.FormData()
        form.add_field("document", self.signed_pdf, filename="result.pdf", content_type="application/pdf")
        async with http.post(f"{self.base_url}/api/v1/verify", data=form) as response:
            return _registered_answer(response.status, await response.read())

    async def intake(self, http: aiohttp.ClientSession, i: int) -> int:
        headers, body = self.prepared[i]
        async with http.post(f"{self.base_url}/api/v1/results", data=body, headers=headers) as response:
            await response.read()
            return response.status

    async def batch(self, http: aiohttp.ClientSession, i: int) -> int:
        headers, body = self.prepared[i]
        async with http.post(f"{self.base_url}/api/v1/result-batches", data=body, headers=headers) as response:
            await response.read()
            return response.status

    def prepare(self, name: str, count: int) -> None:
        """The scenario's request bodies, made before it runs (they carry unique dossier codes)."""
        if name.startswith("verify-registered"):  # its first verification, in full, stores the report
            response = requests.post(f"{self.base_url}/api/v1/verify", data=self.signed_pdf,
                                     headers={"Content-Type": "application/pdf"}, timeout=60)
            response.raise_for_status()
        elif name == "intake":
            self.prepared[:] = [self.case_system.prepared(next(self.submissions)) for _ in range(count)]
        elif name == "batch":
            self.prepared[:] = [
                self.case_system.prepared_batch(range(start, start + self.batch_size))
                for start in (next(self.submissions) * self.batch_size + 10**6 for _ in range(count))
            ]


def _registered_answer(status: int, body: bytes) -> int:
    """599 unless the answer is a pass read from the register: a fast wrong answer is not a result."""
    if status != 200:
        return status
    report = json.loads(body)
    return 200 if (report["indication"], report["answered_from"]) == ("TOTAL-PASSED", "register") else 599
