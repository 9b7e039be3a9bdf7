"""Scale-out: two Celery worker processes (concurrency 1 each) and beat, on
PostgreSQL and Redis, sign and deliver many results posted as several batches through the API, while one
worker is SIGKILLed in the middle of a batch. Afterwards every result carries exactly its two signatures,
the taken-over batch was finished by the other worker, pdfsig validates a sample, and the store received
every delivery exactly once.

WALLET_SCALE_RESULTS sets how many results: 60 in the default suite (with a 10 s batch lease, so the
takeover comes quickly) and the documented deployment only (a signing worker beside the prefork one);
`make test-scale` runs 1,000 with the production lease of 60 s (about 3 minutes on a busy 2-core machine),
also with two prefork workers on one queue."""
from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import distinct, func, select

from adapters.devpki import load_dev_pki
from tests.conftest import login_as, official_principal
from tests.signing.checks import make_nss_db, pdfsig
from wallet_service.models import Result, SigningBatch, SigningBatchItem, SigningJournalEntry, db
from wallet_service.services import services

from .conftest import (
    SCALE_RESULTS as RESULTS, VOLUME_RUN, Fleet, assert_each_delivered_once, assert_recorded_once, post_batches, statuses,
    signing_queue, submit_results, wait_until,
)

# Few large batches in the default suite: a batch of six is signed in a tenth of a second, too fast to
# kill a worker in the middle of one reliably.
BATCHES = 10 if VOLUME_RUN else 2
KILL_AT = 0.3  # share of the results signed (or under way in a batch's journal) when the first worker dies
SAMPLE = 5


def signed_count(ids: list[str]) -> int:
    counts = statuses(ids)
    return counts.get("signed", 0) + counts.get("delivered", 0)


def midway(ids: list[str]) -> bool:
    """Some of the results signed or under way, not all recorded: a batch records its results a group
    at a time (all at once when it is smaller than a group), so its journal shows the progress."""
    signed = signed_count(ids)
    under_way = db.session.scalar(select(func.count(distinct(SigningJournalEntry.result_id))))
    db.session.commit()  # end the read transaction: the workers write meanwhile
    return signed < RESULTS and max(signed, under_way) >= KILL_AT * RESULTS


def busy_signing(fleet: Fleet, name: str) -> bool:
    """The worker's log shows a sign_batch task received and not finished yet."""
    log = fleet.log(name)
    received = re.findall(r"Task wallet\.sign_batch\[([0-9a-f-]+)\] received", log)
    return bool(received) and f"Task wallet.sign_batch[{received[-1]}] succeeded" not in log


def start_workers(fleet: Fleet, deployment: str, celery_queue: str) -> None:
    """w1 signs; w2 does the rest and signs too, so that it can take over w1's batch. With a signing
    queue, w1 reads only that queue and signs each batch on its pool of signing processes."""
    if deployment == "signing-queue":
        fleet.worker("w1", "--pool", "threads", "--queues", signing_queue(celery_queue))
        fleet.worker("w2", "--queues", f"{celery_queue},{signing_queue(celery_queue)}")
    else:
        fleet.worker("w1")
        fleet.worker("w2")


@pytest.mark.postgres
@pytest.mark.parametrize("deployment", ["signing-queue", *(["prefork"] if VOLUME_RUN else [])])
def test_two_workers_one_killed_sign_and_deliver_every_result_exactly_once(app, demo, fleet, store, deployment,
                                                                             celery_queue, tmp_path):
    ids = submit_results(app, RESULTS)
    client = app.test_client()
    csrf = {"X-CSRFToken": login_as(app, client, official_principal("official1"))}
    fleet.beat()
    start_workers(fleet, deployment, celery_queue)
    batch_ids = post_batches(client, csrf, ids, BATCHES)

    assert wait_until(lambda: midway(ids) and busy_signing(fleet, "w1"),
                      timeout=30 * 60, every=0.1), (statuses(ids), fleet.log("w1")[-3000:])
    if deployment == "signing-queue":  # w1 signs on processes of its own: a forkserver and its signers
        assert fleet.process_count("w1") >= 3
    fleet.kill("w1")
    assert fleet.processes["w1"].returncode == -9
    assert signed_count(ids) < RESULTS  # killed midway

    # w2 finishes: its own batches, then (after the lease) the one w1 held; beat's rounds deliver.
    assert wait_until(lambda: statuses(ids) == {"delivered": RESULTS}, timeout=30 * 60, every=3), (
        statuses(ids), fleet.log("w2")[-3000:])

    db.session.expire_all()
    batches = db.session.scalars(select(SigningBatch).where(SigningBatch.id.in_(batch_ids))).all()
    assert {b.status for b in batches} == {"finished"}
    assert max(b.attempt for b in batches) >= 2  # w1's batch was taken over, not left or signed twice
    items = Counter(db.session.scalars(select(SigningBatchItem.status)))
    assert items == Counter({"done": RESULTS})

    assert_recorded_once(ids)

    # pdfsig (an independent validator) on a sample that includes the taken-over batch.
    taken_over = next(b for b in batches if b.attempt >= 2)
    sample = [taken_over.items[0].result_id, taken_over.items[-1].result_id, ids[0], ids[len(ids) // 2], ids[-1]]
    nss = make_nss_db(tmp_path / "nss", load_dev_pki(services(app).settings.pki_dir).root_cert_path)
    documents = services(app).documents
    for result_id in sample[:SAMPLE]:
        path = Path(tmp_path / f"{result_id}.pdf")
        path.write_bytes(documents.get(db.session.get(Result, result_id).signed_sha256))
        found = pdfsig(path, nss)
        assert len(found) == 3, [s.raw for s in found]  # official, agency seal, document timestamp (B-LTA)
        assert [(s.signature_valid, s.certificate_trusted) for s in found[:2]] == [(True, True)] * 2, found[0].raw
        assert found[2].field.endswith("-ts")

    assert_each_delivered_once(app, store, ids)
