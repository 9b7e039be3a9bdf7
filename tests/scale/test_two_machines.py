"""Two machines: two Celery workers, each with its own instance folder (sharing only what machines of one
deployment share: the database, the broker, the document store and the configured keys), sign results
posted as several batches. One worker freezes in the middle of a batch, after signing some of its
documents and before recording them, and is then SIGKILLed; the other takes the batch over.

Afterwards every result carries exactly its two signatures (pyHanko reads them from the PDFs), the
documents the dead worker had signed carry the very signature values it made (resumed from the journal
in the database, not signed a second time on the other machine), and the store received every delivery once.

WALLET_SCALE_RESULTS sets how many results: 60 in the default suite (Redis); `make test-scale` runs
1,000, on Redis and on RabbitMQ."""
from __future__ import annotations

import asyncio
import shutil
import signal
import time
from io import BytesIO
from pathlib import Path

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import async_validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from sqlalchemy import select

from adapters.devpki import load_dev_pki
from tests.conftest import login_as, official_principal
from tests.signing.checks import load_root
from wallet_service.models import (
    BatchItemStatus, BatchStatus, Result, SigningBatch, SigningBatchItem, SigningJournalEntry, db,
)
from wallet_service.services import services

from .conftest import (
    RABBITMQ_URL, REDIS_URL, SCALE_RESULTS as RESULTS, VOLUME_RUN, Fleet,
    assert_each_delivered_once, assert_recorded_once, post_batches, statuses, submit_results,
    wait_until,
)

pytestmark = pytest.mark.postgres

BATCHES = 10
KILL_AT = 0.3  # share of the results signed before the first worker is frozen
FIELDS = ["Sig1-CanBo", "Sig2-CoQuan"]
BROKERS = [pytest.param(REDIS_URL, id="redis")] + ([pytest.param(RABBITMQ_URL, id="rabbitmq")] if VOLUME_RUN else [])

Signatures = dict[tuple[str, int], bytes]
"""(result id, step) -> the signature value a worker stored in the batch's journal."""


def machine(app, folder: Path) -> dict[str, str]:
    """A machine's own instance folder, provisioned with the deployment's keys (the development PKI's
    files stand for the configured keys) and pointed at the shared document store and delivery key."""
    settings = services(app).settings
    shutil.copytree(settings.pki_dir, folder / "pki")
    return {
        "INSTANCE_PATH": str(folder),
        "DOCUMENTS_PATH": str(settings.documents_dir),
        "DELIVERY_SIGNING_KEY_FILE": str(settings.instance_path / "delivery" / "delivery-signing-key.pem"),
    }


def running_leases() -> dict[str, object]:
    db.session.expire_all()
    leases = dict(db.session.execute(
        select(SigningBatch.id, SigningBatch.lease_until).where(SigningBatch.status == BatchStatus.RUNNING)).all())
    db.session.commit()
    return leases


def signed_unrecorded(batch_id: str) -> Signatures:
    """Signature values the batch's journal holds for results whose outcome is not recorded yet."""
    queued = select(SigningBatchItem.result_id).where(SigningBatchItem.batch_id == batch_id,
                                                      SigningBatchItem.status == BatchItemStatus.QUEUED)
    rows = db.session.execute(
        select(SigningJournalEntry.result_id, SigningJournalEntry.step, SigningJournalEntry.signature)
        .where(SigningJournalEntry.batch_id == batch_id, SigningJournalEntry.signature.is_not(None),
               SigningJournalEntry.result_id.in_(queued))).all()
    db.session.commit()
    return {(rid, step): value for rid, step, value in rows}


def freeze_mid_batch(fleet: Fleet, name: str) -> tuple[str, Signatures]:
    """Freeze the worker (SIGSTOP) at a moment its batch's journal holds signatures it has not recorded.
    It signs alone, so the running batch is its own; frozen, it records nothing more and its lease runs
    out. Returns the batch and those signatures."""
    deadline = time.monotonic() + 30 * 60
    while time.monotonic() < deadline:
        running = running_leases()
        if not running and _all_finished():
            break  # nothing left to catch: fail now rather than at the deadline
        if not any(signed_unrecorded(b) for b in running):  # cheap: wait for a batch in that state
            time.sleep(0.05)
            continue
        fleet.send(name, signal.SIGSTOP)
        # read again once frozen: the batch may have been recorded between the look and the signal
        for batch_id in running_leases():
            if signed := signed_unrecorded(batch_id):
                return batch_id, signed
        fleet.send(name, signal.SIGCONT)
    raise AssertionError(f"{name} never held a batch with signed, unrecorded documents")


