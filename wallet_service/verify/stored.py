"""Reports stored for the documents the service issued, so that a byte-identical upload is answered
from the register instead of being verified again.

The first full verification of a registered document (its SHA-256 is a result's current or superseded
document) that comes out TOTAL-PASSED stores the engine's report, rendered in each language, keyed by
that SHA-256 and by the verification policy it was computed under (`policy_key`: the trust-root set,
whether revocation data was fetched, the engine's report format). A later upload with the same bytes
under the same policy is answered from that row with one indexed query, outside any transaction;
the result's status (annulled or not) and its current document are read live in the same query, so an
annulment shows at once. The row keeps each language's report as JSON text without its top-level
verdict; the answer is that text with the verdict and the live registry part put in front, so a
request serialises only the few fields that can change. Nothing else is trusted from the row: other
bytes, other trust roots, another report format, or a report past `valid_until` (the first expiry
among the certificates it names, after which the full verification could answer differently) all go
through the full verification again.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json

from flask_babel import force_locale
from sqlalchemy import ForeignKey, String, Text, and_, bindparam, or_, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from verification import Indication, VerificationPolicy, VerificationReport
from verification.report import REPORT_FORMAT

from ..archive.models import ResultVersion
from ..models import Agency, Result, Timestamp, db, utcnow
from .registry import ANNULLED_SUB_INDICATION, EXACT, REGISTERED, SUPERSEDED, RegistryEntry, mask_name

LANGUAGES = ("vi", "en")
ANSWERED_FROM_REGISTER = "register"
"""`answered_from` of a report read from the stored row."""
ANSWERED_FROM_FULL = "full"
"""`answered_from` of a report the engine computed for this request."""
_VERDICT_KEYS = ("indication", "sub_indication", "summary", "message")
"""What an annulment changes at the top of a report (the signatures keep their own indications)."""
_LIVE_KEYS = ("registry", "copied_from", "registry_message", "signatures_indication", "answered_from")
"""What each answer sets afresh."""
BODY_FORMAT = 2
"""Layout of `StoredReport.body`; part of `policy_key`, so rows of another layout are not read."""
JUDGED_NOW_HORIZON = dt.timedelta(hours=1)
"""How long a verdict on a signature judged at verification time (no trusted timestamp) is reused."""


class StoredReport(db.Model):
    """The engine's report on one registered document under one verification policy."""

    __tablename__ = "verification_reports"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    """SHA-256 of the registered document (a result's current one, or one a renewal superseded)."""
    policy_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    """`policy_key(policy)` of the policy the report was computed under."""
    result_id: Mapped[str] = mapped_column(ForeignKey("results.id"), index=True)
    body: Mapped[str] = mapped_column(Text)
    """JSON: per language, `verdict` (the top-level verdict), `annulled` (the verdict of an annulled
    result) and `rest` (the text of the JSON report without those fields and the live ones)."""
    valid_until: Mapped[dt.datetime] = mapped_column(Timestamp)
    computed_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)


def policy_key(policy: VerificationPolicy) -> str:
    """What a stored report depends on besides the bytes: the trust roots, the report format and
    the row's layout."""
    text = f"{REPORT_FORMAT}|{policy.trust_root_set_id}|{policy.allow_fetching}|{BODY_FORMAT}"
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


def _stored_language(report: VerificationReport, annulled: VerificationReport, lang: str) -> dict:
    whole = report.to_dict(lang)
    rest = {k: v for k, v in whole.items() if k not in _VERDICT_KEYS + _LIVE_KEYS}
    return {"verdict": {k: whole[k] for k in _VERDICT_KEYS},
            "annulled": {k: annulled.to_dict(lang)[k] for k in _VERDICT_KEYS},
            "rest": json.dumps(rest, ensure_ascii=False)}


