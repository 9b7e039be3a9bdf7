"""The key-source interface the signing engine needs; implementations live in
``adapters.keys`` (PKCS#12 file, PKCS#11 token, CSC v2 remote signing).

A batch computes every document's to-be-signed digest first, then asks the key source for
*one* authorisation covering all of them (one PIN entry, one CSC SAD), then signs the
digests in bulk. Hence the two-step ``authorize`` / ``sign_digests`` shape.
"""

from __future__ import annotations

import abc
import datetime as dt
from dataclasses import dataclass, field
from typing import Sequence

from asn1crypto import algos, x509


@dataclass(frozen=True)
class SignerIdentity:
    """The certificate material a key source signs with."""

    certificate: x509.Certificate
    """The signer's end-entity certificate."""
    chain: tuple[x509.Certificate, ...]
    """Issuer certificates (intermediate first, root last if known), without the signer's."""


@dataclass(frozen=True)
class HolderSecrets:
    """What the key holder types for one batch (their PIN and a one-time code), handed to the key
    source's ``authorize`` at that moment and never kept by it: a signature is the holder's only
    when they approve each batch themselves. ``repr`` shows neither value."""

    pin: str = field(repr=False)
    otp: str | None = field(default=None, repr=False)


class Authorization(abc.ABC):
    """Proof that the key holder approved signing a given set of digests (PIN session,
    CSC SAD...). Use as a context manager; closing releases the session."""

    expires_at: dt.datetime | None = None
    """When the proof stops being accepted (a CSC SAD's ``expiresIn``); None when it does not expire.
    A caller signing past it must ask the holder again."""

    def close(self) -> None:  # pragma: no cover - default no-op
        """Release the session (log out, forget the SAD)."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class KeySource(abc.ABC):
    """A private key that signs precomputed digests, and the certificates that go with it."""

    @abc.abstractmethod
    def identity(self) -> SignerIdentity:
        """Signer certificate and its chain."""

    @abc.abstractmethod
    def signature_mechanism(self, digest_algorithm: str) -> algos.SignedDigestAlgorithm:
        """The CMS signatureAlgorithm this key produces over ``digest_algorithm`` digests."""

    @abc.abstractmethod
    def authorize(self, digests: Sequence[bytes], digest_algorithm: str) -> Authorization:
        """Obtain one authorisation to sign exactly these digests (e.g. ask for the PIN once)."""

    @abc.abstractmethod
    def sign_digests(
        self, authorization: Authorization, digests: Sequence[bytes], digest_algorithm: str
    ) -> list[bytes]:
        """Sign each digest; returns CMS-ready signature values in the same order.

        RSA: PKCS#1 v1.5 signature bytes; ECDSA: DER ``ECDSA-Sig-Value``.
        ``digests`` must be a subset of those authorised.
        """

    def check_credentials(self) -> None:
        """Prove that the holder's secret (a token PIN) is accepted, without signing anything,
        so that a wrong one is found when the key is opened rather than mid-batch. Raises
        :class:`signing.errors.KeySourceError`; by default there is nothing to check."""

    def close(self) -> None:
        """Release resources held by the key source (library handles, HTTP sessions)."""


def default_mechanism(certificate: x509.Certificate, digest_algorithm: str) -> algos.SignedDigestAlgorithm:
    """PKCS#1 v1.5 for RSA keys, ECDSA for EC keys, over ``digest_algorithm``."""
    algo = certificate.public_key.algorithm
    if algo == "rsa":
        name = f"{digest_algorithm}_rsa"
    elif algo == "ec":
        name = f"{digest_algorithm}_ecdsa"
    else:
        from .errors import KeySourceError

        raise KeySourceError(f"Unsupported key algorithm {algo!r}; use RSA or ECDSA P-256.")
    return algos.SignedDigestAlgorithm({"algorithm": name})


def digest_info(digest: bytes, digest_algorithm: str) -> bytes:
    """DER DigestInfo, the input of a raw RSA PKCS#1 v1.5 signature over a digest."""
    return algos.DigestInfo(
        {"digest_algorithm": {"algorithm": digest_algorithm}, "digest": digest}
    ).dump()


def order_chain(leaf: x509.Certificate, others: Sequence[x509.Certificate]) -> tuple[x509.Certificate, ...]:
    """Issuer chain from ``leaf`` upwards, then any unrelated extras (tokens and PKCS#12
    bags list certificates in no particular order)."""
    by_subject = {c.subject.dump(): c for c in others if c.sha256 != leaf.sha256}
    chain, current = [], leaf
    while current.self_signed == "no" and current.issuer.dump() in by_subject:
        current = by_subject.pop(current.issuer.dump())
        chain.append(current)
    return tuple(chain) + tuple(by_subject.values())
