"""The signing journal in the database: what a worker stored is there for the worker that takes its
batch over, a second signature for one document is refused, and a worker that lost its batch writes
nothing more."""
from __future__ import annotations

import datetime as dt
import time

import pytest

from signing.document import ItemError, PreparedSignature
from signing.errors import JournalError
from signing.journal import ItemState
from tests.conftest import official_principal
from wallet_service.batches import creation, runner
from wallet_service.batches.journals import discard_journal, open_journal
from wallet_service.models import db

from .test_batch_leases import ward_ids

pytestmark = pytest.mark.postgres  # SQL behaviour: runs on PostgreSQL too


def prepared(result_id: str) -> PreparedSignature:
    return PreparedSignature(result_id, b"%PDF-1.7 prepared " + result_id.encode(), b"document-digest", 100, 200,
                             b"signed-attributes", b"tbs-" + result_id.encode())


def test_a_batch_taken_over_finds_what_the_first_worker_signed_and_the_first_writes_nothing_more(live_app,
                                                                                                   demo_results):
    first_id, second_id = ward_ids(demo_results, 2)
    batch = creation.create_batch(db.session, official_principal("official1"), [first_id, second_id])
    first = runner.claim_batch(db.session, batch.id, dt.timedelta(seconds=1))
    dead = open_journal(live_app, batch.id, first)
    dead.save_prepared(0, [prepared(first_id), prepared(second_id)])
    dead.save_signatures(0, [(first_id, b"signature-by-the-first-worker")])

    time.sleep(1.2)  # its lease runs out: another worker (another machine) takes the batch over
    second = runner.claim_batch(db.session, batch.id, dt.timedelta(seconds=60))
    taker = open_journal(live_app, batch.id, second)
    assert taker.states(0) == {first_id: ItemState.SIGNED, second_id: ItemState.PREPARED}
    assert taker.pending_digests(0) == [(second_id, b"tbs-" + second_id.encode())]  # only what is left to sign
    ((document, value),) = taker.signed(0, [first_id])
    assert (document, value) == (prepared(first_id), b"signature-by-the-first-worker")

    with pytest.raises(JournalError) as stale:  # the first worker, alive after all, writes nothing more
        dead.save_signatures(0, [(second_id, b"late")])
    assert stale.value.code == "lost_lease"
    taker.save_signatures(0, [(second_id, b"signature-by-the-second-worker")])
    with pytest.raises(JournalError) as twice:
        taker.save_signatures(0, [(second_id, b"again")])
    assert twice.value.code == "already_signed"
    assert taker.signed(0, [second_id])[0][1] == b"signature-by-the-second-worker"

    taker.save_finished(0, [(first_id, b"%PDF-1.7 finished")])
    taker.save_failed(1, [ItemError(second_id, "invalid_document", "broken")])
    assert taker.finished_pdf(0, first_id) == b"%PDF-1.7 finished"
    assert taker.failure(1, second_id) == ItemError(second_id, "invalid_document", "broken")
    discard_journal(live_app, batch.id)
    assert taker.states(0) == {} and taker.states(1) == {}


def test_a_finished_document_saved_with_the_next_steps_prepared_one_is_kept_only_as_that(live_app, demo_results):
    kept_id, superseded_id = ward_ids(demo_results, 2)
    batch = creation.create_batch(db.session, official_principal("official1"), [kept_id, superseded_id])
    journal = open_journal(live_app, batch.id, runner.claim_batch(db.session, batch.id, dt.timedelta(seconds=60)))
    journal.save_prepared(0, [prepared(kept_id), prepared(superseded_id)])
    journal.save_signatures(0, [(kept_id, b"s1"), (superseded_id, b"s2")])

    journal.save_finished(0, [(kept_id, b"%PDF-1.7 kept"), (superseded_id, b"%PDF-1.7 superseded")],
                          [prepared(superseded_id)])
    assert journal.states(0) == {kept_id: ItemState.FINISHED, superseded_id: ItemState.FINISHED}
    assert journal.states(1) == {superseded_id: ItemState.PREPARED}  # in the same write
    assert journal.pending_digests(1) == [(superseded_id, b"tbs-" + superseded_id.encode())]
    assert journal.finished_pdf(0, kept_id) == b"%PDF-1.7 kept"
    with pytest.raises(JournalError):  # the next step goes on from its prepared document, not this output
        journal.finished_pdf(0, superseded_id)
    discard_journal(live_app, batch.id)


