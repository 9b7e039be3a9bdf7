"""Key source over a PKCS#11 token (HSM, smart card; SoftHSM2 in tests), via python-pkcs11.

One batch = one login (one PIN entry) = one session; every digest is signed in that
session. PKCS#11 has no "sign these N hashes" call, so signing loops over the digests;
for RSA the mechanism is raw CKM_RSA_PKCS over a DER DigestInfo, because combined
mechanisms (CKM_SHA256_RSA_PKCS) would need the signed attributes, not their digest.
"""

from __future__ import annotations

from typing import Sequence

import pkcs11
from asn1crypto import algos, x509
from pkcs11 import Attribute, KeyType, Mechanism, ObjectClass

from signing.errors import KeySourceError
from signing.keys import (
    Authorization,
    KeySource,
    SignerIdentity,
    default_mechanism,
    digest_info,
    order_chain,
)


class _TokenSession(Authorization):
    def __init__(self, session):
        self.session = session

    def close(self) -> None:
        self.session.close()


class Pkcs11KeySource(KeySource):
    """A private key on a PKCS#11 token, found by token label and key label."""

    def __init__(self, module_path: str, token_label: str, key_label: str, pin: str,
                 chain: Sequence[x509.Certificate] = ()):
        """
        :param module_path: the PKCS#11 library (e.g. ``/usr/lib/softhsm/libsofthsm2.so``).
        :param pin: user PIN; used only when a batch is authorised.
        :param chain: issuer certificates if the token holds only the signer's.
        """
        try:
            self._lib = pkcs11.lib(module_path)
            self._token = self._lib.get_token(token_label=token_label)
        except (pkcs11.exceptions.PKCS11Error, RuntimeError, OSError) as e:
            raise KeySourceError(f"PKCS#11 token {token_label!r} not available: {e!r}",
                                 code="token_unavailable") from e
        self._key_label = key_label
        self._pin = pin
        self._identity = self._read_identity(chain)

    def _read_identity(self, chain: Sequence[x509.Certificate]) -> SignerIdentity:

        # certificates are public objects: readable without logging in
        with self._token.open() as session:
            certs = [x509.Certificate.load(bytes(o[Attribute.VALUE]))
                     for o in session.get_objects({Attribute.CLASS: ObjectClass.CERTIFICATE})]
            labelled = [x509.Certificate.load(bytes(o[Attribute.VALUE]))
                        for o in session.get_objects({Attribute.CLASS: ObjectClass.CERTIFICATE,
                                                      Attribute.LABEL: self._key_label})]
        if not labelled:
            raise KeySourceError(f"No certificate labelled {self._key_label!r} on the token.",
                                 code="certificate_not_found")
        leaf = labelled[0]
        return SignerIdentity(leaf, order_chain(leaf, certs + list(chain)))

    def identity(self) -> SignerIdentity:
        return self._identity

    def signature_mechanism(self, digest_algorithm: str) -> algos.SignedDigestAlgorithm:
        return default_mechanism(self._identity.certificate, digest_algorithm)

    def authorize(self, digests, digest_algorithm) -> Authorization:
        try:
            return _TokenSession(self._token.open(user_pin=self._pin))
        except pkcs11.exceptions.PinIncorrect as e:
            raise KeySourceError("The token PIN is incorrect.", code="pin_incorrect") from e
        except pkcs11.exceptions.PinLocked as e:
            raise KeySourceError("The token PIN is locked.", code="pin_locked") from e
        except pkcs11.exceptions.PKCS11Error as e:
            raise KeySourceError(f"Cannot log in to the token: {e!r}", code="token_login_failed") from e

    def check_credentials(self) -> None:
        self.authorize((), "sha256").close()  # one login and logout

    def sign_digests(self, authorization, digests, digest_algorithm) -> list[bytes]:

        session = authorization.session
        rsa = self._identity.certificate.public_key.algorithm == "rsa"
        try:
            key = session.get_key(object_class=ObjectClass.PRIVATE_KEY,
                                  key_type=KeyType.RSA if rsa else KeyType.EC,
                                  label=self._key_label)
            if rsa:
                return [key.sign(digest_info(d, digest_algorithm), mechanism=Mechanism.RSA_PKCS)
                        for d in digests]
            return [_ecdsa_der(key.sign(d, mechanism=Mechanism.ECDSA)) for d in digests]
        except pkcs11.exceptions.NoSuchKey as e:
            raise KeySourceError(f"No private key labelled {self._key_label!r} on the token.",
                                 code="key_not_found") from e
        except pkcs11.exceptions.PKCS11Error as e:
            raise KeySourceError(f"The token refused to sign: {e!r}", code="token_sign_failed") from e


def _ecdsa_der(raw: bytes) -> bytes:
    """PKCS#11 returns r||s; CMS wants DER ECDSA-Sig-Value."""
    half = len(raw) // 2
    return algos.DSASignature({
        "r": int.from_bytes(raw[:half], "big"), "s": int.from_bytes(raw[half:], "big"),
    }).dump()


