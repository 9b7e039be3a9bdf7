"""What the agent accepts on ``POST /v1/sign`` and the errors it answers with.

The service's page relays a batch's digests to the agent; the agent checks their shape before
the token sees them, so a page can ask for nothing but "sign these hashes": the batch id and
nonce are echoed back so the service can tell the answer is for its own request, and a nonce
is answered once so that a recorded request cannot be replayed against the token.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections import OrderedDict
from dataclasses import dataclass

DIGEST_SIZES = {"sha256": 32, "sha384": 48, "sha512": 64}
MAX_DIGESTS = 1000
MAX_BODY_BYTES = 256 * 1024  # 1000 base64 SHA-512 digests with room to spare
_BATCH = re.compile(r"[A-Za-z0-9._:-]{1,128}")
_NONCE = re.compile(r"[A-Za-z0-9_-]{16,256}")


class AgentError(Exception):
    """A refusal: HTTP status, stable ``code``, message in Vietnamese then English."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message

    def body(self) -> dict[str, str]:
        return {"error": self.code, "message": self.message}


def bad_request(code: str, message: str) -> AgentError:
    return AgentError(400, code, message)


@dataclass(frozen=True)
class SignRequest:
    """A validated signing request: digests decoded, their size checked against the algorithm."""

    batch: str
    nonce: str
    digest_algorithm: str
    digests: tuple[bytes, ...]


def parse_sign_request(body: object, max_digests: int = MAX_DIGESTS) -> SignRequest:
    """The request's fields, or an AgentError naming the first thing wrong."""
    if not isinstance(body, dict):
        raise bad_request("bad_request", "Yêu cầu phải là một đối tượng JSON. / The request must be a JSON object.")
    batch = _matching(body, "batch", _BATCH, "bad_batch")
    nonce = _matching(body, "nonce", _NONCE, "bad_nonce")
    algorithm = body.get("digest_algorithm")
    if algorithm not in DIGEST_SIZES:
        raise bad_request("unsupported_digest_algorithm",
                          f"Thuật toán băm phải là một trong {', '.join(DIGEST_SIZES)}. / "
                          f"digest_algorithm must be one of {', '.join(DIGEST_SIZES)}.")
    digests = _digests(body.get("digests"), DIGEST_SIZES[algorithm], max_digests)
    return SignRequest(batch, nonce, algorithm, digests)


def _matching(body: dict, field: str, pattern: re.Pattern[str], code: str) -> str:
    value = body.get(field)
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise bad_request(code, f"Trường '{field}' thiếu hoặc không hợp lệ. / "
                                f"'{field}' is missing or malformed ({pattern.pattern}).")
    return value


def _digests(value: object, size: int, limit: int) -> tuple[bytes, ...]:
    if not isinstance(value, list) or not value:
        raise bad_request("bad_digests", "Trường 'digests' phải là danh sách không rỗng. / "
                                         "'digests' must be a non-empty list.")
    if len(value) > limit:
        raise bad_request("too_many_digests", f"Tối đa {limit} giá trị băm mỗi yêu cầu. / "
                                              f"At most {limit} digests per request.")
    decoded = []
    for index, item in enumerate(value):
        try:
            raw = base64.b64decode(item, validate=True) if isinstance(item, str) else None
        except binascii.Error:
            raw = None
        if raw is None:
            raise bad_request("bad_digest_encoding", f"Giá trị băm số {index} không phải base64. / "
                                                     f"Digest {index} is not base64.")
        if len(raw) != size:
            raise bad_request("bad_digest_length", f"Giá trị băm số {index} dài {len(raw)} byte, cần {size}. / "
                                                   f"Digest {index} has {len(raw)} bytes, expected {size}.")
        decoded.append(raw)
    return tuple(decoded)


class NonceRegistry:
    """Nonces already accepted. Bounded: past ``capacity`` the oldest are forgotten, the service
    still checks that a nonce is one it issued and has not used."""

    def __init__(self, capacity: int = 100_000):
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._capacity = capacity

    def consume(self, nonce: str) -> None:
        """Accept ``nonce`` once; raise AgentError(409) if it was accepted before."""
        if nonce in self._seen:
            raise AgentError(409, "nonce_replayed", "Mã nonce này đã được dùng. / This nonce was already used.")
        self._seen[nonce] = None
        if len(self._seen) > self._capacity:
            self._seen.popitem(last=False)
