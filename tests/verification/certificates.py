"""Signer certificates whose status is the point of a test: expired, not yet valid, revoked,
without revocation pointers, or issued under a look-alike root (same subject names as the
trusted PKI's root and CA, other keys). Issued with ``cryptography`` by the trusted PKI's
own CA key (or a look-alike chain), then used for real pyHanko signatures with the PKI's
live TSA, so only the certificate differs from a genuine result.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
import urllib.request
from io import BytesIO

from asn1crypto import crl as asn1_crl
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers, timestamps
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko_certvalidator.registry import SimpleCertificateStore

from adapters.devpki import DevPki

DOCUMENT_SIGNING = x509.ObjectIdentifier("1.3.6.1.5.5.7.3.36")


@dataclass(frozen=True)
class Authority:
    """A CA certificate and its key."""

    cert: x509.Certificate
    key: object


@dataclass(frozen=True)
class Identity:
    """A signer certificate, its key and the chain a signature carries with it."""

    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey
    chain: tuple[x509.Certificate, ...]


def now() -> datetime:
    return datetime.now(timezone.utc)


def trusted_ca(pki: DevPki) -> Authority:
    """The trusted PKI's agency-level CA (what issues the officials' certificates)."""
    cert = x509.load_pem_x509_certificate(pki.ca_cert_path.read_bytes())
    key = serialization.load_pem_private_key((pki.directory / "keys" / "ca.key.pem").read_bytes(), None)
    return Authority(cert, key)


def look_alike_ca(pki: DevPki) -> tuple[Authority, x509.Certificate]:
    """A root and a CA named exactly as the trusted PKI's, with keys of their own; the CA and
    the look-alike root certificate."""
    genuine_root = x509.load_pem_x509_certificate(pki.root_cert_path.read_bytes())
    genuine_ca = x509.load_pem_x509_certificate(pki.ca_cert_path.read_bytes())
    root_key, ca_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    root = _ca_cert(genuine_root.subject, genuine_root.subject, root_key.public_key(), root_key)
    ca = _ca_cert(genuine_ca.subject, genuine_root.subject, ca_key.public_key(), root_key)
    return Authority(ca, ca_key), root


def _ca_cert(subject: x509.Name, issuer: x509.Name, public_key, signing_key) -> x509.Certificate:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now() - timedelta(days=1))
        .not_valid_after(now() + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True
        )
        .sign(signing_key, hashes.SHA256())
    )


def issue(
    issuer: Authority,
    name: str,
    not_before: datetime,
    not_after: datetime,
    crl_url: str | None = None,
    chain: tuple[x509.Certificate, ...] = (),
) -> Identity:
    """A signing certificate for ``name`` valid from ``not_before`` to ``not_after``;
    ``crl_url``: a CRL distribution point (else the certificate names no revocation source)."""
    key = ec.generate_private_key(ec.SECP256R1())
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"), x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(issuer.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(
            x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION, DOCUMENT_SIGNING]), critical=False)
    )
    if crl_url:
        point = x509.DistributionPoint([x509.UniformResourceIdentifier(crl_url)], None, None, None)
        builder = builder.add_extension(x509.CRLDistributionPoints([point]), critical=False)
    return Identity(builder.sign(issuer.key, hashes.SHA256()), key, (issuer.cert, *chain))


def revocation_list(issuer: Authority, revoked: Identity, at: datetime) -> bytes:
    """A CRL of ``issuer`` (DER) that lists ``revoked`` as revoked since ``at``."""
    entry = x509.RevokedCertificateBuilder().serial_number(revoked.cert.serial_number).revocation_date(at).build()
    return (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer.cert.subject)
        .last_update(now() - timedelta(minutes=5))
        .next_update(now() + timedelta(days=7))
        .add_revoked_certificate(entry)
        .sign(issuer.key, hashes.SHA256())
        .public_bytes(serialization.Encoding.DER)
    )


def _asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def sign(pdf: bytes, identity: Identity, tsa_url: str | None, field_name: str = "ChuKyCanBo") -> bytes:
    """A PAdES signature by ``identity``, with a signature timestamp from ``tsa_url`` (when
    given), and no validation data: the tests add what they need."""
    key_der = identity.key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    signer = signers.SimpleSigner(
        signing_cert=_asn1(identity.cert),
        signing_key=asn1_keys.PrivateKeyInfo.load(key_der),
        cert_registry=SimpleCertificateStore.from_certs([_asn1(c) for c in identity.chain]),
    )
    meta = signers.PdfSignatureMetadata(
        field_name=field_name, md_algorithm="sha256", subfilter=fields.SigSeedSubFilter.PADES
    )
    timestamper = timestamps.HTTPTimeStamper(tsa_url) if tsa_url else None
    out = signers.PdfSigner(meta, signer, timestamper=timestamper).sign_pdf(
        IncrementalPdfFileWriter(BytesIO(pdf), strict=False)
    )
    return out.getvalue()


def issuer_crls(pki: DevPki) -> tuple[bytes, ...]:
    """The root's current CRL from the PKI's live repository: revocation data for the CA
    itself, which every chain under the trusted root needs."""
    ca = x509.load_pem_x509_certificate(pki.ca_cert_path.read_bytes())
    points = ca.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    with urllib.request.urlopen(points[0].full_name[0].value, timeout=10) as answer:
        return (answer.read(),)


def with_validation_data(signed: bytes, tsa_url: str, crls: tuple[bytes, ...] = ()) -> bytes:
    """A DSS revision with ``crls`` for the document's signature, then a document timestamp
    (the shape of the service's results: B-LTA)."""
    out = BytesIO(signed)
    contents = PdfFileReader(BytesIO(signed)).embedded_signatures[0].pkcs7_content
    DocumentSecurityStore.add_dss(out, contents, crls=[asn1_crl.CertificateList.load(der) for der in crls])
    stamped = signers.PdfTimeStamper(timestamps.HTTPTimeStamper(tsa_url)).timestamp_pdf(
        IncrementalPdfFileWriter(BytesIO(out.getvalue()), strict=False), "sha256"
    )
    return stamped.getvalue()
