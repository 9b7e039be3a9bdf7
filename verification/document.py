"""What the verification of every signature in one document shares: the bytes, the reader,
the policy, the worker's caches, the signatures in revision order and the document's DSS.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from asn1crypto import x509
from pyhanko.pdf_utils import misc
from pyhanko.pdf_utils.decode_limits import DecodePurpose
from pyhanko.pdf_utils.misc import get_and_apply
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature

from verification.caches import WorkerCaches
from verification.policy import VerificationPolicy
from verification.report import CertificateInfo
from verification.signature_facts import certificate_info

TIMESTAMP_SUBFILTER = "/ETSI.RFC3161"


def is_timestamp(emb: EmbeddedPdfSignature) -> bool:
    """A document timestamp (or an RFC 3161 token filed as a signature)."""
    return (
        emb.sig_object_type == "/DocTimeStamp"
        or emb.sig_object.get("/SubFilter") == TIMESTAMP_SUBFILTER
    )


@dataclass
class Document:
    """What every signature of one document needs while it is being verified."""

    data: bytes
    reader: PdfFileReader
    policy: VerificationPolicy
    caches: WorkerCaches
    embedded: list[EmbeddedPdfSignature]
    strict: bool = False
    """Judge changes by the issued-document policy (see :data:`verification.report.ISSUED_DOCUMENT`)."""
    issued_as_is: bool = False
    """The file is byte for byte a registered document: the service wrote every later revision."""
    dss_certs: list[x509.Certificate] = field(default_factory=list)
    dss_ocsps: list = field(default_factory=list)
    dss_crls: list = field(default_factory=list)
    existence_proofs: tuple = ()
    """What the document timestamps that passed prove (:class:`verification.existence.ExistenceProof`)."""
    _timestamp_contexts: dict = field(default_factory=dict)

    def read_dss(self) -> None:
        """Load the document's DSS (certificates, OCSP responses, CRLs) through the caches.

        Read as pyHanko's ``DocumentSecurityStore.read_dss`` reads it (the same entries, the same
        decoding, certificates one per issuer and serial number, the last one filed, the same
        errors for the same defects), parsing each item through the caches instead of afresh."""
        try:
            dss = self.reader.root["/DSS"]
            by_issuer_serial = {}
            for ref in get_and_apply(dss, "/Certs", list, default=[]):
                cert = self.caches.certificate(ref.get_object().read_data(DecodePurpose.CERTIFICATE))
                by_issuer_serial[cert.issuer_serial] = cert
            ocsps = [self.caches.ocsp(ref.get_object().read_data(DecodePurpose.OCSP_RESPONSE))
                     for ref in get_and_apply(dss, "/OCSPs", list, default=[])]
            crls = [self.caches.crl(ref.get_object().read_data(DecodePurpose.CRL))
                    for ref in get_and_apply(dss, "/CRLs", list, default=[])]
            if "/VRI" in dss:
                dict(dss["/VRI"])  # pyHanko refuses a DSS whose VRI is not a dictionary
        except (KeyError, ValueError, TypeError, misc.PdfError):
            return  # no (usable) DSS: validation uses what the signatures carry
        self.dss_certs, self.dss_ocsps, self.dss_crls = list(by_issuer_serial.values()), ocsps, crls

    def timestamp_context(self, at: datetime | None):
        """The context for timestamp tokens made at `at` (shared by the tokens of that moment).

        A token is judged at its own time, with the OCSP/CRL data the document carries, as signatures
        are at their timestamp's time: judged "now", the embedded responses of the last document
        timestamp stop being fresh (days after signing in practice) and a sound B-LTA document would
        turn INDETERMINATE."""
        if at not in self._timestamp_contexts:
            self._timestamp_contexts[at] = self.caches.validation_context(self, moment=at, hard_fail=False)
        return self._timestamp_contexts[at]

    def describe(self, cert: x509.Certificate) -> CertificateInfo:
        """Report summary of ``cert`` (made once per certificate in this worker)."""
        return self.caches.description(cert, certificate_info)

    def revision_of(self, emb) -> int:
        return emb.signed_revision

    def later_fields(self, emb) -> tuple[str, ...]:
        return tuple(str(e.field_name) for e in self.embedded if e.signed_revision > emb.signed_revision)

    def signed_revisions(self) -> set[int]:
        """The revisions some signature or document timestamp signed."""
        return {e.signed_revision for e in self.embedded}

    def document_timestamp_after(self, emb) -> bool:
        return any(
            is_timestamp(e) and e.signed_revision > emb.signed_revision for e in self.embedded
        )
