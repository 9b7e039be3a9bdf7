"""Which results a citizen sees, and how each looks to them.

Every result of theirs is listed, from the moment the case system posts it: a citizen whose
dossier was decided expects to see it coming. Until it is signed it shows as "processing", with
nothing to download (the unsigned draft has no legal force, so the wallet does not hand it out);
signed and delivered results are "issued" (download, verification QR, add to a wallet app);
annulled ones stay listed, marked, with the reason, so the citizen learns why a paper they hold
no longer counts (the signed PDF stays downloadable; every verification says it is annulled)."""
from __future__ import annotations

import enum

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, joinedload, scoped_session

from ..access import CITIZEN, Principal, can_read_result
from ..models import Citizen, Result, ResultStatus


class Stage(str, enum.Enum):
    PROCESSING = "processing"
    ISSUED = "issued"
    ANNULLED = "annulled"
    RETURNED = "returned"
    """Not issued: the agency returned the dossier to the one-stop shop, with its reason."""


_STAGES = {
    ResultStatus.PENDING_SIGNATURE: Stage.PROCESSING,
    ResultStatus.SIGNING: Stage.PROCESSING,
    ResultStatus.FAILED: Stage.PROCESSING,  # a failed signing is retried by the agency, not the citizen's concern
    ResultStatus.SIGNED: Stage.ISSUED,
    ResultStatus.DELIVERED: Stage.ISSUED,
    ResultStatus.ANNULLED: Stage.ANNULLED,
    ResultStatus.RETURNED: Stage.RETURNED,
}


def stage(result: Result) -> Stage:
    return _STAGES[result.status]


def downloadable(result: Result) -> bool:
    """Only a signed PDF is handed out to the citizen."""
    return result.signed_sha256 is not None and stage(result) is not Stage.PROCESSING


def offerable(result: Result) -> bool:
    """May go into a wallet app as a credential (the issuer refuses anything else, too)."""
    return stage(result) is Stage.ISSUED


# Built once: composing this statement cost more CPU than running it (a listing is the busiest read).
_CITIZEN_RESULTS = (
    select(Result)
    .join(Citizen, Result.citizen_id == Citizen.id)
    .options(joinedload(Result.agency))  # every item names its agency: one query, not one per agency
    .where(Citizen.personal_id == bindparam("personal_id"))
    .order_by(Result.created_at.desc(), Result.id)
)


def citizen_results(session: Session | scoped_session, principal: Principal) -> list[Result]:
    """The citizen's own results, newest first; nobody else's, whoever asks.

    One SELECT is its own snapshot, so it runs outside a transaction when it is the request's
    first use of the database: no BEGIN and no ROLLBACK round trips. Its callers only read."""
    if principal.kind != CITIZEN or not principal.personal_id:
        return []
    if (session() if isinstance(session, scoped_session) else session).get_transaction() is None:
        session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    return list(session.scalars(_CITIZEN_RESULTS, {"personal_id": principal.personal_id}))


def citizen_result(session: Session, principal: Principal, result_id: str) -> Result | None:
    result = session.get(Result, result_id)
    if result is None or principal.kind != CITIZEN or not can_read_result(principal, result):
        return None
    return result
