"""The official's key on their PKCS#11 token, as the agent uses it.

Built on :class:`adapters.keys.pkcs11.Pkcs11KeySource`: the PIN typed at the agent's start is
checked once there (a wrong PIN stops the agent before it listens) and then given to the token
for each request, one login per request, so that a token unplugged and plugged back in works.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

from adapters.keys.pkcs11 import Pkcs11KeySource
from signing.errors import KeySourceError

from .protocol import DIGEST_SIZES, AgentError, SignRequest

_START_MESSAGES = {
    "pin_incorrect": "Mã PIN không đúng. / The token PIN is incorrect.",
    "pin_locked": "Mã PIN đã bị khóa. / The token PIN is locked.",
    "token_unavailable": "Không mở được token (kiểm tra thư viện PKCS#11 và nhãn token). / "
                         "The token is not available (check the PKCS#11 module and token label).",
    "certificate_not_found": "Không có chứng thư số với nhãn khóa đã cho trên token. / "
                             "No certificate with that key label on the token.",
}


class AgentStartError(Exception):
    """The agent cannot start; the message is for the official at the terminal."""


@dataclass(frozen=True)
class TokenOptions:
    module: str
    token: str
    key: str


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


class TokenSigner:
    """Signs validated digests with the official's token key."""

    def __init__(self, source: Pkcs11KeySource):
        self._source = source

    @classmethod
    def open(cls, options: TokenOptions, pin: str) -> TokenSigner:
        """Open the token and prove the PIN with one login, or raise AgentStartError."""
        try:
            source = Pkcs11KeySource(options.module, options.token, options.key, pin)
            source.check_credentials()
            source.signature_mechanism("sha256")  # refuses key types CMS signing does not support
        except KeySourceError as e:
            message = _START_MESSAGES.get(e.code, f"Lỗi token ({e.code}). / Token error: {e.message}")
            raise AgentStartError(f"{e.code}: {message}") from None
        return cls(source)

    def certificate(self) -> bytes:
        return self._source.identity().certificate.dump()

    def describe(self) -> dict:
        """The ``GET /v1/certificate`` body."""
        identity = self._source.identity()
        return {
            "certificate": b64(identity.certificate.dump()),
            "chain": [b64(c.dump()) for c in identity.chain],
            "key_algorithm": identity.certificate.public_key.algorithm,
            "signature_algorithm": self._source.signature_mechanism("sha256")["algorithm"].native,
            "signature_algorithms": {name: self._source.signature_mechanism(name)["algorithm"].native
                                     for name in DIGEST_SIZES},
        }

    def sign(self, request: SignRequest) -> list[bytes]:
        """One login, every digest signed in that session."""
        try:
            with self._source.authorize(request.digests, request.digest_algorithm) as authorization:
                return self._source.sign_digests(authorization, request.digests, request.digest_algorithm)
        except KeySourceError as e:
            raise AgentError(503, e.code, f"Token không ký được. / The token did not sign: {e.message}") from None
