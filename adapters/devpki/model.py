"""What a development PKI is made of: the identities it issues certificates for, the handle
on an initialised PKI directory, and the error an operator can fix."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

PROVINCE = "Quảng Ninh"


class DevPkiError(Exception):
    """A development PKI problem the operator can fix; carries a code and a message."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class DevPkiIdentity:
    """One end entity to issue a certificate (and PKCS#12) for."""

    key: str
    """Identity key: an official's username (``official1``) or an agency code (``000.00.15.H40``)."""
    kind: str
    """``"official"`` (personal public-duty certificate) or ``"agency"`` (seal certificate)."""
    common_name: str
    """Subject CN, Vietnamese with diacritics."""
    organization: str
    """Subject O: the agency the holder belongs to (or the agency itself)."""
    key_type: str = "rsa2048"
    """``"rsa2048"`` or ``"ecdsa-p256"``."""


@dataclass(frozen=True)
class DevPki:
    """Handle on an initialised development PKI directory."""

    directory: Path
    """Where keys, certificates, PKCS#12 files and the manifest live."""
    services_base_url: str
    """Base URL the TSA/OCSP/CRL/cert endpoints are served under (embedded in certificates)."""
    root_cert_path: Path
    """PEM of the self-signed root CA (the trust anchor to configure in verifiers)."""
    ca_cert_path: Path
    """PEM of the agency-level CA that issues officials' and agencies' certificates."""
    tsa_url: str
    """RFC 3161 endpoint of the development TSA."""
    identity_keys: tuple[str, ...] = ()
    """Keys of the identities issued in this PKI, in issuance order."""

    def pkcs12_path(self, key: str) -> Path:
        """The identity's PKCS#12 file (private key, certificate, chain up to the root)."""
        return self._existing(self.directory / "p12" / f"{certomancer_label(key)}.p12", key)

    def pkcs12_passphrase(self) -> bytes:
        """Passphrase of every PKCS#12 file in this development PKI."""
        return (self.directory / "passphrase").read_bytes().strip()

    def certificate_path(self, key: str) -> Path:
        """The identity's certificate, PEM."""
        return self._existing(self.directory / "certs" / f"{certomancer_label(key)}.pem", key)

    def _existing(self, path: Path, key: str) -> Path:
        if key not in self.identity_keys or not path.exists():
            raise DevPkiError(
                "dev_pki_unknown_identity",
                f"The development PKI in {self.directory} has no identity {key!r} "
                f"(known: {', '.join(self.identity_keys) or 'none'}).",
            )
        return path


AGENCY1 = "Trung tâm Phục vụ hành chính công phường Hạ Long"
AGENCY2 = "Sở Xây dựng tỉnh Quảng Ninh"

DEMO_IDENTITIES: tuple[DevPkiIdentity, ...] = (
    DevPkiIdentity("official1", "official", "Nguyễn Văn An", AGENCY1),
    DevPkiIdentity("official2", "official", "Trần Thị Bình", AGENCY2),
    DevPkiIdentity("000.00.15.H40", "agency", AGENCY1, AGENCY1),
    DevPkiIdentity("000.00.04.H40", "agency", AGENCY2, AGENCY2),
)
"""The project's demo officials and agencies, for ``ensure_dev_pki``."""


def certomancer_label(key: str) -> str:
    """Certomancer label (also a URL path segment and file name) for an identity key."""
    return "ee-" + re.sub(r"[^A-Za-z0-9]+", "-", key).strip("-").lower()
