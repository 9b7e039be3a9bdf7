"""Agency keys for the offline code's own tests: a self-signed certificate per key, in a PKCS#12
key source (the real one the service uses for files)."""
from __future__ import annotations

import datetime as dt

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, pkcs12
from cryptography.x509.oid import NameOID

from adapters.keys.pkcs12 import Pkcs12KeySource


def agency_key(name: str, kind: str = "ec") -> Pkcs12KeySource:
    key = ec.generate_private_key(ec.SECP256R1()) if kind == "ec" else rsa.generate_private_key(65537, 2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name), x509.NameAttribute(NameOID.ORGANIZATION_NAME, name)])
    now = dt.datetime.now(dt.timezone.utc)
    certificate = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
                   .not_valid_after(now + dt.timedelta(days=365)).sign(key, hashes.SHA256()))
    data = pkcs12.serialize_key_and_certificates(b"agency", key, certificate, None, BestAvailableEncryption(b"pw"))
    return Pkcs12KeySource.from_bytes(data, b"pw")


def recoded(code: str, change) -> str:
    """The same COSE_Sign1 with its protected header and claims changed by `change` (signature kept)."""
    import base45
    import cbor2
    import zlib

    from offline_qr.envelope import sign1, wrap

    protected, _, payload, signature = cbor2.loads(zlib.decompress(base45.b45decode(code[4:]))).value
    protected, claims = change(cbor2.loads(protected), cbor2.loads(payload))
    return wrap(sign1(cbor2.dumps(protected), cbor2.dumps(claims), signature))
