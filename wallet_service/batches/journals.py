"""Where a signing batch's journal (`signing.journal.BatchJournal`) is kept: the prepared documents,
signature values and finished PDFs that let any worker resume a batch without signing twice.
Every user of a batch's journal (preparation, authorisation, signing) opens it here.

The journal lives in the service's database, so a worker on another machine that takes a batch over
finds what the dead worker signed. Each call is one short transaction of its own (what was written
survives a killed worker) and is fenced by the batch's attempt number, the token `runner.claim_batch`
raises on each takeover: a worker that outlived its lease writes nothing more, as for its items. Writes
hold the batch row FOR SHARE, so a takeover (an UPDATE of that row) waits for a write under way, and
the rows they move are locked FOR UPDATE and moved only from the state the protocol expects: two
signature values for one result and step are never both kept.

A finished step's PDF that is kept (the batch's signed documents) goes to the document store, shared by
every machine, before the journal records it FINISHED with its SHA-256: the database is spared a copy of
each signed PDF, and the service's recording of the result finds it stored already. A write that then
fails (a lost lease) leaves an unreferenced file, as a crash before recording always could."""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from flask import Flask
from sqlalchemy import Connection, Engine, Select, bindparam, delete, func, insert, select, update

from signing.document import ItemError, PreparedSignature
from signing.errors import JournalError
from signing.journal import ItemState

from ..platform.storage import DocumentStore
from ..services import services

from ..models import SigningBatch, SigningJournalEntry, db

_ENTRY = SigningJournalEntry.__table__
_PREPARED_COLUMNS = ("prepared_pdf", "document_digest", "reserved_start", "reserved_end", "signed_attributes",
                     "tbs_digest")


def open_journal(app: Flask, batch_id: str, attempt: int | None = None) -> DatabaseBatchJournal:
    """The batch's journal, writing while the batch's attempt number is `attempt` (None: its current one);
    the caller closes it (`close()`)."""
    with app.app_context():
        engine = db.engine
    if attempt is None:
        with engine.connect() as connection:
            attempt = connection.scalar(select(SigningBatch.attempt).where(SigningBatch.id == batch_id))
    return DatabaseBatchJournal(engine, batch_id, attempt, services(app).documents)


def discard_journal(app: Flask, batch_id: str) -> None:
    """Forget a finished or expired batch's journal."""
    with app.app_context():
        engine = db.engine
    with engine.begin() as connection:
        connection.execute(delete(_ENTRY).where(_ENTRY.c.batch_id == batch_id))


