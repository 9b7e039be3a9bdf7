"""Signing a batch's offline codes with the agency's key: every code's claims are fitted to the QR
code first (with a stand-in signature of the right length), then all are signed with *one*
authorisation of the key source, as the batch's PDF signatures are."""
from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence

import cbor2
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from signing.errors import KeySourceError
from signing.keys import KeySource, signature_check

from .claims import OPTIONAL, ResultClaims
from .envelope import ES256, RS256, key_id, protected_header, sig_structure, sign1, wrap, wrapped_length
from .errors import OfflineCodeError

MAX_VERSION = 15
"""The largest QR version a code may need, at error correction M: still read from paper by phones."""
MAX_CHARS = 600
"""Alphanumeric characters a version-15 QR code holds at level M (ISO/IEC 18004, table 7): every
character of a code (the prefix and Base45) is in the alphanumeric set."""
SHORT_TEXT = 40
"""Characters a long text claim is cut to before claims are left out."""


def algorithm(key_source: KeySource) -> tuple[int, int]:
    """(COSE algorithm, signature length) of the key: ES256 for P-256, RS256 for RSA (what tokens and
    remote signing services make for CMS, PKCS#1 v1.5, so any agency key can sign codes)."""
    public = key_source.identity().certificate.public_key
    if public.algorithm == "ec" and public.curve[1] == "secp256r1":
        return ES256, 64
    if public.algorithm == "rsa":
        return RS256, (public.bit_size + 7) // 8
    raise KeySourceError(f"An offline code cannot be signed with a {public.algorithm} key; use P-256 or RSA.")


def fitted(claims: ResultClaims, protected: bytes, signature_length: int) -> bytes:
    """The CWT payload of `claims`, shortened until its code fits a version-15 QR code."""
    stand_in = hashlib.shake_256(protected).digest(signature_length)  # incompressible, as a signature is
    for candidate in _candidates(claims):
        payload = cbor2.dumps(candidate.to_cbor())
        if wrapped_length(sign1(protected, payload, stand_in)) <= MAX_CHARS:
            return payload
    raise OfflineCodeError("too_large", f"Result {claims.result_id}: even its identifying claims do not fit a QR code.")


def _candidates(claims: ResultClaims) -> Iterator[ResultClaims]:
    """`claims`, then ever shorter versions of them, made only as far as they are tried."""
    yield claims
    current = claims.shortened(SHORT_TEXT)
    yield current
    for name in OPTIONAL:
        current = current.without(name)
        yield current


def issue_codes(key_source: KeySource, claims: Sequence[ResultClaims]) -> list[str]:
    """The offline codes of `claims`, in order, signed with one authorisation of `key_source`."""
    if not claims:
        return []
    alg, length = algorithm(key_source)
    certificate = key_source.identity().certificate
    protected = protected_header(alg, key_id(certificate.dump()))
    payloads = [fitted(c, protected, length) for c in claims]
    digests = [hashlib.sha256(sig_structure(protected, p)).digest() for p in payloads]
    with key_source.authorize(digests, "sha256") as authorization:
        values = key_source.sign_digests(authorization, digests, "sha256")
    check = signature_check(certificate)
    if len(values) != len(digests) or not all(check(v, d) for v, d in zip(values, digests)):
        raise KeySourceError("The agency's key source returned a signature that does not verify.", code="bad_signature_value")
    if alg == ES256:
        values = [b"".join(n.to_bytes(32, "big") for n in decode_dss_signature(v)) for v in values]
    return [wrap(sign1(protected, p, v)) for p, v in zip(payloads, values)]
