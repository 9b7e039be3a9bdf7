"""An official's key on their own USB token, reached only through the token-signing agent on
their PC (``wallet-service agent``): the service holds the certificate and nothing else. The
signature values come in with the holder's approval (the page relays them from the agent), so
this key source never signs by itself."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from asn1crypto import algos, pem, x509

from signing.errors import KeySourceError
from signing.keys import Authorization, HolderApproval, KeySource, SignerIdentity, default_mechanism, order_chain


class AgentKeySource(KeySource):
    """The certificate (and chain) of a key that signs on the holder's own token."""

    holder_approval = HolderApproval.AGENT

    def __init__(self, identity: SignerIdentity):
        self._identity = identity

    @classmethod
    def from_file(cls, path: "str | Path") -> "AgentKeySource":
        """A PEM (or DER) file: the holder's certificate first, then its issuers."""
        try:
            data = Path(path).read_bytes()
        except OSError as e:
            raise KeySourceError(f"Cannot read the certificate file {path}: {e.strerror}.",
                                 code="agent_certificate") from None
        try:
            ders = [der for _, _, der in pem.unarmor(data, multiple=True)] if pem.detect(data) else [data]
            certs = [x509.Certificate.load(der) for der in ders]
            certs[0].native  # parse now, not at the first batch
        except (ValueError, TypeError, IndexError):
            raise KeySourceError(f"{path} is not a PEM or DER certificate file.", code="agent_certificate") from None
        return cls(SignerIdentity(certs[0], order_chain(certs[0], certs[1:])))

    def identity(self) -> SignerIdentity:
        return self._identity

    def signature_mechanism(self, digest_algorithm: str) -> algos.SignedDigestAlgorithm:
        return default_mechanism(self._identity.certificate, digest_algorithm)

    def authorize(self, digests: Sequence[bytes], digest_algorithm: str) -> Authorization:
        raise KeySourceError("This key signs only on its holder's token, through their signing agent.",
                             code="authorisation_required")

    def sign_digests(self, authorization, digests, digest_algorithm) -> list[bytes]:
        raise KeySourceError("This key signs only on its holder's token, through their signing agent.",
                             code="authorisation_required")
