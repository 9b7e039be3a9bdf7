"""Key source over a PKCS#12 file (development PKI, small deployments).

The key is parsed once at construction; pyHanko's ``SimpleSigner.load_pkcs12`` path
re-validates the RSA key on every signature (~40 ms), which dominates batch signing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from asn1crypto import algos, x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils
from cryptography.hazmat.primitives.serialization import pkcs12

from signing.errors import KeySourceError
from signing.keys import Authorization, KeySource, SignerIdentity, default_mechanism, order_chain

_HASHES = {"sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512}


class _NoAuthorization(Authorization):
    """A file key needs no per-batch approval beyond having the passphrase."""


class Pkcs12KeySource(KeySource):
    """Signs with a private key loaded from a PKCS#12 file."""

    def __init__(self, private_key, identity: SignerIdentity):
        self._key = private_key
        self._identity = identity

    @classmethod
    def from_bytes(cls, data: bytes, passphrase: bytes | None) -> "Pkcs12KeySource":
        try:
            key, cert, extra = pkcs12.load_key_and_certificates(data, passphrase)
        except ValueError as e:
            raise KeySourceError(
                "Cannot open the PKCS#12 file: wrong passphrase or not a PKCS#12 file.",
                code="pkcs12_unreadable",
            ) from e
        if key is None or cert is None:
            raise KeySourceError("The PKCS#12 file holds no key with a certificate.",
                                 code="pkcs12_no_key")
        if not isinstance(key, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey)):
            raise KeySourceError("Only RSA and ECDSA keys are supported.", code="unsupported_key")

        def asn1(c) -> x509.Certificate:
            return x509.Certificate.load(c.public_bytes(serialization.Encoding.DER))

        leaf = asn1(cert)
        chain = order_chain(leaf, [asn1(c) for c in extra or ()])
        return cls(key, SignerIdentity(certificate=leaf, chain=chain))

    @classmethod
    def from_file(cls, path: "str | Path", passphrase: bytes | None) -> "Pkcs12KeySource":
        try:
            data = Path(path).read_bytes()
        except OSError as e:
            raise KeySourceError(f"Cannot read PKCS#12 file {path}: {e.strerror}.",
                                 code="pkcs12_unreadable") from e
        return cls.from_bytes(data, passphrase)

    def identity(self) -> SignerIdentity:
        return self._identity

    def signature_mechanism(self, digest_algorithm: str) -> algos.SignedDigestAlgorithm:
        return default_mechanism(self._identity.certificate, digest_algorithm)

    def authorize(self, digests: Sequence[bytes], digest_algorithm: str) -> Authorization:
        return _NoAuthorization()

    def sign_digests(self, authorization, digests, digest_algorithm) -> list[bytes]:
        prehashed = utils.Prehashed(_HASHES[digest_algorithm]())
        if isinstance(self._key, rsa.RSAPrivateKey):
            return [self._key.sign(d, padding.PKCS1v15(), prehashed) for d in digests]
        return [self._key.sign(d, ec.ECDSA(prehashed)) for d in digests]