def store(session: Session, policy: VerificationPolicy, report: VerificationReport, result_id: str) -> None:
    """Keep `report` (of a byte-identical registered document) for later uploads of the same bytes.
    Only a passed verdict computed from the document alone is kept: one computed with fetched
    revocation data, or an INDETERMINATE that may change, is computed again each time."""
    valid_until = _valid_until(report)
    if report.indication is not Indication.TOTAL_PASSED or policy.allow_fetching or valid_until is None:
        return
    annulled = dataclasses.replace(report, indication=Indication.TOTAL_FAILED, sub_indication=ANNULLED_SUB_INDICATION)
    body = {lang: _stored_language(report, annulled, lang) for lang in LANGUAGES}
    session.merge(StoredReport(sha256=report.file_sha256, policy_key=policy_key(policy), result_id=result_id,
                               body=json.dumps(body, ensure_ascii=False), valid_until=valid_until))
    try:
        session.commit()
    except IntegrityError:  # another request stored the same report meanwhile
        session.rollback()


def _answer_query():
    """The stored body and the live registry columns of one document under one policy: primary-key
    lookups (a result's superseded versions by their unique SHA-256). Built once, with parameters
    (`sha256`, `policy_key`, `now`): building a statement costs more than running it."""
    sha256 = bindparam("sha256", type_=String)
    version = and_(ResultVersion.result_id == Result.id, ResultVersion.sha256 == StoredReport.sha256)
    return (
        select(StoredReport.body, Result.id, Result.title, Result.dossier_code, Result.procedure_name,
               Result.citizen_name, Result.status, Result.signed_sha256, Result.signed_at, Result.annulled_at,
               Result.annulment_reason, Agency.code.label("agency_code"), Agency.name.label("agency_name"))
        .join(Result, Result.id == StoredReport.result_id)
        .join(Agency, Agency.id == Result.agency_id)
        .outerjoin(ResultVersion, version)
        .where(StoredReport.sha256 == sha256, StoredReport.policy_key == bindparam("policy_key"),
               StoredReport.valid_until > bindparam("now"),
               or_(*(Result.status == status for status in REGISTERED)),  # no expanding IN to render each time
               or_(Result.signed_sha256 == sha256, ResultVersion.id.is_not(None)))
    )


_ANSWER_QUERY = _answer_query()


def _entry(row, sha256: str, public_base_url: str) -> RegistryEntry:
    return RegistryEntry(
        result_id=row.id, title=row.title, dossier_code=row.dossier_code, procedure_name=row.procedure_name,
        agency_code=row.agency_code, agency_name=row.agency_name,
        citizen_name_masked=mask_name(row.citizen_name),
        status=row.status, signed_at=row.signed_at, annulled_at=row.annulled_at,
        annulment_reason=row.annulment_reason, match=EXACT if row.signed_sha256 == sha256 else SUPERSEDED,
        verification_url=f"{public_base_url.rstrip('/')}/v/{row.id}")


def answer(engine: Engine, sha256: str, policy: VerificationPolicy, lang: str, public_base_url: str) -> bytes | None:
    """The JSON report (UTF-8) for a document whose SHA-256 is `sha256`, from its stored report, with
    the result's live status; None when none is stored for these bytes under this policy.
    A read of one row needs no transaction: autocommit spares the BEGIN and ROLLBACK round trips."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        row = connection.execute(_ANSWER_QUERY, {"sha256": sha256, "policy_key": policy_key(policy),
                                                 "now": utcnow()}).first()
    if row is None:
        return None
    entry = _entry(row, sha256, public_base_url)
    stored = json.loads(row.body)[lang]
    with force_locale(lang):
        registry = entry.to_dict()
    head = {**(stored["annulled"] if entry.annulled else stored["verdict"]), "registry": registry,
            "copied_from": None, "registry_message": registry["message"],
            "signatures_indication": stored["verdict"]["indication"], "answered_from": ANSWERED_FROM_REGISTER}
    return _spliced(head, stored["rest"]).encode()


def _spliced(head: dict, rest: str) -> str:
    """The text of one JSON object with `head`'s fields, then those of `rest` (a JSON object's text
    that has none of `head`'s keys): the stored text is not parsed and serialised again."""
    head_text = json.dumps(head, ensure_ascii=False)
    return head_text if rest == "{}" else f"{head_text[:-1]}, {rest[1:]}"
