"""Per-worker caches: what is identical across documents is parsed and set up once.

One :class:`WorkerCaches` lives in each pool worker (created in the worker's main
function, passed explicitly, never global). Parsed OCSP responses and CRLs are keyed by
their bytes, trust managers by the trust-root set, report descriptions of certificates by
the certificate's hash, prepared name values by the value; all bounded. Nothing here holds
an outcome (a path, a revocation status, a verdict): every document is still checked in
full, so what one document left in a worker cannot make another pass.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from datetime import datetime
from typing import Callable, Generic, Hashable, TypeVar

from asn1crypto import crl as asn1_crl
from asn1crypto import ocsp as asn1_ocsp
from asn1crypto import x509
from pyhanko_certvalidator import ValidationContext

from verification.anchors import KeyMatchingTrustManager
from verification.policy import VerificationPolicy

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class BoundedCache(Generic[K, V]):
    """Least-recently-used mapping with a fixed number of entries."""

    def __init__(self, size: int):
        self._size = size
        self._items: OrderedDict[K, V] = OrderedDict()

    def __len__(self) -> int:
        return len(self._items)

    def get_or_make(self, key: K, make: Callable[[], V]) -> V:
        try:
            self._items.move_to_end(key)
            return self._items[key]
        except KeyError:
            value = self._items[key] = make()
            if len(self._items) > self._size:
                self._items.popitem(last=False)
            return value


class WorkerCaches:
    """Caches held by one worker process for its whole life."""

    def __init__(self, entries: int = 512):
        self._trust_managers: BoundedCache[str, tuple] = BoundedCache(16)
        self._ocsps: BoundedCache[bytes, asn1_ocsp.OCSPResponse] = BoundedCache(entries)
        self._crls: BoundedCache[bytes, asn1_crl.CertificateList] = BoundedCache(entries)
        self._certs: BoundedCache[bytes, x509.Certificate] = BoundedCache(entries)
        self._described: BoundedCache[bytes, object] = BoundedCache(entries)
        self.prepared_names: BoundedCache[str, str] = BoundedCache(entries * 8)
        """RFC 4518-prepared name values (see :mod:`verification.names`)."""
        self.name_keys: BoundedCache[bytes, tuple] = BoundedCache(entries)
        """Comparison keys of whole names by their DER (see :mod:`verification.names`)."""

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
        return ValidationContext(
            trust_manager=self.trust(policy),
            other_certs=doc.dss_certs,
            ocsps=doc.dss_ocsps,
            crls=doc.dss_crls,
            moment=None if fetching else moment,
            allow_fetching=fetching,
            retroactive_revinfo=True,
            revocation_mode="hard-fail" if hard_fail else "soft-fail",
        )
