"""Path-validation outcomes reused across the documents one worker verifies, only where a fresh
validation provably gives the same outcome.

The results of one signing batch carry the same certificates and the same DSS revocation data
(the batch fetches its OCSP responses once) and differ in their validation times (each signature
timestamp's time). pyHanko's validation of a certificate's usage (path building, RFC 5280
processing, OCSP/CRL checks with their responders' paths) is a function of:

* the certificate; the certificates its context builds paths from (the context's registry, in
  registration order: DSS, the CMS's own certificates, the trust roots); the trust-root set;
* the revocation data in the context (OCSP responses and CRLs, in order);
* the context's settings (revocation policy, time tolerance, point-in-time or "now") and the
  key-usage constraints asked for;
* the validation time, only through comparisons ``time ± tolerance`` with instants written in the
  material above: every certificate's notBefore/notAfter (those inside OCSP responses too), OCSP
  producedAt/thisUpdate/nextUpdate (thisUpdate + 30 min when absent: pyHanko's fallback) and
  revocation times, CRL thisUpdate/nextUpdate (same fallback) and revocation dates. Proof-of-existence
  times (wall clock) only matter to pyHanko's past-validation "time sliding", not used here.

Each such comparison has a threshold ``t - tolerance``, ``t`` or ``t + tolerance`` for an instant
``t`` of the material. An outcome is keyed by hashes of that exact material, the settings, and
either the validation time itself or, when it is none of the thresholds, the gap between
consecutive thresholds that holds it: two times in one gap answer every comparison alike, so the
outcome is the same (equivalently: no threshold lies between them). Only successful outcomes are
kept (a failure is validated afresh every time), and nothing is kept when fetching is allowed
(fetched data is not in the key), when the caller passes PKIX parameters or a fixed path, or
when the material cannot be read.
"""

from __future__ import annotations

import hashlib
from bisect import bisect_left
from dataclasses import dataclass
from datetime import datetime, timedelta

from asn1crypto import core, x509
from pyhanko.sign.validation import generic_cms
from pyhanko_certvalidator.policy_decl import FRESHNESS_FALLBACK_VALIDITY_DEFAULT
from pyhanko_certvalidator.registry import LazyPathIterator

from verification.bounded import BoundedCache

_VALIDATE_CERT_USAGE = generic_cms.validate_cert_usage


@dataclass(frozen=True)
class OutcomeScope:
    """What a validation context made by :class:`~verification.caches.WorkerCaches` carries
    (as its ``path_outcomes`` attribute): the worker's memo and the context's trust-root set."""

    memo: "PathOutcomes"
    trust_root_set_id: str


class PathOutcomes:
    """Bounded memo of successful path-validation outcomes (see the module's docstring)."""

    def __init__(self, entries: int = 256):
        self._outcomes: BoundedCache[tuple, object] = BoundedCache(entries)
        self._thresholds: BoundedCache[tuple, tuple[datetime, ...] | None] = BoundedCache(entries)

    def __len__(self) -> int:
        return len(self._outcomes)

    async def validate(self, scope: OutcomeScope, cert, context, key_usage_settings, paths, pkix_params):
        key = None
        try:
            if pkix_params is None and _fresh_paths_of(paths, cert, context) and not context.fetching_allowed:
                key = self.key(scope, cert, context, key_usage_settings)
        except Exception:  # whatever the key cannot be made of is validated as before
            key = None
        outcome = self._outcomes.get(key) if key is not None else None
        if outcome is not None:
            await paths.cancel()
            return outcome
        outcome = await _VALIDATE_CERT_USAGE(cert, context, key_usage_settings, paths, pkix_params)
        if key is not None and outcome.error_subindic is None and outcome.success_result is not None:
            self._outcomes.put(key, outcome)
        return outcome

    def key(self, scope: OutcomeScope, cert: x509.Certificate, context, key_usage_settings) -> tuple | None:
        """The memo key of validating ``cert`` in ``context``, None when it must not be memoised."""
        timing = context.timing_params
        moment = timing.validation_time
        if timing.best_signature_time != moment:
            return None
        certs = [cert, *context.certificate_registry]
        ocsps, crls = context.ocsps, context.crls
        digest = hashlib.sha256()
        for item in certs:
            digest.update(b"c" + item.sha256)
        for item in ocsps:
            digest.update(b"o" + hashlib.sha256(item.dump()).digest())
        for item in crls:
            digest.update(b"l" + hashlib.sha256(item.dump()).digest())
        material = digest.digest()
        tolerance = timing.time_tolerance
        thresholds = self._thresholds.get_or_make(
            (material, tolerance), lambda: _thresholds(certs, ocsps, crls, tolerance)
        )
        if thresholds is None:
            return None
        return (
            material, scope.trust_root_set_id, _when(thresholds, moment), timing.point_in_time_validation, tolerance,
            repr(context.revinfo_policy), type(context.algorithm_policy).__name__, repr(key_usage_settings),
        )


