"""Recording a group of signed outcomes (`runner._record_signed`): the results become `signed` with
their PDFs and signatures, each gets its outbox rows and its audit entry, all in one transaction; a
result that may not become `signed` stops the whole group."""
from __future__ import annotations

import hashlib
import threading
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select, update

from signing.pipeline import ItemOutcome, SignerInfo
from signing.profiles import PadesLevel
from wallet_service.batches import creation, runner
from wallet_service.models import (
    AuditEvent, BatchItemStatus, Delivery, InvalidTransition, Official, Result, ResultSignature, ResultStatus,
    SigningBatchItem, db,
)
from wallet_service.results.audit import verify_chain

from ..conftest import official_principal
from .conftest import AGENCY2

pytestmark = pytest.mark.postgres  # SQL behaviour: runs on PostgreSQL too


class _Journal:
    """A journal that stored no PDF: they are stored when recorded."""

    def take_stored(self, result_id: str) -> None:
        return None


def _signer(position: int) -> SignerInfo:
    return SignerInfo(f"Signature{position}", f"CN=Signer {position}", f"Signer {position}", "UBND", 4096 + position,
                      hashlib.sha256(bytes([position])).hexdigest(), PadesLevel.B_LT)


def _claimed_group(demo_results):
    """A batch of official2's agency (two delivery targets want its results) and its signed outcomes."""
    ids = sorted(r.id for r in demo_results.values() if r.agency.code == AGENCY2)
    batch = creation.create_batch(db.session, official_principal("official2"), ids)
    db.session.commit()
    queued = {item.result_id: item.id for item in batch.items}
    fence = runner._Fence(batch.id, batch.attempt, SimpleNamespace(lost=threading.Event()))
    outcomes = [ItemOutcome(i, b"%PDF-1.7 signed " + i.encode(), (_signer(1), _signer(2))) for i in ids]
    return batch, fence, queued, outcomes


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_recorded_group_has_its_signatures_deliveries_and_audit_entries(app, demo_results):
    batch, fence, queued, outcomes = _claimed_group(demo_results)
    assert len(outcomes) >= 2
    official = db.session.get(Official, batch.official_id)
    assert runner._record_signed(app, fence, queued, outcomes, official, _Journal())

    db.session.expire_all()
    for outcome in outcomes:
        result = db.session.get(Result, outcome.result_id)
        assert result.status == ResultStatus.SIGNED
        assert result.signed_sha256 == hashlib.sha256(outcome.signed_pdf).hexdigest() and result.signed_at is not None
        assert result.updated_at >= result.signed_at
        assert [(s.position, s.role) for s in result.signatures] == [(1, "official"), (2, "agency")]
        assert sorted((d.target, d.event, d.status) for d in result.deliveries) == [
            ("construction-archive", "signed", "pending"), ("portal", "signed", "pending")]
    signed = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "result.signed")).all()
    assert sorted(e.result_id for e in signed) == sorted(o.result_id for o in outcomes)
    assert {e.details["batch"] for e in signed} == {batch.id}
    assert verify_chain(db.session) == []
    assert set(db.session.scalars(select(SigningBatchItem.status))) == {BatchItemStatus.DONE}

    # the same outcomes again (a resumed batch): recorded once
    rows = (_count(Delivery), _count(ResultSignature), _count(AuditEvent))
    assert not runner._record_signed(app, fence, queued, outcomes, official, _Journal())
    assert (_count(Delivery), _count(ResultSignature), _count(AuditEvent)) == rows


def test_a_result_that_may_not_become_signed_stops_its_group(app, demo_results):
    batch, fence, queued, outcomes = _claimed_group(demo_results)
    db.session.execute(update(Result).where(Result.id == outcomes[-1].result_id).values(status=ResultStatus.ANNULLED))
    db.session.commit()
    official = db.session.get(Official, batch.official_id)
    with pytest.raises(InvalidTransition):
        runner._record_signed(app, fence, queued, outcomes, official, _Journal())
    db.session.rollback()  # as the runner does before failing the group's items

    assert _count(Delivery) == _count(ResultSignature) == 0
    statuses = dict(db.session.execute(select(Result.id, Result.status).where(Result.id.in_(queued))).all())
    assert statuses == {o.result_id: ResultStatus.SIGNING for o in outcomes[:-1]} | {outcomes[-1].result_id: ResultStatus.ANNULLED}
    assert set(db.session.scalars(select(SigningBatchItem.status))) == {BatchItemStatus.QUEUED}
