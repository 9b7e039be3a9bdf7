"""The signer certificate's status named as ETSI EN 319 102-1 names it.

pyHanko's basic validation judges the certificate at one moment (the signature timestamp's
time, else the earliest document timestamp covering it, else now) and cannot tell "outside its
validity, no proof of when it signed" from "proven to have signed outside it": expired gives INDETERMINATE/OUT_OF_BOUNDS_NO_POE,
revoked INDETERMINATE/REVOKED_NO_POE, not yet valid a general chain failure. A trusted
signature timestamp is such a proof (the best-signature-time of EN 319 102-1 5.6), so with
it the answers become the failures the standard gives. A document timestamp that covers a
signature without one (:mod:`verification.existence`) moves the moment of judgement to its time,
but only shows the signature existed by then, not when it was made: it leaves these answers
INDETERMINATE, as EN 319 102-1's past signature validation does when the proof is not early enough.
"""

from __future__ import annotations

from datetime import datetime

from asn1crypto import x509
from pyhanko.sign.ades.report import AdESIndeterminate

from verification.report import Indication, Message, TimestampInfo

Verdict = tuple[Indication, str, Message | None]


def proven_time(timestamp: TimestampInfo | None) -> datetime | None:
    """The signing time a signature timestamp proves: the latest the signature can have been
    made (only a sound token from a trusted authority proves anything)."""
    if timestamp is not None and timestamp.intact and timestamp.trusted:
        return timestamp.time
    return None


def certificate_verdict(status, signer: x509.Certificate, proven: datetime | None, moment: datetime) -> Verdict | None:
    """The indication for pyHanko's trust problem with ``signer`` judged at ``moment``; None
    when it is none of validity or revocation (pyHanko's own indication then stands)."""
    indic = status.trust_problem_indic
    details = status.revocation_details
    if details is not None and indic == AdESIndeterminate.REVOKED_NO_POE:
        if proven is not None and proven >= details.revocation_date:
            return Indication.TOTAL_FAILED, "REVOKED", Message("finding.revoked_before_signing")
        return Indication.INDETERMINATE, "REVOKED_NO_POE", None
    not_before, not_after = signer.not_valid_before, signer.not_valid_after
    if moment < not_before:
        date = {"date": not_before.isoformat()}
        if proven is not None and proven < not_before:
            return Indication.TOTAL_FAILED, "NOT_YET_VALID", Message("finding.signed_before_certificate", date)
        return Indication.INDETERMINATE, "NOT_YET_VALID", Message("finding.certificate_not_yet_valid", date)
    if moment > not_after:
        date = {"date": not_after.isoformat()}
        if proven is not None and proven > not_after:
            return Indication.TOTAL_FAILED, "EXPIRED", Message("finding.signed_after_expiry", date)
        return Indication.INDETERMINATE, "OUT_OF_BOUNDS_NO_POE", Message("finding.certificate_expired", date)
    return None