def test_a_finished_pdf_is_kept_in_the_document_store_and_the_journal_holds_its_digest(live_app, demo_results):
    """The batch's signed PDFs go to the shared document store when their step finishes; the journal row keeps
    their SHA-256 only, and a worker that takes the batch over reads the PDF back from the store."""
    import hashlib

    from sqlalchemy import select

    from wallet_service.models import SigningJournalEntry
    from wallet_service.services import services

    (result_id,) = ward_ids(demo_results, 1)
    batch = creation.create_batch(db.session, official_principal("official1"), [result_id])
    journal = open_journal(live_app, batch.id, runner.claim_batch(db.session, batch.id, dt.timedelta(seconds=60)))
    journal.save_prepared(0, [prepared(result_id)])
    journal.save_signatures(0, [(result_id, b"s1")])
    signed_pdf = b"%PDF-1.7 signed " + result_id.encode()
    journal.save_finished(0, [(result_id, signed_pdf)])

    digest = hashlib.sha256(signed_pdf).hexdigest()
    row = db.session.execute(select(SigningJournalEntry.output_pdf, SigningJournalEntry.output_sha256).where(
        SigningJournalEntry.batch_id == batch.id, SigningJournalEntry.result_id == result_id)).one()
    assert tuple(row) == (None, digest)
    assert services(live_app).documents.get(digest) == signed_pdf
    assert open_journal(live_app, batch.id).finished_pdf(0, result_id) == signed_pdf
    discard_journal(live_app, batch.id)


def test_a_prepared_pdf_is_stored_without_its_empty_placeholder_and_read_back_whole(live_app, demo_results):
    from sqlalchemy import func, select

    from wallet_service.models import SigningJournalEntry

    empty_id, filled_id = ward_ids(demo_results, 2)
    batch = creation.create_batch(db.session, official_principal("official1"), [empty_id, filled_id])
    journal = open_journal(live_app, batch.id, runner.claim_batch(db.session, batch.id, dt.timedelta(seconds=60)))
    head, tail = b"%PDF-1.7 ... /Contents ", b" /ByteRange [...] >> endobj trailer"
    empty = head + b"<" + b"0" * 8190 + b">" + tail
    odd = head + b"<" + b"0" * 8189 + b"1>" + tail  # not an empty placeholder: stored as it is
    start, end = len(head), len(head) + 8192
    documents = {empty_id: empty, filled_id: odd}
    journal.save_prepared(0, [PreparedSignature(rid, pdf, b"digest", start, end, b"attrs", b"tbs-" + rid.encode())
                              for rid, pdf in documents.items()])
    journal.save_signatures(0, [(empty_id, b"s1"), (filled_id, b"s2")])

    read = {p.result_id: p.prepared_pdf for p, _ in journal.signed(0, [empty_id, filled_id])}
    assert read == documents
    stored = dict(db.session.execute(select(SigningJournalEntry.result_id, func.length(SigningJournalEntry.prepared_pdf))
                                     .where(SigningJournalEntry.batch_id == batch.id)).all())
    assert stored == {empty_id: len(empty) - 8192, filled_id: len(odd)}
    discard_journal(live_app, batch.id)


def _signed_twice(der: bytes) -> tuple[PreparedSignature, bytes, PreparedSignature]:
    """A prepared document with an empty placeholder, its output (`der` written in by pyHanko, as the pipeline
    finishes it) and the next step's prepared document: that output with an increment appended, holding the
    next signature's empty placeholder."""
    from io import BytesIO

    from pyhanko.sign.signers.pdf_byterange import PreparedByteRangeDigest

    head, tail = b"%PDF-1.7 ... /Contents ", b" /ByteRange [...] >> endobj trailer\n%%EOF\n"
    first = head + b"<" + b"0" * 8190 + b">" + tail
    start, end = len(head), len(head) + 8192
    output = BytesIO(first)
    PreparedByteRangeDigest(b"digest-0", start, end).fill_with_cms(output, der)
    increment = b"2 0 obj << /Type /Sig /Contents "
    second = output.getvalue() + increment + b"<" + b"0" * 4094 + b"> >> endobj trailer\n%%EOF\n"
    next_start = len(output.getvalue()) + len(increment)
    return (PreparedSignature("", first, b"digest-0", start, end, b"attrs-0", b"tbs-0"), output.getvalue(),
            PreparedSignature("", second, b"digest-1", next_start, next_start + 4096, b"attrs-1", b"tbs-1"))


def _stored(batch_id: str, result_id: str) -> dict[int, tuple]:
    from sqlalchemy import func, select

    from wallet_service.models import SigningJournalEntry as Entry

    rows = db.session.execute(select(Entry.step, func.length(Entry.prepared_pdf), Entry.prior_contents).where(
        Entry.batch_id == batch_id, Entry.result_id == result_id)).all()
    return {step: (length, None if contents is None else bytes(contents)) for step, length, contents in rows}


def _sign_first_step(journal, result_id: str, first: PreparedSignature) -> None:
    from dataclasses import replace

    journal.save_prepared(0, [replace(first, result_id=result_id)])
    journal.save_signatures(0, [(result_id, b"value-0")])
    assert journal.signed(0, [result_id])[0][0].prepared_pdf == first.prepared_pdf


# ends in zero bytes: their hex digits are the placeholder's padding too
DER = bytes.fromhex("3082010a06092a864886f70d010702a0") + bytes(range(1, 200)) + b"\x10\x00"


