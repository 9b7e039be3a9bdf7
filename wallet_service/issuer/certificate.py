"""The issuer key's certificate chain, sent as `x5c` in SD-JWT VCs and Status List Tokens (HAIP:
the signer's certificate and its CAs, the trust anchor left out, never self-signed).

In production the chain is a PEM file (`CREDENTIAL_ISSUER_CERT_FILE`) from the agency's or the
national CA. In development the development PKI's agency-level CA issues it once, under
`instance/issuer/`; `cryptography` builds the certificate."""
from __future__ import annotations

import base64
import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID

CERT_VALIDITY = dt.timedelta(days=365)


class IssuerCertificateError(ValueError):
    """The configured chain does not fit the issuer key."""


@dataclass(frozen=True)
class DevelopmentCa:
    """The development PKI's agency-level CA (certificate and private key files)."""

    cert_path: Path
    key_path: Path

    def certifies(self, x5c: tuple[str, ...]) -> bool:
        """Whether `x5c` ends at this CA (a re-created development PKI has another one)."""
        ca_cert = x509.load_pem_x509_certificate(self.cert_path.read_bytes())
        return x5c[-1] == base64.b64encode(ca_cert.public_bytes(serialization.Encoding.DER)).decode("ascii")

    def issue(self, public_key, subject: str, out: Path) -> None:
        ca_cert = x509.load_pem_x509_certificate(self.cert_path.read_bytes())
        ca_key = serialization.load_pem_private_key(self.key_path.read_bytes(), password=None)
        now = dt.datetime.now(dt.timezone.utc)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject),
                                     x509.NameAttribute(NameOID.COUNTRY_NAME, "VN")]))
            .issuer_name(ca_cert.subject)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(min(now + CERT_VALIDITY, ca_cert.not_valid_after_utc))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        pem = certificate.public_bytes(serialization.Encoding.PEM) + ca_cert.public_bytes(serialization.Encoding.PEM)
        tmp = out.with_suffix(".tmp")
        tmp.write_bytes(pem)
        os.replace(tmp, out)


def x5c_of(chain_path: Path, public_key) -> tuple[str, ...]:
    """The chain as `x5c` (base64 DER, leaf first); the leaf must certify `public_key`."""
    chain = x509.load_pem_x509_certificates(chain_path.read_bytes())
    raw = serialization.PublicFormat.SubjectPublicKeyInfo
    if chain[0].public_key().public_bytes(serialization.Encoding.DER, raw) != public_key.public_bytes(serialization.Encoding.DER, raw):
        raise IssuerCertificateError(f"The first certificate of {chain_path} does not certify the issuer key.")
    if chain[-1].subject == chain[-1].issuer:
        chain = chain[:-1]  # the trust anchor is not sent (HAIP)
    if not chain:
        raise IssuerCertificateError(f"{chain_path} holds only a self-signed certificate.")
    return tuple(base64.b64encode(c.public_bytes(serialization.Encoding.DER)).decode("ascii") for c in chain)