def _all_finished() -> bool:
    unfinished = db.session.scalar(select(SigningBatch.id).where(SigningBatch.status != BatchStatus.FINISHED).limit(1))
    db.session.commit()
    return unfinished is None


def read_signatures(pdf: bytes, context: ValidationContext | None) -> list[bytes]:
    """The signature values of the PDF's two signatures (official, agency); with `context`, each validated."""
    reader = PdfFileReader(BytesIO(pdf))
    embedded = reader.embedded_regular_signatures
    assert [s.field_name for s in embedded] == FIELDS
    assert len(reader.embedded_timestamp_signatures) == 1  # B-LTA's document timestamp
    for sig in embedded if context else ():
        status = asyncio.run(async_validate_pdf_signature(sig, context))
        assert status.intact and status.valid and status.trusted, (sig.field_name, status.pretty_print_details())
    return [s.signer_info["signature"].native for s in embedded]


@pytest.mark.parametrize("broker_url", BROKERS)
def test_a_batch_taken_over_on_another_machine_is_finished_not_signed_again(app, demo, fleet, store, tmp_path):
    ids = submit_results(app, RESULTS)
    client = app.test_client()
    csrf = {"X-CSRFToken": login_as(app, client, official_principal("official1"))}
    first, second = machine(app, tmp_path / "machine-1"), machine(app, tmp_path / "machine-2")
    fleet.beat(machine=second)
    # w1 signs alone until it is caught mid-batch, so that the batch caught is certainly its own; the
    # second machine's worker starts while w1 is frozen, and takes over once w1's lease runs out.
    fleet.worker("w1", machine=first)
    batch_ids = post_batches(client, csrf, ids, BATCHES)

    assert wait_until(lambda: sum(statuses(ids).get(s, 0) for s in ("signed", "delivered")) >= KILL_AT * RESULTS,
                      timeout=30 * 60), (statuses(ids), fleet.log("w1")[-3000:])
    held, signed_by_w1 = freeze_mid_batch(fleet, "w1")
    fleet.worker("w2", machine=second)
    fleet.kill("w1")
    assert fleet.processes["w1"].returncode == -signal.SIGKILL

    assert wait_until(lambda: statuses(ids) == {"delivered": RESULTS}, timeout=30 * 60, every=2), (
        statuses(ids), fleet.log("w2")[-3000:])
    db.session.expire_all()
    batches = {b.id: b for b in db.session.scalars(select(SigningBatch).where(SigningBatch.id.in_(batch_ids)))}
    assert {b.status for b in batches.values()} == {BatchStatus.FINISHED}
    assert batches[held].attempt >= 2  # taken over on the other machine
    assert db.session.scalar(select(SigningJournalEntry).limit(1)) is None  # journals go with their batches
    assert_recorded_once(ids)

    root = load_root(load_dev_pki(services(app).settings.pki_dir).root_cert_path)
    context = ValidationContext(trust_roots=[root], allow_fetching=False, revocation_mode="soft-fail")
    documents = services(app).documents
    # Every document is read; those of the batch taken over, and the first and last, are also validated.
    validated = {rid for rid, _ in signed_by_w1} | {item.result_id for item in batches[held].items} | {ids[0], ids[-1]}
    for result_id in ids:
        pdf = documents.get(db.session.get(Result, result_id).signed_sha256)
        values = read_signatures(pdf, context if result_id in validated else None)
        for step, value in enumerate(values):
            # What w1 signed before it died is what the result carries: finished, not signed again.
            assert signed_by_w1.get((result_id, step), value) == value, (result_id, step)
    assert_each_delivered_once(app, store, ids)
