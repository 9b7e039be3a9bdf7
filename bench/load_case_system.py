"""The bench's case system for bench/load.py: ES256 bearer assertions with a unique jti, unique dossier
codes and documents, and request bodies encoded ahead of a scenario."""
from __future__ import annotations

import datetime as dt
import json
import time
import uuid
from pathlib import Path

import jwt
import requests
from cryptography.hazmat.primitives import serialization

from wallet_service.dev.demo import result_pdf

CLIENT = "load-bench"
AGENCY = "000.00.15.H40"  # official1's agency
CITIZEN1 = ("022186001234", "Lê Thị Hoa")
# The demo PDF's /Creator text, replaced by a same-length unique text: distinct documents, same offsets.
CREATOR = b"wallet-service demo data"


def result_template() -> bytes:
    """The demo result PDF every submission is made from (its /Creator text made unique per request)."""
    return result_pdf("Trung tâm Phục vụ hành chính công phường Hạ Long", "Trích lục khai sinh",
                      CITIZEN1[1], f"{AGENCY}-250101-0000", ("Họ, chữ đệm, tên: Lê Minh Anh",))


class CaseSystem:
    """The bench's case system: a fresh assertion per request, unique dossier codes and documents."""

    def __init__(self, key_path: Path, audience: str, template: bytes):
        self.key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        self.audience = audience
        self.template = template
        self.run = uuid.uuid4().int % 10**6  # dossier sequence numbers differ between runs on one database

    def headers(self) -> dict[str, str]:
        now = int(time.time())
        claims = {"iss": CLIENT, "sub": CLIENT, "aud": self.audience, "iat": now, "exp": now + 120, "jti": uuid.uuid4().hex}
        return {"Authorization": "Bearer " + jwt.encode(claims, self.key, algorithm="ES256")}

    def submission(self, i: int) -> tuple[dict, bytes]:
        # 10,000 dossiers a day per agency fit the 4-digit sequence; the day (YYMMDD) varies past that.
        day = (dt.date(2025, 1, 1) + dt.timedelta(days=i // 10000)).strftime("%y%m%d")
        metadata = {
            "dossier_code": f"{AGENCY}-{day}-{i % 10000:04d}",
            "procedure_code": "1.001193.000.00.00.H40",
            "procedure_name": "Thủ tục đăng ký khai sinh",
            "citizen_id": CITIZEN1[0],
            "citizen_name": CITIZEN1[1],
            "title": f"Trích lục khai sinh {i}",
            "agency_code": AGENCY,
        }
        unique = f"load {self.run:06d}{i:013d}".encode()
        assert len(unique) == len(CREATOR)
        return metadata, self.template.replace(CREATOR, unique)

    def post_sync(self, base_url: str, i: int) -> dict:
        metadata, document = self.submission(i)
        response = requests.post(
            f"{base_url}/api/v1/results", headers=self.headers(), timeout=30,
            files={"metadata": (None, json.dumps(metadata, ensure_ascii=False), "application/json"),
                   "document": ("result.pdf", document, "application/pdf")},
        )
        response.raise_for_status()
        return response.json()

    def prepared(self, i: int) -> tuple[dict[str, str], bytes]:
        """Request i's headers and multipart body, encoded ahead of the scenario so the generator's
        CPU (ES256 signing, multipart framing) is not spent on the cores while the server is measured."""
        metadata, document = self.submission(i)
        return self._multipart(metadata, [document])

    def prepared_batch(self, numbers: range) -> tuple[dict[str, str], bytes]:
        """One POST /api/v1/result-batches carrying submissions `numbers`, encoded ahead like `prepared`."""
        submissions = [self.submission(i) for i in numbers]
        return self._multipart([m for m, _ in submissions], [d for _, d in submissions])

    def _multipart(self, metadata: dict | list, documents: list[bytes]) -> tuple[dict[str, str], bytes]:
        boundary = uuid.uuid4().hex
        parts = [
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"metadata\"\r\n"
            "Content-Type: application/json\r\n\r\n".encode(),
            json.dumps(metadata, ensure_ascii=False).encode(),
        ]
        for document in documents:
            parts += [
                f"\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"document\"; filename=\"result.pdf\"\r\n"
                "Content-Type: application/pdf\r\n\r\n".encode(),
                document,
            ]
        parts.append(f"\r\n--{boundary}--\r\n".encode())
        return {**self.headers(), "Content-Type": f"multipart/form-data; boundary={boundary}"}, b"".join(parts)
