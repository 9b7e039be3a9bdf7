"""The access key in a stamp's QR link: `/v/{id}?k={key}` shows the document's pages, the bare
`/v/{id}` only the masked summary. The key is an HMAC of the result id, so nothing is stored and
no one without the printed QR (or the service's secret) can name it for a result id they know."""
from __future__ import annotations

import base64
import hashlib
import hmac

from signing.stamp import verification_url

from ..platform.config import Settings

_PURPOSE = b"wallet-service/qr-page-key/v1:"  # a key for this use only, whatever else the secret signs
KEY_BYTES = 16
"""128 bits: as unguessable as a random token, and short enough to keep the QR code small."""


def _secret(settings: Settings) -> bytes:
    return (settings.verify.page_key_secret or settings.secret_key).encode("utf-8")


def access_key(settings: Settings, result_id: str) -> str:
    """The result's access key, URL-safe (22 characters)."""
    digest = hmac.new(_secret(settings), _PURPOSE + result_id.encode("utf-8"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:KEY_BYTES]).rstrip(b"=").decode("ascii")


def key_opens(settings: Settings, result_id: str, given: str | None) -> bool:
    """`given` is the result's access key (compared in constant time)."""
    if not given:
        return False
    return hmac.compare_digest(access_key(settings, result_id).encode("ascii"), given.encode("utf-8", "replace"))


def qr_url(settings: Settings, result_id: str) -> str:
    """What a new stamp's QR code opens: the result's page with its access key."""
    return verification_url(settings.public_base_url, result_id, access_key(settings, result_id))
