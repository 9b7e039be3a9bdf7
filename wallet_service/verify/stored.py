"""Reports stored for the documents the service issued, so that a byte-identical upload is answered
from the register instead of being verified again.

The first full verification of a registered document (its SHA-256 is a result's current or superseded
document) that comes out TOTAL-PASSED stores the engine's report, rendered in each language, keyed by
that SHA-256 and by the verification policy it was computed under (`policy_key`: the trust-root set,
whether revocation data was fetched, the engine's report format). A later upload with the same bytes
under the same policy is answered from that row with one indexed query; the result's status
(annulled or not) and its current document are read live in the same query, so an annulment shows at
once. Nothing else is trusted from the row: other bytes, other trust roots, another report format, or a
report past `valid_until` (the first expiry among the certificates it names, after which the full
verification could answer differently) all go through the full verification again.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json

from flask_babel import force_locale
from sqlalchemy import ForeignKey, String, Text, and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from verification import Indication, VerificationPolicy, VerificationReport
from verification.report import REPORT_FORMAT

from ..archive.models import ResultVersion
from ..models import Agency, Result, Timestamp, db, utcnow
from .registry import ANNULLED_SUB_INDICATION, EXACT, REGISTERED, SUPERSEDED, RegistryEntry

LANGUAGES = ("vi", "en")
ANSWERED_FROM_REGISTER = "register"
"""`answered_from` of a report read from the stored row."""
ANSWERED_FROM_FULL = "full"
"""`answered_from` of a report the engine computed for this request."""
_ANNULLED_KEYS = ("indication", "sub_indication", "summary", "message")
JUDGED_NOW_HORIZON = dt.timedelta(hours=1)
"""How long a verdict on a signature judged at verification time (no trusted timestamp) is reused."""
"""What an annulment changes at the top of a report (the signatures keep their own indications)."""


class StoredReport(db.Model):
    """The engine's report on one registered document under one verification policy."""

    __tablename__ = "verification_reports"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    """SHA-256 of the registered document (a result's current one, or one a renewal superseded)."""
    policy_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    """`policy_key(policy)` of the policy the report was computed under."""
    result_id: Mapped[str] = mapped_column(ForeignKey("results.id"), index=True)
    body: Mapped[str] = mapped_column(Text)
    """JSON: the report per language, and per language the top-level fields of the annulled verdict."""
    valid_until: Mapped[dt.datetime] = mapped_column(Timestamp)
    computed_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)


def policy_key(policy: VerificationPolicy) -> str:
    """What a stored report depends on besides the bytes: the trust roots and the report format."""
    text = f"{REPORT_FORMAT}|{policy.trust_root_set_id}|{policy.allow_fetching}"
    return hashlib.sha256(text.encode()).hexdigest()


def _valid_until(report: VerificationReport) -> dt.datetime | None:
    """Until when the stored verdict stands: the first expiry among the report's certificates (later,
    judged now, the verdict may change: the last document timestamp's authority, for one); at most
    `JUDGED_NOW_HORIZON` when a signature has no trusted timestamp, since it was judged at the time
    of verification, with embedded revocation data that ages."""
    certificates = [c for s in report.signatures + report.document_timestamps for c in (s.signer, *s.chain) if c]
    expiry = min((c.not_after for c in certificates), default=None)
    proven = all(s.timestamp is not None and s.timestamp.intact and s.timestamp.trusted for s in report.signatures)
    if expiry is None or proven:
        return expiry
    return min(expiry, utcnow() + JUDGED_NOW_HORIZON)


def store(session: Session, policy: VerificationPolicy, report: VerificationReport, result_id: str) -> None:
    """Keep `report` (of a byte-identical registered document) for later uploads of the same bytes.
    Only a passed verdict computed from the document alone is kept: one computed with fetched
    revocation data, or an INDETERMINATE that may change, is computed again each time."""
    valid_until = _valid_until(report)
    if report.indication is not Indication.TOTAL_PASSED or policy.allow_fetching or valid_until is None:
        return
    annulled = dataclasses.replace(report, indication=Indication.TOTAL_FAILED, sub_indication=ANNULLED_SUB_INDICATION)
    body = {lang: report.to_dict(lang) for lang in LANGUAGES}
    body["annulled"] = {lang: {k: annulled.to_dict(lang)[k] for k in _ANNULLED_KEYS} for lang in LANGUAGES}
    session.merge(StoredReport(sha256=report.file_sha256, policy_key=policy_key(policy), result_id=result_id,
                               body=json.dumps(body, ensure_ascii=False), valid_until=valid_until))
    try:
        session.commit()
    except IntegrityError:  # another request stored the same report meanwhile
        session.rollback()


def answer(session: Session, sha256: str, policy: VerificationPolicy, lang: str, public_base_url: str) -> dict | None:
    """The JSON report for a document whose SHA-256 is `sha256`, from its stored report, with the
    result's live status; None when none is stored for these bytes under this policy."""
    version = and_(ResultVersion.result_id == Result.id, ResultVersion.sha256 == StoredReport.sha256)
    query = (
        select(StoredReport.body, Result, Agency)
        .join(Result, Result.id == StoredReport.result_id)
        .join(Agency, Agency.id == Result.agency_id)
        .outerjoin(ResultVersion, version)
        .where(StoredReport.sha256 == sha256, StoredReport.policy_key == policy_key(policy),
               StoredReport.valid_until > utcnow(), Result.status.in_(REGISTERED),
               or_(Result.signed_sha256 == sha256, ResultVersion.id.is_not(None)))
    )
    row = session.execute(query).first()
    if row is None:
        return None
    body, result, _agency = row
    entry = RegistryEntry.of(result, EXACT if result.signed_sha256 == sha256 else SUPERSEDED, public_base_url)
    stored = json.loads(body)
    report = stored[lang]
    signatures_indication = report["indication"]
    if entry.annulled:
        report.update(stored["annulled"][lang])
    with force_locale(lang):
        registry = entry.to_dict()
    report.update(registry=registry, copied_from=None, registry_message=registry["message"],
                  signatures_indication=signatures_indication, answered_from=ANSWERED_FROM_REGISTER)
    return report