def test_a_prepared_pdf_extending_the_previous_output_is_stored_as_its_increment_and_read_back_whole(
        live_app, demo_results):
    from dataclasses import replace

    (result_id,) = ward_ids(demo_results, 1)
    batch = creation.create_batch(db.session, official_principal("official1"), [result_id])
    attempt = runner.claim_batch(db.session, batch.id, dt.timedelta(seconds=60))
    journal = open_journal(live_app, batch.id, attempt)
    first, output, second = _signed_twice(DER)
    second = replace(second, result_id=result_id)
    _sign_first_step(journal, result_id, first)

    journal.save_finished(0, [(result_id, output)], [second])
    increment = len(second.prepared_pdf) - len(output) - 4096  # without its empty placeholder either
    # the first step's prepared PDF is kept, the output is not; DER's last zero byte is the placeholder's padding
    assert _stored(batch.id, result_id) == {0: (len(first.prepared_pdf) - 8192, None), 1: (increment, DER[:-1])}
    journal.save_signatures(1, [(result_id, b"value-1")])
    assert journal.signed(1, [result_id]) == [(second, b"value-1")]
    # a worker that takes the batch over reads the same bytes
    assert open_journal(live_app, batch.id, attempt).signed(1, [result_id]) == [(second, b"value-1")]

    journal.save_finished(1, [(result_id, second.prepared_pdf + b"finished")])
    assert journal.finished_pdf(1, result_id) == second.prepared_pdf + b"finished"
    discard_journal(live_app, batch.id)


@pytest.mark.parametrize("case", ["next_does_not_begin_with_the_output", "output_changed_outside_the_placeholder",
                                  "lower_case_hex", "output_not_read_by_this_journal"])
def test_a_prepared_pdf_is_stored_whole_when_the_previous_output_cannot_be_rebuilt_exactly(case, live_app,
                                                                                           demo_results):
    from dataclasses import replace

    (result_id,) = ward_ids(demo_results, 1)
    batch = creation.create_batch(db.session, official_principal("official1"), [result_id])
    attempt = runner.claim_batch(db.session, batch.id, dt.timedelta(seconds=60))
    journal = open_journal(live_app, batch.id, attempt)
    first, output, second = _signed_twice(DER)
    if case == "next_does_not_begin_with_the_output":
        second = replace(second, prepared_pdf=second.prepared_pdf.replace(b"%PDF-1.7", b"%PDF-2.0", 1))
    elif case == "output_changed_outside_the_placeholder":
        output = output.replace(b"/ByteRange [...]", b"/ByteRange [.:.]")
        second = replace(second, prepared_pdf=second.prepared_pdf.replace(b"[...]", b"[.:.]", 1))
    elif case == "lower_case_hex":
        upper, lower = DER.hex().upper().encode(), DER.hex().encode()
        output = output.replace(upper, lower)
        second = replace(second, prepared_pdf=second.prepared_pdf.replace(upper, lower))
    assert second.prepared_pdf.startswith(output) != (case == "next_does_not_begin_with_the_output")
    second = replace(second, result_id=result_id)
    _sign_first_step(journal, result_id, first)
    if case == "output_not_read_by_this_journal":
        journal = open_journal(live_app, batch.id, attempt)

    journal.save_finished(0, [(result_id, output)], [second])
    assert _stored(batch.id, result_id) == {0: (None, None), 1: (len(second.prepared_pdf) - 4096, None)}
    journal.save_signatures(1, [(result_id, b"value-1")])
    assert journal.signed(1, [result_id]) == [(second, b"value-1")]
    discard_journal(live_app, batch.id)


@pytest.mark.parametrize("kept", [2, 1, 0])
def test_the_journal_that_prepared_the_next_step_signs_it_from_memory_and_a_resumed_one_from_the_database(
        kept, live_app, demo_results, monkeypatch):
    from dataclasses import replace

    from sqlalchemy import update

    from wallet_service.batches import journals
    from wallet_service.models import SigningJournalEntry as Entry

    ids = ward_ids(demo_results, 2)
    batch = creation.create_batch(db.session, official_principal("official1"), ids)
    attempt = runner.claim_batch(db.session, batch.id, dt.timedelta(seconds=60))
    journal = open_journal(live_app, batch.id, attempt)
    first, output, second = _signed_twice(DER)
    seconds = [replace(second, result_id=rid) for rid in ids]
    monkeypatch.setattr(journals._KeptDocuments, "KEPT_BYTES", kept * len(second.prepared_pdf))  # room for `kept`
    for rid in ids:
        _sign_first_step(journal, rid, first)
    journal.save_finished(0, [(rid, output) for rid in ids], seconds)
    journal.save_signatures(1, [(rid, b"value-1") for rid in ids])
    # the first step's prepared PDFs, which the next step's extend, damaged where the journal kept the latter
    db.session.execute(update(Entry).where(Entry.batch_id == batch.id, Entry.step == 0, Entry.result_id.in_(ids[:kept]))
                       .values(prepared_pdf=b"damaged"))
    db.session.commit()

    assert journal.signed(1, ids) == [(s, b"value-1") for s in seconds]  # the kept ones not read back
    if kept:  # a worker taking the batch over reads them back, and would have found the damage
        assert open_journal(live_app, batch.id, attempt).signed(1, ids[:kept]) != [(s, b"value-1") for s in seconds[:kept]]
    discard_journal(live_app, batch.id)
