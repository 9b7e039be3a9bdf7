"""The `webhook` target: one HTTP POST per attempt, the signed message as the body and the
idempotency key in the `Idempotency-Key` header (draft-ietf-httpapi-idempotency-key-header)."""
from __future__ import annotations

import requests

from .messages import MEDIA_TYPE
from .targets import DeliveryTarget

# Worth another try: the store is busy, down, or asks us to come back (RFC 9110 §15.5.9, §15.6, RFC 6585).
RETRYABLE_STATUS = frozenset({408, 425, 429})


class SendFailed(Exception):
    """An attempt failed; `retryable` says whether a later attempt may succeed."""

    def __init__(self, message: str, *, retryable: bool):
        super().__init__(message)
        self.message = message
        self.retryable = retryable


def post_message(http: requests.Session, target: DeliveryTarget, idempotency_key: str, token: str) -> None:
    """Send once; return on a 2xx answer, raise SendFailed otherwise."""
    headers = {"Content-Type": MEDIA_TYPE, "Idempotency-Key": idempotency_key}
    authorization = target.authorization()
    if authorization:
        headers["Authorization"] = authorization
    try:
        response = http.post(target.url, data=token.encode("ascii"), headers=headers, timeout=target.timeout_seconds,
                             allow_redirects=False)
    except requests.RequestException as exc:
        raise SendFailed(f"{type(exc).__name__}: {exc}", retryable=True) from None
    if 200 <= response.status_code < 300:
        return
    detail = response.text[:200].strip()
    retryable = response.status_code >= 500 or response.status_code in RETRYABLE_STATUS
    raise SendFailed(f"HTTP {response.status_code}" + (f": {detail}" if detail else ""), retryable=retryable)
