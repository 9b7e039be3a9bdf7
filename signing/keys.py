"""The key-source interface the signing engine needs; implementations live in
``adapters.keys`` (PKCS#12 file, PKCS#11 token, CSC v2 remote signing).

A batch computes every document's to-be-signed digest first, then asks the key source for
*one* authorisation covering all of them (one PIN entry, one CSC SAD), then signs the
digests in bulk. Hence the two-step ``authorize`` / ``sign_digests`` shape.
"""

from __future__ import annotations

import abc
import datetime as dt
import enum
from dataclasses import dataclass, field
from typing import Sequence

from asn1crypto import algos, x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils


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


class HolderApproval(enum.StrEnum):
    """How a key's holder approves each batch themselves, when the key is a person's."""

    CODES = "csc"
    """They give their PIN and a one-time code, passed to ``authorize`` (CSC v2 at SCAL2)."""
    AGENT = "agent"
    """They sign the digests on their own token (a local agent) and the values are handed in."""


class Authorization(abc.ABC):
    """Proof that the key holder approved signing a given set of digests (PIN session,
    CSC SAD...). Use as a context manager; closing releases the session."""

    expires_at: dt.datetime | None = None
    """When the proof stops being accepted (a CSC SAD's ``expiresIn``); None when it does not expire.
    A caller signing past it must ask the holder again."""

    def close(self) -> None:  # pragma: no cover - default no-op
        """Release the session (log out, forget the SAD)."""

    def handover(self) -> str:
        """A text another process can turn back into this authorisation (``KeySource.take_over``);
        short-lived by nature (a CSC SAD), never the holder's PIN or code."""
        from .errors import KeySourceError

        raise KeySourceError("This authorisation cannot be handed over.", code="no_handover")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class KeySource(abc.ABC):
    """A private key that signs precomputed digests, and the certificates that go with it."""

    holder_approval: HolderApproval | None = None
    """How the holder approves each batch; None when the key source needs no one at signing time
    (an organisation's seal, or a key whose secret the service holds)."""

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

    def take_over(self, handover: str) -> Authorization:
        """The authorisation another process obtained and handed over (``Authorization.handover``),
        so that a worker signs with the holder's approval without ever seeing their secrets."""
        from .errors import KeySourceError

        raise KeySourceError("This key source cannot take over an authorisation.", code="no_handover")

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


class ApprovedKey(KeySource):
    """A key source whose holder has approved this batch already: ``authorize`` returns the
    approval given (or says that a new one is needed) instead of asking anyone."""

    def __init__(self, source: KeySource, approval: Authorization | None):
        self.source, self.approval = source, approval

    def identity(self) -> SignerIdentity:
        return self.source.identity()

    def signature_mechanism(self, digest_algorithm: str) -> algos.SignedDigestAlgorithm:
        return self.source.signature_mechanism(digest_algorithm)

    def authorize(self, digests: Sequence[bytes], digest_algorithm: str) -> Authorization:
        from .errors import KeySourceError

        if self.approval is None:
            raise KeySourceError("The key holder has to approve these documents first.",
                                 code="authorisation_required")
        return _Borrowed(self.approval)

    def sign_digests(self, authorization, digests, digest_algorithm) -> list[bytes]:
        return self.source.sign_digests(authorization.inner, digests, digest_algorithm)


class _Borrowed(Authorization):
    """The approval lent to one signing call; closing it leaves the approval to its owner."""

    def __init__(self, inner: Authorization):
        self.inner, self.expires_at = inner, inner.expires_at


def signature_check(certificate: x509.Certificate):
    """``check(signature, sha256_digest) -> bool``: whether a signature value was made by the
    certificate's key, so that no value from a key source or an agent is embedded unchecked."""
    public = serialization.load_der_public_key(certificate.public_key.dump())
    prehashed = utils.Prehashed(hashes.SHA256())

    def verify(signature: bytes, digest: bytes) -> bool:
        try:
            if isinstance(public, rsa.RSAPublicKey):
                public.verify(signature, digest, padding.PKCS1v15(), prehashed)
            elif isinstance(public, ec.EllipticCurvePublicKey):
                public.verify(signature, digest, ec.ECDSA(prehashed))
            else:
                return False
        except Exception:  # noqa: BLE001 - InvalidSignature or malformed value
            return False
        return True

    return verify