class DatabaseBatchJournal:
    """`signing.journal.BatchJournal` over the `signing_journal_entries` table, for one batch."""

    def __init__(self, engine: Engine, batch_id: str, attempt: int | None, documents: DocumentStore | None = None):
        """`documents`: where finished PDFs are kept (None: in the journal's rows)."""
        self._engine, self._batch_id, self._attempt = engine, batch_id, attempt
        self._documents = documents
        self._stored: dict[str, str] = {}  # result id -> SHA-256 of the output this journal stored, until taken

    def close(self) -> None:
        """Nothing stays open between calls."""

    def _of(self, step: int):
        return (_ENTRY.c.batch_id == self._batch_id) & (_ENTRY.c.step == step)

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        """One write transaction, begun only while the batch's attempt is still the journal's."""
        with self._engine.begin() as connection:
            current = connection.scalar(
                select(SigningBatch.attempt).where(SigningBatch.id == self._batch_id).with_for_update(read=True))
            if current != self._attempt:
                raise JournalError(f"Batch {self._batch_id} was taken over by another worker; this one writes "
                                   "nothing more to its journal.", code="lost_lease")
            yield connection

    def states(self, step: int) -> dict[str, ItemState]:
        with self._engine.connect() as connection:
            rows = connection.execute(select(_ENTRY.c.result_id, _ENTRY.c.state).where(self._of(step)))
            return {rid: ItemState(state) for rid, state in rows}

    def save_prepared(self, step: int, prepared: Sequence[PreparedSignature]) -> None:
        if not prepared:
            return
        with self._write() as connection:
            self._insert_prepared(connection, step, prepared)

    def _insert_prepared(self, connection: Connection, step: int, prepared: Sequence[PreparedSignature]) -> None:
        seq = connection.scalar(
            select(func.coalesce(func.max(_ENTRY.c.seq), 0)).where(_ENTRY.c.batch_id == self._batch_id))
        connection.execute(insert(_ENTRY), [
            {"batch_id": self._batch_id, "step": step, "result_id": p.result_id, "state": ItemState.PREPARED.value,
             "seq": seq + i, **{name: getattr(p, name) for name in _PREPARED_COLUMNS if name != "prepared_pdf"},
             **_stored_prepared(p)}
            for i, p in enumerate(prepared, start=1)])

    def pending_digests(self, step: int) -> list[tuple[str, bytes]]:
        with self._engine.connect() as connection:
            rows = connection.execute(
                select(_ENTRY.c.result_id, _ENTRY.c.tbs_digest)
                .where(self._of(step), _ENTRY.c.state == ItemState.PREPARED.value).order_by(_ENTRY.c.seq))
            return [(rid, digest) for rid, digest in rows]

    def save_signatures(self, step: int, signatures: Sequence[tuple[str, bytes]]) -> None:
        with self._write() as connection:
            states = self._lock(connection, step, [rid for rid, _ in signatures])
            for result_id, _ in signatures:
                if states.get(result_id) != ItemState.PREPARED.value:
                    raise JournalError(f"Result {result_id} is not waiting for a signature in step {step}; "
                                       "refusing to sign it twice.", code="already_signed")
            connection.execute(
                update(_ENTRY).where(self._of(step), _ENTRY.c.result_id == bindparam("rid"))
                .values(state=ItemState.SIGNED.value, signature=bindparam("value")),
                [{"rid": rid, "value": value} for rid, value in signatures])

    def signed(self, step: int, result_ids: Sequence[str]) -> list[tuple[PreparedSignature, bytes]]:
        columns = [getattr(_ENTRY.c, name) for name in _PREPARED_COLUMNS]
        query = (select(_ENTRY.c.result_id, *columns, _ENTRY.c.signature, _ENTRY.c.placeholder_omitted)
                 .where(self._of(step), _ENTRY.c.state == ItemState.SIGNED.value,
                        _ENTRY.c.result_id.in_(list(result_ids))))
        with self._engine.connect() as connection:
            rows = {row[0]: row[1:] for row in _binary_rows(connection, query)}
        missing = [rid for rid in result_ids if rid not in rows]
        if missing:
            raise JournalError(f"Result {missing[0]} has no signature in step {step}.")
        return [(_read_prepared(rid, rows[rid][:6], rows[rid][7]), rows[rid][6]) for rid in result_ids]

    def save_finished(self, step: int, results: Sequence[tuple[str, bytes]],
                      next_prepared: Sequence[PreparedSignature] = ()) -> None:
        superseded = {p.result_id for p in next_prepared}
        kept = [(rid, pdf) for rid, pdf in results if rid not in superseded]
        # stored (and synced) before the transaction: its locks are not held while files are written
        stored = dict(zip([rid for rid, _ in kept], self._documents.put_many([pdf for _, pdf in kept]))
                      ) if self._documents is not None and kept else {}
        with self._write() as connection:
            states = self._lock(connection, step, [rid for rid, _ in results])
            for result_id, _ in results:
                if states.get(result_id) != ItemState.SIGNED.value:
                    raise JournalError(f"Result {result_id} was not signed in step {step}.")
            # the prepared copy is no longer needed once the output exists; nor the output once the next
            # step's prepared document, made from it, is saved with it
            connection.execute(
                update(_ENTRY).where(self._of(step), _ENTRY.c.result_id == bindparam("rid"))
                .values(state=ItemState.FINISHED.value, output_pdf=bindparam("pdf"),
                        output_sha256=bindparam("sha256"), prepared_pdf=None),
                [{"rid": rid, "pdf": None if rid in superseded or rid in stored else pdf, "sha256": stored.get(rid)}
                 for rid, pdf in results])
            if next_prepared:
                self._insert_prepared(connection, step + 1, next_prepared)
        self._stored.update(stored)

    def take_stored(self, result_id: str) -> str | None:
        """The SHA-256 under which this journal stored `result_id`'s output in the document store (once:
        the recording of the result needs neither to hash nor to store it again), else None."""
        return self._stored.pop(result_id, None)

    def save_failed(self, step: int, errors: Sequence[ItemError]) -> None:
        with self._write() as connection:
            known = self._lock(connection, step, [e.result_id for e in errors])
            for error in errors:
                values = {"state": ItemState.FAILED.value, "error_code": error.code, "error_message": error.message,
                          "prepared_pdf": None}
                if error.result_id in known:
                    connection.execute(update(_ENTRY).where(self._of(step), _ENTRY.c.result_id == error.result_id)
                                       .values(**values))
                else:
                    connection.execute(insert(_ENTRY).values(
                        batch_id=self._batch_id, step=step, result_id=error.result_id, **values))

    def finished_pdf(self, step: int, result_id: str) -> bytes:
        with self._engine.connect() as connection:
            rows = _binary_rows(connection, select(_ENTRY.c.output_pdf, _ENTRY.c.output_sha256).where(
                self._of(step), _ENTRY.c.result_id == result_id, _ENTRY.c.state == ItemState.FINISHED.value))
        pdf, sha256 = rows[0] if rows else (None, None)
        if pdf is None and sha256 is not None and self._documents is not None:
            try:
                pdf = self._documents.get(sha256)
            except KeyError:
                raise JournalError(f"The output of result {result_id} for step {step} is missing from the "
                                   "document store.") from None
        if pdf is None:
            raise JournalError(f"Result {result_id} has no output for step {step}.")
        return pdf

    def failure(self, step: int, result_id: str) -> ItemError:
        with self._engine.connect() as connection:
            row = connection.execute(select(_ENTRY.c.error_code, _ENTRY.c.error_message).where(
                self._of(step), _ENTRY.c.result_id == result_id)).one()
        return ItemError(result_id, row[0], row[1])

    def signature_count(self, step: int) -> int:
        """How many signature values the journal holds for `step` (for checks and tests)."""
        with self._engine.connect() as connection:
            return connection.scalar(select(func.count()).select_from(_ENTRY).where(
                self._of(step), _ENTRY.c.signature.is_not(None)))

    def _lock(self, connection: Connection, step: int, result_ids: list[str]) -> dict[str, str]:
        """The state of each of `result_ids` known in `step`, their rows locked until the write commits."""
        rows = connection.execute(
            select(_ENTRY.c.result_id, _ENTRY.c.state)
            .where(self._of(step), _ENTRY.c.result_id.in_(result_ids)).with_for_update())
        return dict(rows.all())


