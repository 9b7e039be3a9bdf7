"""Per-worker caches: what is identical across documents is parsed and set up once.

One :class:`WorkerCaches` lives in each pool worker (created in the worker's main
function, passed explicitly, never global). Parsed OCSP responses and CRLs are keyed by
their bytes, trust managers by the trust-root set, report descriptions of certificates by
the certificate's hash, the CRL/OCSP sources a certificate declares by its hash, prepared name
values by the value; all bounded.

One kind of outcome is held: successful certificate path validations
(:class:`~verification.path_outcomes.PathOutcomes`), keyed by everything such a validation
reads (the certificate, the context's certificates, trust roots and OCSP/CRL data as hashes of
their DER, the context's settings) and by where the validation time lies among the instants of
that material it is compared with (validity bounds, OCSP/CRL update and revocation times, each
± the tolerance): the time itself when it is one of them, else the gap between two. So a reused
outcome is the one a fresh validation would give. A revoked, expired or not yet valid
signer, another root or other revocation data make another key; failures are never kept.
Everything else about a document (its bytes, signature values, timestamps' imprints, changes
after signing, the verdict) is checked in full every time.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Callable, TypeVar

from asn1crypto import crl as asn1_crl
from asn1crypto import ocsp as asn1_ocsp
from asn1crypto import x509
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.util import get_declared_revinfo

from verification.anchors import KeyMatchingTrustManager
from verification.bounded import BoundedCache
from verification.path_outcomes import OutcomeScope, PathOutcomes
from verification.policy import VerificationPolicy

V = TypeVar("V")
__all__ = ["BoundedCache", "WorkerCaches"]


class WorkerCaches:
    """Caches held by one worker process for its whole life."""

    def __init__(self, entries: int = 512):
        self._trust_managers: BoundedCache[str, tuple] = BoundedCache(16)
        self._ocsps: BoundedCache[bytes, asn1_ocsp.OCSPResponse] = BoundedCache(entries)
        self._crls: BoundedCache[bytes, asn1_crl.CertificateList] = BoundedCache(entries)
        self._certs: BoundedCache[bytes, x509.Certificate] = BoundedCache(entries)
        self._described: BoundedCache[bytes, object] = BoundedCache(entries)
        self._declared: BoundedCache[bytes, tuple[bool, bool]] = BoundedCache(entries)
        self.prepared_names: BoundedCache[str, str] = BoundedCache(entries * 8)
        """RFC 4518-prepared name values (see :mod:`verification.names`)."""
        self.name_keys: BoundedCache[bytes, tuple] = BoundedCache(entries)
        """Comparison keys of whole names by their DER (see :mod:`verification.names`)."""
        self.path_outcomes = PathOutcomes(entries // 2)
        """Successful path validations, used once :func:`verification.path_outcomes.reuse_path_outcomes`
        is installed (workers only)."""

    def trust(self, policy: VerificationPolicy) -> KeyMatchingTrustManager:
        """Trust manager for the policy's trust-root set (built once per set)."""
        return self._trust_managers.get_or_make(
            policy.trust_root_set_id,
            lambda: KeyMatchingTrustManager.of(policy.certificates()),
        )

    def ocsp(self, der: bytes) -> asn1_ocsp.OCSPResponse:
        return self._ocsps.get_or_make(
            hashlib.sha256(der).digest(), lambda: asn1_ocsp.OCSPResponse.load(der)
        )

    def certificate(self, der: bytes) -> x509.Certificate:
        """The same parsed object for the same certificate: asn1crypto caches name
        normalisation and hashes on the object, which path building uses heavily."""
        return self._certs.get_or_make(
            hashlib.sha256(der).digest(), lambda: x509.Certificate.load(der)
        )

    def description(self, cert: x509.Certificate, describe: Callable[[x509.Certificate], V]) -> V:
        """``describe(cert)`` (an immutable summary for reports), made once per certificate:
        pyHanko hands out a fresh copy of a certificate per signature, and rendering its
        names costs more than hashing it. Keyed by the certificate's SHA-256."""
        return self._described.get_or_make(cert.sha256, lambda: describe(cert))

    def declared_revinfo(self, cert: x509.Certificate) -> tuple[bool, bool]:
        """Whether ``cert`` names CRL distribution points and OCSP responders (pyHanko's
        ``get_declared_revinfo``), read once per certificate: a fresh copy of the certificate
        per signature would parse its extensions again. Keyed by the certificate's SHA-256."""
        return self._declared.get_or_make(cert.sha256, lambda: get_declared_revinfo(cert))

    def crl(self, der: bytes) -> asn1_crl.CertificateList:
        return self._crls.get_or_make(
            hashlib.sha256(der).digest(), lambda: asn1_crl.CertificateList.load(der)
        )

    def validation_context(self, doc, moment: datetime | None, hard_fail: bool) -> ValidationContext:
        """A validation context for one signature of ``doc``.

        ``moment`` is the time to validate at (the signature timestamp's time, so that
        revocation is judged at signing time); embedded OCSP/CRL data may postdate it
        (``retroactive_revinfo``), which is how PAdES B-LT carries it.
        """
        policy: VerificationPolicy = doc.policy
        fetching = policy.allow_fetching
        context = ValidationContext(
            trust_manager=self.trust(policy),
            other_certs=doc.dss_certs,
            ocsps=doc.dss_ocsps,
            crls=doc.dss_crls,
            moment=None if fetching else moment,
            allow_fetching=fetching,
            retroactive_revinfo=True,
            revocation_mode="hard-fail" if hard_fail else "soft-fail",
        )
        if not fetching:  # fetched data would not be in the memo's key
            context.path_outcomes = OutcomeScope(self.path_outcomes, policy.trust_root_set_id)
        return context
