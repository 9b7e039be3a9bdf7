"""Trust anchors matched by key as well as by name.

pyHanko's trust manager offers every trust root whose subject name equals a certificate's
issuer name (and whose key identifier does not contradict the certificate's authority key
identifier, when both are present). A look-alike CA certificate under the same name as a
trusted root, signed with a key of another algorithm and without an authority key
identifier, then reaches the validator's signature check with a key it cannot use, which
fails with an internal assertion instead of "no chain". Offering only roots whose key
algorithm can have made the certificate's signature turns that into the answer it is:
no certificate chain to a trusted root.
"""

from __future__ import annotations

from typing import Iterator

from asn1crypto import x509
from pyhanko_certvalidator.authority import TrustAnchor
from pyhanko_certvalidator.registry import SimpleTrustManager

_KEY_ALGORITHMS = {
    "rsassa_pkcs1v15": ("rsa", "rsassa_pss"),
    "rsassa_pss": ("rsa", "rsassa_pss"),
    "ecdsa": ("ec",),
    "dsa": ("dsa",),
    "ed25519": ("ed25519",),
    "ed448": ("ed448",),
}
"""Signature algorithm of a certificate → key algorithms that can have produced it."""


def key_can_sign(public_key, cert: x509.Certificate) -> bool:
    """Whether a key of ``public_key``'s algorithm can have made ``cert``'s signature."""
    try:
        signature_algorithm = cert["signature_algorithm"].signature_algo
        return public_key.algorithm in _KEY_ALGORITHMS.get(signature_algorithm, (public_key.algorithm,))
    except (KeyError, ValueError):
        return False


class KeyMatchingTrustManager(SimpleTrustManager):
    """pyHanko's trust manager, offering as issuers of a certificate only the roots named as
    its issuer whose key algorithm matches its signature. A subclass, not a wrapper: the
    validation context adds a SimpleTrustManager's roots to its certificate registry."""

    @classmethod
    def of(cls, roots: list[x509.Certificate]) -> "KeyMatchingTrustManager":
        manager = cls()
        for root in roots:  # as SimpleTrustManager.build does (it always builds its own class)
            manager._register_root(root)
        return manager

    def find_potential_issuers(self, cert: x509.Certificate) -> Iterator[TrustAnchor]:
        for anchor in super().find_potential_issuers(cert):
            if key_can_sign(anchor.authority.public_key, cert):
                yield anchor
