"""What the verifier trusts and how much work it accepts per document."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from asn1crypto import pem, x509

CERTIFICATE_SUFFIXES = (".pem", ".crt", ".cer", ".der")


class TrustRootError(ValueError):
    """A file in the trust-root folder is not a certificate (``code`` + message)."""

    code = "bad_trust_root"


@dataclass(frozen=True)
class VerificationPolicy:
    """Validation policy: trust anchors and limits. Picklable; safe to share."""

    trust_roots: tuple[bytes, ...] = ()
    """DER-encoded trust anchors (e.g. the national root CA and the government CA)."""
    max_document_bytes: int = 30 * 1024 * 1024
    """Larger uploads are refused with ``document_too_large``."""
    time_budget_seconds: float = 15.0
    """A document whose verification takes longer is stopped (``verification_timeout``)."""
    allow_fetching: bool = False
    """Fetch missing OCSP/CRL data over the network. Off: only data embedded in the PDF counts,
    so results are reproducible and the verifier makes no outbound calls."""
    trust_root_names: tuple[str, ...] = field(default=(), compare=False)
    """Where each root came from (file names), for logs and the operator."""

    @property
    def trust_root_set_id(self) -> str:
        """Stable identifier of the set of trust roots (caches are kept per set)."""
        digest = hashlib.sha256()
        for der in sorted(self.trust_roots):
            digest.update(hashlib.sha256(der).digest())
        return digest.hexdigest()

    def certificates(self) -> list[x509.Certificate]:
        return [x509.Certificate.load(der) for der in self.trust_roots]

    @classmethod
    def from_certificates(cls, certificates, **limits) -> "VerificationPolicy":
        """Policy trusting ``certificates`` (asn1crypto objects, DER or PEM bytes)."""
        ders = []
        for cert in certificates:
            if isinstance(cert, x509.Certificate):
                ders.append(cert.dump())
            else:
                ders.extend(_ders_from_bytes(bytes(cert), "<bytes>"))
        return cls(trust_roots=tuple(ders), **limits)

    @classmethod
    def from_folder(cls, folder: Path | str, **limits) -> "VerificationPolicy":
        """Policy trusting every certificate file (PEM or DER; a PEM may hold several) in ``folder``."""
        folder = Path(folder)
        ders: list[bytes] = []
        names: list[str] = []
        for path in sorted(folder.iterdir()):
            if path.suffix.lower() not in CERTIFICATE_SUFFIXES or not path.is_file():
                continue
            for der in _ders_from_bytes(path.read_bytes(), path.name):
                ders.append(der)
                names.append(path.name)
        return cls(trust_roots=tuple(ders), trust_root_names=tuple(names), **limits)


def _ders_from_bytes(data: bytes, name: str) -> list[bytes]:
    try:
        if pem.detect(data):
            ders = [der for kind, _, der in pem.unarmor(data, multiple=True) if kind == "CERTIFICATE"]
        else:
            ders = [data]
        for der in ders:
            x509.Certificate.load(der).native  # parse fully now, not at first use
        return ders
    except (ValueError, TypeError) as exc:
        raise TrustRootError(f"{name} is not a readable X.509 certificate: {exc}") from exc
