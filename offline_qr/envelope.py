"""The code's layers, outside in: the prefix ``VN1:``, Base45 (RFC 9285, the QR alphanumeric set),
zlib (RFC 1950), a COSE_Sign1 (tag 18) whose payload is the CWT claims map. Reading is bounded:
the text's length, the inflated size and the CBOR nesting are capped before anything is parsed."""
from __future__ import annotations

import hashlib
import zlib

import base45
import cbor2

from .errors import OfflineCodeError

PREFIX = "VN1:"
MAX_TEXT = 4296
"""The most characters a QR code holds (version 40, alphanumeric, level L)."""
MAX_INFLATED = 4096
"""A genuine code inflates to under 1 KiB; anything past this is refused (a zlib bomb)."""
COSE_SIGN1_TAG = 18
ALG, KID = 1, 4
ES256, PS256, RS256 = -7, -37, -257
ALGORITHMS = {ES256: "ES256", PS256: "PS256", RS256: "RS256"}


def key_id(certificate_der: bytes) -> bytes:
    """The first 8 bytes of the certificate's SHA-256, as the EU DCC's ``kid``."""
    return hashlib.sha256(certificate_der).digest()[:8]


def wrap(cose: bytes) -> str:
    return PREFIX + base45.b45encode(zlib.compress(cose, 9)).decode("ascii")


def wrapped_length(cose: bytes) -> int:
    """len(wrap(cose)) without Base45-encoding it (pure Python, the costly part): Base45 writes
    three characters for every two bytes and two for a last odd byte."""
    size = len(zlib.compress(cose, 9))
    return len(PREFIX) + 3 * (size // 2) + 2 * (size % 2)


def unwrap(text: str) -> bytes:
    """The COSE_Sign1 bytes of a code's text."""
    text = text.strip()
    if len(text) > MAX_TEXT:
        raise OfflineCodeError("too_long", "The text is longer than any QR code holds.")
    if not text.startswith(PREFIX):
        raise OfflineCodeError("wrong_prefix", f"The text does not start with {PREFIX}: not a result's offline code.")
    try:
        compressed = base45.b45decode(text[len(PREFIX):])
    except (ValueError, KeyError, IndexError):
        raise OfflineCodeError("not_base45", "The code is not valid Base45 (damaged or mistyped).") from None
    return inflate(compressed)


def inflate(compressed: bytes) -> bytes:
    inflater = zlib.decompressobj()
    try:
        data = inflater.decompress(compressed, MAX_INFLATED + 1)
    except zlib.error:
        raise OfflineCodeError("truncated", "The code is damaged or cut short (its compressed data does not read).") from None
    if len(data) > MAX_INFLATED or inflater.unconsumed_tail:
        raise OfflineCodeError("too_large", f"The code inflates to more than {MAX_INFLATED} bytes: refused.")
    if not inflater.eof:
        raise OfflineCodeError("truncated", "The code is cut short (its compressed data ends early).")
    return data


def sig_structure(protected: bytes, payload: bytes) -> bytes:
    """What a COSE_Sign1's signature covers (RFC 9052 §4.4), with no external data."""
    return cbor2.dumps(["Signature1", protected, b"", payload])


def protected_header(alg: int, kid: bytes) -> bytes:
    return cbor2.dumps({ALG: alg, KID: kid})


def sign1(protected: bytes, payload: bytes, signature: bytes) -> bytes:
    return cbor2.dumps(cbor2.CBORTag(COSE_SIGN1_TAG, [protected, {}, payload, signature]))


def parse_sign1(cose: bytes) -> tuple[int, bytes, dict]:
    """(alg, kid, claims) of a COSE_Sign1, unverified: which key to check it with."""
    try:
        message = cbor2.loads(cose)
        if isinstance(message, cbor2.CBORTag):
            if message.tag != COSE_SIGN1_TAG:
                raise ValueError(f"tag {message.tag}")
            message = message.value
        protected_bytes, unprotected, payload, signature = message
        protected = cbor2.loads(protected_bytes)
        claims = cbor2.loads(payload)
        if not (isinstance(protected, dict) and isinstance(unprotected, dict) and isinstance(claims, dict)
                and isinstance(signature, bytes)):
            raise ValueError("not a COSE_Sign1 of a claims map")
    except Exception:  # noqa: BLE001 - cbor2 raises many kinds on hostile input; all mean "not a code"
        raise OfflineCodeError("not_cose", "The code does not hold a COSE_Sign1 signed message.") from None
    alg, kid = protected.get(ALG), protected.get(KID, unprotected.get(KID))
    if alg not in ALGORITHMS:
        raise OfflineCodeError("bad_algorithm", f"The code's signature algorithm {alg!r} is not accepted.")
    if not isinstance(kid, bytes):
        raise OfflineCodeError("unknown_key", "The code does not say which key signed it.")
    return alg, kid, claims