def reuse_path_outcomes() -> None:
    """Route pyHanko's certificate-usage validation through the memo its validation context carries
    (contexts without one are validated as before). This changes a library function process-wide,
    so only worker processes (which do nothing but verify) call it, once."""

    async def validate_cert_usage(cert, validation_context, key_usage_settings, paths, pkix_validation_params=None):
        scope = getattr(validation_context, "path_outcomes", None)
        if not isinstance(scope, OutcomeScope):
            return await _VALIDATE_CERT_USAGE(
                cert, validation_context, key_usage_settings, paths, pkix_validation_params
            )
        return await scope.memo.validate(
            scope, cert, validation_context, key_usage_settings, paths, pkix_validation_params
        )

    generic_cms.validate_cert_usage = validate_cert_usage


def _fresh_paths_of(paths, cert: x509.Certificate, context) -> bool:
    """Whether ``paths`` is the untouched path search of ``context`` for ``cert`` (what pyHanko's
    basic validation passes), not a fixed path or another search (private attributes of pyHanko's
    iterator, pinned with its minor version: anything else is simply not memoised)."""
    walker = getattr(paths, "_walker", None)
    return (
        isinstance(paths, LazyPathIterator)
        and paths.emitted_count == 0
        and getattr(walker, "path_builder", None) is context.path_builder
        and getattr(getattr(walker, "path", None), "head", None) is cert
    )


def _when(thresholds: tuple[datetime, ...], moment: datetime) -> tuple:
    """``moment`` as far as comparisons with ``thresholds`` can tell: the gap between consecutive
    thresholds that holds it, or the moment itself when it is one of them."""
    index = bisect_left(thresholds, moment)
    if index < len(thresholds) and thresholds[index] == moment:
        return ("at", moment)
    return ("gap", index)


def _thresholds(certs, ocsps, crls, tolerance: timedelta) -> tuple[datetime, ...] | None:
    """Every instant of the material a validation time is compared with, each also shifted by
    the tolerance either way (None: unreadable material)."""
    try:
        found: list[datetime] = []
        for cert in certs:
            found += _validity(cert)
        for response in ocsps:
            found += _ocsp_instants(response)
        for listing in crls:
            found += _crl_instants(listing)
    except (KeyError, ValueError, TypeError, AttributeError):
        return None
    thresholds = set()
    for instant in found:
        for shift in (-tolerance, timedelta(0), tolerance):
            try:
                thresholds.add(instant + shift)
            except OverflowError:  # beyond year 9999 (RFC 5280's "no expiry"): no moment is on its far side
                continue
    return tuple(sorted(thresholds))


def _validity(cert: x509.Certificate) -> list[datetime]:
    return [cert.not_valid_before, cert.not_valid_after]


def _freshness(this_update: datetime, next_update: datetime | None) -> list[datetime]:
    return [this_update, next_update if next_update is not None else this_update + FRESHNESS_FALLBACK_VALIDITY_DEFAULT]


def _ocsp_instants(response) -> list[datetime]:
    if response["response_status"].native != "successful":
        return []  # no data pyHanko could use, at any time
    basic = response["response_bytes"]["response"].parsed
    data = basic["tbs_response_data"]
    found = [data["produced_at"].native]
    for single in data["responses"]:
        found += _freshness(single["this_update"].native, single["next_update"].native)
        status = single["cert_status"]
        if status.name == "revoked":
            found.append(status.chosen["revocation_time"].native)
    for cert in () if isinstance(basic["certs"], core.Void) else basic["certs"]:
        found += _validity(cert)
    return found


def _crl_instants(listing) -> list[datetime]:
    tbs = listing["tbs_cert_list"]
    found = _freshness(tbs["this_update"].native, tbs["next_update"].native)
    for entry in () if isinstance(tbs["revoked_certificates"], core.Void) else tbs["revoked_certificates"]:
        found.append(entry["revocation_date"].native)
    return found
