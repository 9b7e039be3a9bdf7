"""The verifier's identity towards wallets: an EC P-256 key and its X.509 chain, whose leaf names the
service's host as a dNSName, so that request objects can use the `x509_san_dns` client identifier
prefix (OpenID4VP §5.9.3, HAIP). In production both come from files (VERIFIER_KEY_FILE,
VERIFIER_CERTIFICATE_FILE); in development the certificate is issued by the development PKI's
agency-level CA, for whatever host PUBLIC_BASE_URL names, and re-issued when that host changes."""
from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

SIGNING_ALG = "ES256"
X509_SAN_DNS = "x509_san_dns"
X509_HASH = "x509_hash"
"""The prefix HAIP requires: the client identifier is the SHA-256 of the leaf certificate."""


class VerifierIdentityUnavailable(RuntimeError):
    """No usable key and certificate: the wallet verifier cannot make requests."""


@dataclass(frozen=True)
class VerifierIdentity:
    """The key that signs request objects and the chain wallets check it with."""

    private_pem: bytes
    chain: tuple[x509.Certificate, ...]
    """Leaf first; the root is left out (wallets hold it as a trust anchor)."""
    dns_name: str
    """The leaf's dNSName: the host of PUBLIC_BASE_URL, the client identifier under `x509_san_dns`."""
    prefix: str = X509_SAN_DNS

    @property
    def client_id(self) -> str:
        if self.prefix == X509_HASH:
            digest = hashlib.sha256(self.chain[0].public_bytes(serialization.Encoding.DER)).digest()
            return f"{X509_HASH}:{base64.urlsafe_b64encode(digest).rstrip(b'=').decode('ascii')}"
        return f"{X509_SAN_DNS}:{self.dns_name}"

    @property
    def x5c(self) -> list[str]:
        """The chain as the `x5c` header carries it: standard base64 of each DER certificate."""
        return [base64.b64encode(c.public_bytes(serialization.Encoding.DER)).decode("ascii") for c in self.chain]


def host_of(public_base_url: str) -> str:
    host = urlparse(public_base_url).hostname
    if not host:
        raise VerifierIdentityUnavailable(f"PUBLIC_BASE_URL {public_base_url!r} names no host.")
    return host


def _dns_names(certificate: x509.Certificate) -> list[str]:
    try:
        names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    return names.get_values_for_type(x509.DNSName)


def load_identity(key_file: Path, certificate_file: Path, host: str) -> VerifierIdentity:
    """The identity in two PEM files; refuses a key of another kind, a chain whose leaf is not that
    key's, or a leaf that does not name `host`."""
    try:
        pem = key_file.read_bytes()
        key = serialization.load_pem_private_key(pem, password=None)
        chain = tuple(x509.load_pem_x509_certificates(certificate_file.read_bytes()))
    except (OSError, ValueError, TypeError) as exc:
        raise VerifierIdentityUnavailable(f"{key_file} / {certificate_file}: not a readable PEM key and chain "
                                          f"({type(exc).__name__}).") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise VerifierIdentityUnavailable(f"{key_file} must hold an EC P-256 private key for {SIGNING_ALG}.")
    if chain[0].public_key().public_numbers() != key.public_key().public_numbers():
        raise VerifierIdentityUnavailable(f"The first certificate of {certificate_file} is not the key's.")
    if host not in _dns_names(chain[0]):
        raise VerifierIdentityUnavailable(f"The certificate of {certificate_file} does not name {host} as a dNSName.")
    return VerifierIdentity(pem, chain, host)


def _write_private(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    os.replace(tmp, path)


def issue_development_identity(pki_dir: Path, folder: Path, host: str) -> tuple[Path, Path]:
    """Key and chain files under `folder`, the certificate issued by the development PKI's CA for
    `host`; kept while they still name `host`. Returns (key file, certificate file)."""
    key_file, certificate_file = folder / "verifier-key.pem", folder / "verifier-chain.pem"
    try:
        load_identity(key_file, certificate_file, host)
        return key_file, certificate_file
    except VerifierIdentityUnavailable:
        pass  # absent, or issued for another host: issue anew
    try:
        ca_key = serialization.load_pem_private_key((pki_dir / "keys" / "ca.key.pem").read_bytes(), password=None)
        ca_certificate = x509.load_pem_x509_certificate((pki_dir / "certs" / "ca.pem").read_bytes())
    except (OSError, ValueError) as exc:
        raise VerifierIdentityUnavailable(f"No development PKI in {pki_dir} to issue the verifier certificate "
                                          f"({type(exc).__name__}); run `wallet-service init`.") from None
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{host} (DEV verifier)")]))
        .issuer_name(ca_certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    _write_private(key_file, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
    chain = certificate.public_bytes(serialization.Encoding.PEM) + ca_certificate.public_bytes(serialization.Encoding.PEM)
    certificate_file.write_bytes(chain)
    return key_file, certificate_file


@dataclass(frozen=True)
class IdentitySource:
    """Where the identity comes from; read per use (a P-256 key and two certificates parse in well
    under a millisecond), so replaced files take effect without a restart."""

    host: str
    key_file: Path | None
    certificate_file: Path | None
    """Both set (production), or both None: issued from the development PKI under `folder`."""
    pki_dir: Path
    folder: Path
    may_issue: bool
    """Development only: production never issues itself a certificate."""
    prefix: str = X509_SAN_DNS
    """The client identifier prefix: `x509_san_dns` or `x509_hash`."""

    def load(self) -> VerifierIdentity:
        if self.key_file is not None and self.certificate_file is not None:
            identity = load_identity(self.key_file, self.certificate_file, self.host)
        elif not self.may_issue:
            raise VerifierIdentityUnavailable("VERIFIER_KEY_FILE and VERIFIER_CERTIFICATE_FILE are not set.")
        else:
            identity = load_identity(*issue_development_identity(self.pki_dir, self.folder, self.host), self.host)
        return dataclasses.replace(identity, prefix=self.prefix)
