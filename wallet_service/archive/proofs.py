"""What a signed PDF's long-term proof rests on, read from the PDF itself: the newest document
timestamp (the one a validator years from now starts from), its TSA certificate's expiry and the
algorithms it uses."""
from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from io import BytesIO

from asn1crypto import cms
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.general import extract_certificate_info


@dataclass(frozen=True)
class ProofFacts:
    """The facts the renewal schedule needs about one document."""

    expires_at: dt.datetime | None
    """When the certificate the proof rests on expires (see `read_proof`); None: nothing is signed."""
    proof_time: dt.datetime | None
    """When the newest timestamp was made (the newest signature's claimed time without one)."""
    algorithms: tuple[str, ...]
    """Digest, signature and key algorithms of that proof, e.g. (`sha256`, `rsassa_pkcs1v15`, `rsa2048`)."""
    document_timestamps: int
    """How many document timestamps the PDF carries."""

    def algorithms_text(self) -> str:
        return "," + ",".join(self.algorithms) + "," if self.algorithms else ""


def _algorithms(signed_data: cms.SignedData, certificate) -> tuple[str, ...]:
    signer_info = signed_data["signer_infos"][0]
    key = certificate.public_key
    return (
        signer_info["digest_algorithm"]["algorithm"].native,
        signer_info["signature_algorithm"].signature_algo,
        f"{key.algorithm}{key.bit_size}",
    )


def _token_time(signed_data: cms.SignedData) -> dt.datetime:
    return signed_data["encap_content_info"]["content"].parsed["gen_time"].native


def _signature_timestamps(signer_info: cms.SignerInfo):
    for attribute in signer_info["unsigned_attrs"] or ():
        if attribute["type"].native == "signature_time_stamp_token":
            for token in attribute["values"]:
                yield token["content"]


_DOC_TIMESTAMP = b"/DocTimeStamp"
_CONTENTS = re.compile(rb"/Contents\s*<([0-9A-Fa-f]+)>")
_BYTE_RANGE = re.compile(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]")


@dataclass(frozen=True)
class NewestTimestamp:
    """The newest document timestamp of a PDF, as its signature dictionary holds it."""

    contents: bytes
    """The /Contents bytes (the DER token and its zero padding)."""
    byte_range: tuple[int, int, int, int]
    count: int
    """How many document timestamps the file holds."""

    @property
    def token(self) -> cms.SignedData:
        return cms.ContentInfo.load(self.contents)["content"]

    def digest(self, data: bytes, algorithm: str) -> bytes:
        start, length, second, second_length = self.byte_range
        hasher = hashlib.new(algorithm)
        hasher.update(data[start:start + length])
        hasher.update(data[second:second + second_length])
        return hasher.digest()


def newest_timestamp(data: bytes) -> NewestTimestamp | None:
    """Read straight from the bytes: a signature dictionary is never compressed (its /ByteRange names
    raw offsets) and each update is appended, so the last /DocTimeStamp dictionary in the file is the
    newest. pyHanko's reader tokenises every signature's /Contents in pure Python first (~60 ms a
    document). None when the file holds none or is laid out otherwise: then ask pyHanko's reader."""
    last = data.rfind(_DOC_TIMESTAMP)
    if last < 0:
        return None
    start, end = data.rfind(b" obj", 0, last), data.find(b"endobj", last)
    if start < 0 or end < 0:
        return None
    contents, byte_range = _CONTENTS.search(data, start, end), _BYTE_RANGE.search(data, start, end)
    if contents is None or byte_range is None:
        return None
    return NewestTimestamp(bytes.fromhex(contents.group(1).decode()), tuple(map(int, byte_range.groups())),
                           data.count(_DOC_TIMESTAMP))


def _newest_timestamp_fast(data: bytes) -> ProofFacts | None:
    newest = newest_timestamp(data)
    if newest is None:
        return None
    token = newest.token
    tsa = extract_certificate_info(token).signer_cert
    return ProofFacts(tsa["tbs_certificate"]["validity"]["not_after"].native, _token_time(token),
                      _algorithms(token, tsa), newest.count)


def read_proof(data: bytes) -> ProofFacts:
    """Facts of the newest document timestamp; a PDF without one (B-B to B-LT) rests on its
    signatures, so on the earliest expiry among their signer and signature-timestamp certificates."""
    try:
        fast = _newest_timestamp_fast(data)
    except Exception:  # anything this shortcut does not expect: pyHanko's reader decides
        fast = None
    if fast is not None:
        return fast
    reader = PdfFileReader(BytesIO(data), strict=False)
    stamps = reader.embedded_timestamp_signatures
    if stamps:
        newest = stamps[-1]
        tsa = newest.signer_cert
        return ProofFacts(tsa["tbs_certificate"]["validity"]["not_after"].native, _token_time(newest.signed_data),
                          _algorithms(newest.signed_data, tsa), len(stamps))
    signatures = reader.embedded_regular_signatures
    if not signatures:
        return ProofFacts(None, None, (), 0)
    expiries, algorithms = [], set()
    for signature in signatures:
        expiries.append(signature.signer_cert["tbs_certificate"]["validity"]["not_after"].native)
        algorithms.update(_algorithms(signature.signed_data, signature.signer_cert))
        for token in _signature_timestamps(signature.signer_info):
            certificate = extract_certificate_info(token).signer_cert
            expiries.append(certificate["tbs_certificate"]["validity"]["not_after"].native)
    return ProofFacts(min(expiries), signatures[-1].self_reported_timestamp, tuple(sorted(algorithms)), 0)