def _placeholder(length: int) -> bytes:
    return b"<" + b"0" * (length - 2) + b">"


def _stored_prepared(prepared: PreparedSignature) -> dict:
    """The row's `prepared_pdf` and `placeholder_omitted`: the signature placeholder (11-20 KB of zeros) is
    left out when it is exactly an empty one, so the database neither writes nor reads it."""
    pdf, start, end = prepared.prepared_pdf, prepared.reserved_start, prepared.reserved_end
    if end - start >= 2 and memoryview(pdf)[start:end] == _placeholder(end - start):
        return {"prepared_pdf": pdf[:start] + pdf[end:], "placeholder_omitted": True}
    return {"prepared_pdf": pdf, "placeholder_omitted": False}


def _read_prepared(result_id: str, columns: tuple, placeholder_omitted: bool | None) -> PreparedSignature:
    """The prepared document of a row (`_PREPARED_COLUMNS`), its placeholder put back."""
    pdf, digest, start, end, *rest = columns
    if placeholder_omitted:
        pdf = b"".join((pdf[:start], _placeholder(end - start), pdf[start:]))
    return PreparedSignature(result_id, pdf, digest, start, end, *rest)


def _binary_rows(connection: Connection, statement: Select) -> list[tuple]:
    """The rows of `statement`; on PostgreSQL read in binary format, because a PDF sent as bytea's hex
    text costs both sides ~4x the CPU (SQLAlchemy has no option for psycopg's binary cursors)."""
    if connection.dialect.name != "postgresql":
        return [tuple(row) for row in connection.execute(statement)]
    compiled = statement.compile(dialect=connection.dialect, compile_kwargs={"render_postcompile": True})
    with connection.connection.driver_connection.cursor(binary=True) as cursor:
        cursor.execute(compiled.string, compiled.params)
        return cursor.fetchall()
