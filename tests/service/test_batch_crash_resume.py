"""A signing worker killed with SIGKILL in the middle of a batch loses nothing and signs nothing
twice once the batch resumes."""
from __future__ import annotations

import datetime as dt
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.conftest import official_principal
from wallet_service.batches import creation, runner
from wallet_service.models import AuditEvent, Result, ResultSignature, SigningBatch, db
from wallet_service.services import services

from .conftest import resume_once_the_lease_ends

pytestmark = pytest.mark.postgres  # SQL behaviour: runs on PostgreSQL too

# Runs one batch in a separate process that kills itself (SIGKILL: no cleanup, no rollback
# handler) while recording the third result, in the second group of two, after the first group was committed.
WORKER = """
import os, signal, sys
from wallet_service import create_app
from wallet_service.batches import runner
from wallet_service.batches.runner import run_batch
from wallet_service.results.events import connect_many_for_app, results_signed

database_url, instance, base_url, batch_id = sys.argv[1:5]
app = create_app({"database_url": database_url, "instance_path": instance, "public_base_url": base_url,
                  "signing_workers": 1, "BATCH_LEASE_SECONDS": 2, "DEV_OFFICIAL_SIGNING": "server"})
recorded = []
runner.RECORD_GROUP = 2

def die_on_third(session, results):
    recorded.extend(result.id for result in results)
    if len(recorded) >= 3:
        os.kill(os.getpid(), signal.SIGKILL)

connect_many_for_app(results_signed, app, die_on_third)
with app.app_context():
    run_batch(app, batch_id)
"""


def test_killed_batch_resumes_with_every_result_signed_once(live_app, demo_results, database_url, tmp_path):
    settings = services(live_app).settings
    ids = [r.id for code, r in sorted(demo_results.items()) if code.startswith("000.00.15.H40")][:4]
    batch = creation.create_batch(db.session, official_principal("official1"), ids)

    worker = subprocess.run(
        [sys.executable, "-c", WORKER, database_url, str(settings.instance_path), settings.public_base_url, batch.id],
        cwd=Path(__file__).resolve().parents[2], capture_output=True, text=True, timeout=300,
    )
    assert worker.returncode == -signal.SIGKILL, worker.stderr
    db.session.expire_all()
    # the first group (two results, two signatures each) committed; the second rolled back whole
    assert db.session.scalar(select(func.count()).select_from(ResultSignature)) == 4
    assert db.session.get(SigningBatch, batch.id).status == "running"

    # The dead worker's lease still runs: nobody may take the batch yet.
    assert runner.claim_batch(db.session, batch.id, dt.timedelta(seconds=2)) is None
    resume_once_the_lease_ends(live_app, batch.id, 2.5)
    for rid in ids:
        result = db.session.get(Result, rid)
        assert result.status in ("signed", "delivered")  # the outbox may have delivered it already
        assert [s.position for s in result.signatures] == [1, 2]
        signed_events = db.session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.result_id == rid, AuditEvent.action == "result.signed")
        )
        assert signed_events == 1
        pdf = services(live_app).documents.get(result.signed_sha256)
        path = tmp_path / f"{rid}.pdf"
        path.write_bytes(pdf)
        report = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, timeout=60).stdout
        assert report.count("Signature is Valid.") == 2, report
        assert report.count("Signature #") == 3, report  # two signatures and one document timestamp


# Kills itself when the seal's first signatures are about to be journaled: the official's step has finished, and
# the seal's prepared PDFs are in the journal as what they append to its outputs.
BETWEEN_STEPS = """
import os, signal, sys
from wallet_service import create_app
from wallet_service.batches import journals
from wallet_service.batches.runner import run_batch

database_url, instance, base_url, batch_id = sys.argv[1:5]
app = create_app({"database_url": database_url, "instance_path": instance, "public_base_url": base_url,
                  "signing_workers": 1, "BATCH_LEASE_SECONDS": 2, "DEV_OFFICIAL_SIGNING": "server"})
save_signatures = journals.DatabaseBatchJournal.save_signatures

def die_at_the_seal(journal, step, signatures):
    if step == 1:
        os.kill(os.getpid(), signal.SIGKILL)
    save_signatures(journal, step, signatures)

journals.DatabaseBatchJournal.save_signatures = die_at_the_seal
with app.app_context():
    run_batch(app, batch_id)
"""


@pytest.mark.postgres_only  # the journal's reading of increments is tested on SQLite in test_signing_journal
def test_a_batch_killed_between_its_steps_resumes_from_the_seals_prepared_pdfs_stored_as_increments(
        live_app, demo_results, database_url, tmp_path):
    from wallet_service.models import SigningJournalEntry as Entry

    settings = services(live_app).settings
    ids = [r.id for code, r in sorted(demo_results.items()) if code.startswith("000.00.15.H40")][:3]
    batch = creation.create_batch(db.session, official_principal("official1"), ids)
    worker = subprocess.run(
        [sys.executable, "-c", BETWEEN_STEPS, database_url, str(settings.instance_path), settings.public_base_url,
         batch.id], cwd=Path(__file__).resolve().parents[2], capture_output=True, text=True, timeout=300,
    )
    assert worker.returncode == -signal.SIGKILL, worker.stderr
    rows = db.session.execute(select(Entry.step, Entry.state, Entry.prior_contents.is_not(None)).where(
        Entry.batch_id == batch.id)).all()
    assert sorted(rows) == [(0, "finished", False)] * 3 + [(1, "prepared", True)] * 3

    resume_once_the_lease_ends(live_app, batch.id, 2.5)
    for rid in ids:
        result = db.session.get(Result, rid)
        assert [s.position for s in result.signatures] == [1, 2]
        path = tmp_path / f"{rid}.pdf"
        path.write_bytes(services(live_app).documents.get(result.signed_sha256))
        report = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, timeout=60).stdout
        assert report.count("Signature is Valid.") == 2, report
        assert report.count("Signature #") == 3, report
