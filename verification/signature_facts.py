"""Facts read from one signature: its /ByteRange and signed bytes, its CMS attributes, its
certificates. Plain readers with no verdict; both the structured and the damaged-file
verification use them.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from asn1crypto import cms, core, tsp, x509
from asn1crypto import parser as asn1_parser
from cryptography.x509 import load_der_x509_certificate
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.sign.validation.status import SignatureCoverageLevel

from verification.report import CertificateInfo

STANDARD_COVERAGE = (SignatureCoverageLevel.ENTIRE_FILE, SignatureCoverageLevel.ENTIRE_REVISION)
"""Coverage of a /ByteRange that signs a whole revision, as PAdES requires."""


def read_byte_range(emb) -> tuple[int, ...]:
    try:
        return tuple(int(v) for v in emb.byte_range)
    except (TypeError, ValueError):
        return ()


def signed_revision_sha256(data: bytes, byte_range: tuple[int, ...]) -> str | None:
    """SHA-256 of the bytes the /ByteRange covers, if it is a sane one."""
    if len(byte_range) != 4 or byte_range[0] != 0:
        return None
    _, len1, start2, len2 = byte_range
    if min(byte_range) < 0 or start2 < len1 or start2 + len2 > len(data):
        return None
    digest = hashlib.sha256(data[:len1])
    digest.update(data[start2 : start2 + len2])
    return digest.hexdigest()


def signed_attributes_are_der(signer_info: cms.SignerInfo) -> bool:
    """RFC 5652 5.4: signed attributes are signed in their DER encoding, where a SET OF is
    sorted by the encodings of its elements. Signers that sign another order produce a
    signature that does not verify over the DER form (DSS reports those as failures,
    pyHanko tolerates some), so check the order as written, without parsing the values."""
    attrs = signer_info["signed_attrs"]
    if isinstance(attrs, core.Void):
        return True
    contents, encodings = attrs.contents, []
    while contents:
        _, _, _, header, body, trailer = asn1_parser.parse(contents, strict=False)
        size = len(header) + len(body) + len(trailer)
        encodings.append(contents[:size])
        contents = contents[size:]
    return encodings == sorted(encodings)


def signer_certificate_readable(emb: EmbeddedPdfSignature) -> bool:
    """A signer certificate that is present must be valid DER (the ``cryptography`` parser
    is strict where asn1crypto is lenient); otherwise the field holds no usable signature."""
    try:
        cert = emb.signer_cert
    except Exception:
        return True  # missing certificate: reported as NO_SIGNING_CERTIFICATE_FOUND
    try:
        load_der_x509_certificate(cert.dump()).public_key()
        return True
    except Exception:
        return False


def certificate_info(cert: x509.Certificate) -> CertificateInfo:
    subject = cert.subject.native
    return CertificateInfo(
        subject=cert.subject.human_friendly,
        common_name=_first(subject.get("common_name")),
        organization=_first(subject.get("organization_name")),
        serial_number=format(cert.serial_number, "x"),
        issuer=cert.issuer.human_friendly,
        not_before=cert.not_valid_before,
        not_after=cert.not_valid_after,
        sha256=cert.sha256.hex(),
    )


def _first(value):
    if isinstance(value, list):
        return value[0] if value else None
    return value


def dictionary_text(sig_object, key: str) -> str | None:
    """``key`` of a signature dictionary as a plain string (None when absent or unreadable)."""
    try:
        value = sig_object.get(key)
    except Exception:
        return None
    return str(value) if value is not None else None


def signature_timestamp_token(signer_info: cms.SignerInfo) -> cms.ContentInfo | None:
    unsigned = signer_info["unsigned_attrs"]
    if isinstance(unsigned, core.Void):
        return None
    for attr in unsigned:
        if attr["type"].native == "signature_time_stamp_token":
            return attr["values"][0]
    return None


def token_gen_time(token: cms.ContentInfo | None) -> datetime | None:
    try:
        return gen_time(token["content"])
    except Exception:
        return None


def gen_time(signed_data: cms.SignedData) -> datetime | None:
    """The time a timestamp token says it was made (None when it is no readable token)."""
    try:
        tst_info = signed_data["encap_content_info"]["content"].parsed
        return tst_info["gen_time"].native if isinstance(tst_info, tsp.TSTInfo) else None
    except Exception:
        return None


def authority_name(cert: x509.Certificate | None) -> str | None:
    if cert is None:
        return None
    return _first(cert.subject.native.get("common_name")) or cert.subject.human_friendly
