"""CMS signed attributes and SignedData for many documents signed by one key, encoded
once per batch.

Written by hand around pyHanko's own output: building these with asn1crypto per document
re-serialises the same certificates and attributes every time, which is about three
quarters of pyHanko's per-signature cost. Everything except the message digest, the
signature value and the timestamp token is identical across a batch, so
:class:`CmsTemplate` asks pyHanko for one reference CMS, keeps its DER pieces, and
splices the per-document values in. Tests check the result is byte-identical to
pyHanko's for the same inputs.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from asn1crypto import algos, x509
from pyhanko.sign import signers
from pyhanko_certvalidator.registry import SimpleCertificateStore

_OID_DATA_MESSAGE_DIGEST = bytes.fromhex("06092a864886f70d010904")  # id-messageDigest
_OID_SIGNED_DATA = bytes.fromhex("06092a864886f70d010702")
_OID_TIMESTAMP_TOKEN = bytes.fromhex("060b2a864886f70d010910020e")  # id-aa-timeStampToken


def _length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def tlv(tag: int, content: bytes) -> bytes:
    """DER tag-length-value with a one-byte tag."""
    return bytes([tag]) + _length(len(content)) + content


@dataclass(frozen=True)
class CmsTemplate:
    """The DER pieces of a PAdES CMS that do not change from document to document."""

    content_type_attr: bytes
    """Attribute content-type = id-data."""
    signing_certificate_attr: bytes
    """Attribute signing-certificate-v2 naming the signer's certificate."""
    signed_data_head: bytes
    """version, digestAlgorithms, encapContentInfo, [0] certificates (concatenated DER)."""
    signer_info_head: bytes
    """SignerInfo version, sid and digestAlgorithm (concatenated DER)."""
    signature_algorithm: bytes
    """SignerInfo signatureAlgorithm DER."""

    @classmethod
    def build(cls, signer_cert: bytes, chain: tuple[bytes, ...], mechanism: str,
              digest_algorithm: str = "sha256") -> "CmsTemplate":
        """Ask pyHanko once for a reference CMS with this signer and keep its constant parts."""
        signer = signers.ExternalSigner(
            signing_cert=x509.Certificate.load(signer_cert),
            cert_registry=SimpleCertificateStore.from_certs([x509.Certificate.load(c) for c in chain]),
            signature_value=b"\0",
            signature_mechanism=algos.SignedDigestAlgorithm({"algorithm": mechanism}),
            embed_roots=True,
        )

        async def reference():
            attrs = await signer.signed_attrs(bytes(32), digest_algorithm, use_pades=True)
            return attrs, await signer.async_sign_prescribed_attributes(digest_algorithm, attrs)

        attrs, content_info = asyncio.run(reference())
        by_type = {a["type"].native: a.dump() for a in attrs}
        if set(by_type) != {"content_type", "message_digest", "signing_certificate_v2"}:
            raise AssertionError(f"unexpected pyHanko signed attributes {sorted(by_type)}")
        signed_data = content_info["content"]
        info = signed_data["signer_infos"][0]
        return cls(
            content_type_attr=by_type["content_type"],
            signing_certificate_attr=by_type["signing_certificate_v2"],
            signed_data_head=b"".join(signed_data[f].dump() for f in (
                "version", "digest_algorithms", "encap_content_info", "certificates")),
            signer_info_head=b"".join(info[f].dump() for f in ("version", "sid", "digest_algorithm")),
            signature_algorithm=info["signature_algorithm"].dump(),
        )

    def signed_attributes(self, document_digest: bytes) -> bytes:
        """DER ``SET OF Attribute`` over ``document_digest`` (what gets hashed and signed)."""
        digest_attr = tlv(0x30, _OID_DATA_MESSAGE_DIGEST + tlv(0x31, tlv(0x04, document_digest)))
        return tlv(0x31, self.content_type_attr + digest_attr + self.signing_certificate_attr)

    def content_info(self, signed_attributes: bytes, signature: bytes,
                     timestamp_token: bytes | None = None) -> bytes:
        """DER ContentInfo(SignedData) with the signature and optional timestamp token."""
        signer_info = (self.signer_info_head
                       + b"\xa0" + signed_attributes[1:]  # [0] IMPLICIT SET OF Attribute
                       + self.signature_algorithm + tlv(0x04, signature))
        if timestamp_token is not None:
            attr = tlv(0x30, _OID_TIMESTAMP_TOKEN + tlv(0x31, timestamp_token))
            signer_info += tlv(0xA1, attr)  # [1] IMPLICIT unsignedAttrs
        signed_data = tlv(0x30, self.signed_data_head + tlv(0x31, tlv(0x30, signer_info)))
        return tlv(0x30, _OID_SIGNED_DATA + tlv(0xA0, signed_data))

