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
fails (a lost lease) leaves an unreferenced file, as a crash before recording always could.

A step's output that the next step's prepared PDF extends is not stored at all, and the next step's prepared
PDF is stored as what it appends (`prior_contents` set): the output is this step's prepared PDF, kept in its
row, with the signature's contents in its placeholder, which are stored too. That is checked byte for byte
before it is relied on; a PDF that is not rebuilt exactly is stored whole. The worker that saved them keeps
those next step's documents in memory (up to 64 MB) until it signs them: rebuilding one reads the previous
step's prepared PDF back, which only a worker taking the batch over needs to."""
from __future__ import annotations

import binascii
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
_ROW = tuple(getattr(_ENTRY.c, name) for name in (*_PREPARED_COLUMNS, "placeholder_omitted", "prior_contents"))


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
        # (step, result id) -> the prepared document `signed` read, until its step finishes or fails: what its
        # output is compared with before the next step's prepared PDF is stored as an extension of it
        self._signed: dict[tuple[int, str], PreparedSignature] = {}
        # the next step's prepared documents `save_finished` stored, until `signed` reads them: rebuilding
        # one from its rows reads the previous step's prepared PDF back (~66 KB a result)
        self._kept = _KeptDocuments()

    def close(self) -> None:
        """Nothing stays open between calls."""
        self._signed.clear()
        self._kept.clear()

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

    def _insert_prepared(self, connection: Connection, step: int, prepared: Sequence[PreparedSignature],
                         extending: dict[str, tuple[int, bytes]] | None = None) -> None:
        """`extending`: result id -> (length of the previous step's output, which the prepared PDF begins
        with; the signature contents that make that output of the previous step's prepared PDF)."""
        seq = connection.scalar(
            select(func.coalesce(func.max(_ENTRY.c.seq), 0)).where(_ENTRY.c.batch_id == self._batch_id))
        extending = extending or {}
        connection.execute(insert(_ENTRY), [
            {"batch_id": self._batch_id, "step": step, "result_id": p.result_id, "state": ItemState.PREPARED.value,
             "seq": seq + i, **{name: getattr(p, name) for name in _PREPARED_COLUMNS if name != "prepared_pdf"},
             **_stored_prepared(p, *extending.get(p.result_id, (0, None)))}
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
        documents = self._kept.take(step, result_ids)
        unread = [rid for rid in result_ids if rid not in documents]
        # the prepared documents' columns only for those this journal does not hold
        values = select(_ENTRY.c.result_id, _ENTRY.c.signature, *(_ROW if not documents else ()))
        query = values.where(self._of(step), _ENTRY.c.state == ItemState.SIGNED.value,
                             _ENTRY.c.result_id.in_(list(result_ids)))
        with self._engine.connect() as connection:
            rows = {row[0]: row[1:] for row in _binary_rows(connection, query)}
            missing = [rid for rid in result_ids if rid not in rows]
            if missing:
                raise JournalError(f"Result {missing[0]} has no signature in step {step}.")
            if unread and documents:
                query = select(_ENTRY.c.result_id, *_ROW).where(self._of(step), _ENTRY.c.result_id.in_(unread))
                unread_rows = {row[0]: row[1:] for row in _binary_rows(connection, query)}
            else:
                unread_rows = {rid: rows[rid][1:] for rid in unread}
            documents.update(self._prepared_documents(connection, step, unread_rows))
        self._signed.update(((step, rid), document) for rid, document in documents.items())
        return [(documents[rid], rows[rid][0]) for rid in result_ids]

    def _prepared_documents(self, connection: Connection, step: int,
                            rows: dict[str, tuple]) -> dict[str, PreparedSignature]:
        """The prepared documents of `rows` (`_ROW`) of `step`, those stored as extensions rebuilt from the
        previous step's rows."""
        extending = [rid for rid, row in rows.items() if row[-1] is not None]
        previous = {}
        if extending:
            query = select(_ENTRY.c.result_id, *_ROW).where(self._of(step - 1), _ENTRY.c.result_id.in_(extending))
            previous = self._prepared_documents(
                connection, step - 1, {row[0]: row[1:] for row in _binary_rows(connection, query)})
        return {rid: _read_prepared(rid, row, previous.get(rid)) for rid, row in rows.items()}

    def save_finished(self, step: int, results: Sequence[tuple[str, bytes]],
                      next_prepared: Sequence[PreparedSignature] = ()) -> None:
        superseded = {p.result_id for p in next_prepared}
        kept = [(rid, pdf) for rid, pdf in results if rid not in superseded]
        extending = self._extensions(step, results, next_prepared)
        # stored (and synced) before the transaction: its locks are not held while files are written
        stored = dict(zip([rid for rid, _ in kept], self._documents.put_many([pdf for _, pdf in kept]))
                      ) if self._documents is not None and kept else {}
        with self._write() as connection:
            states = self._lock(connection, step, [rid for rid, _ in results])
            for result_id, _ in results:
                if states.get(result_id) != ItemState.SIGNED.value:
                    raise JournalError(f"Result {result_id} was not signed in step {step}.")
            # the prepared copy is no longer needed once the output exists, unless the next step's is stored
            # as an extension of that output; nor the output once the next step's prepared document, made
            # from it, is saved with it
            finish = (update(_ENTRY).where(self._of(step), _ENTRY.c.result_id == bindparam("rid"))
                      .values(state=ItemState.FINISHED.value, output_pdf=bindparam("pdf"),
                              output_sha256=bindparam("sha256")))
            rows = [{"rid": rid, "pdf": None if rid in superseded or rid in stored else pdf, "sha256": stored.get(rid)}
                    for rid, pdf in results]
            for statement, group in ((finish.values(prepared_pdf=None), [r for r in rows if r["rid"] not in extending]),
                                     (finish, [r for r in rows if r["rid"] in extending])):
                if group:
                    connection.execute(statement, group)
            if next_prepared:
                self._insert_prepared(connection, step + 1, next_prepared, extending)
        self._stored.update(stored)
        self._kept.keep(step + 1, next_prepared)

    def _extensions(self, step: int, results: Sequence[tuple[str, bytes]],
                    next_prepared: Sequence[PreparedSignature]) -> dict[str, tuple[int, bytes]]:
        """For each next step's prepared document that begins with this step's output, where that output is
        exactly what `signed` read with its signature's contents written in: (the output's length, those
        contents). Forgets what `signed` read of `results`."""
        read = {rid: self._signed.pop((step, rid), None) for rid, _ in results}
        outputs = dict(results)
        extending = {}
        for following in next_prepared:
            prepared, output = read.get(following.result_id), outputs.get(following.result_id)
            contents = _contents(prepared, output) if prepared is not None and output is not None else None
            if (contents is not None and following.reserved_start >= len(output)
                    and following.prepared_pdf.startswith(output)):
                extending[following.result_id] = (len(output), contents)
        return extending

    def take_stored(self, result_id: str) -> str | None:
        """The SHA-256 under which this journal stored `result_id`'s output in the document store (once:
        the recording of the result needs neither to hash nor to store it again), else None."""
        return self._stored.pop(result_id, None)

    def save_failed(self, step: int, errors: Sequence[ItemError]) -> None:
        for error in errors:
            self._signed.pop((step, error.result_id), None)
        self._kept.take(step, [e.result_id for e in errors])
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


class _KeptDocuments:
    """Prepared documents a journal saved, by (step, result id), up to `KEPT_BYTES` of PDF: past that, a
    batch's documents are read back from the database as a resumed batch's are."""

    KEPT_BYTES = 64 << 20  # ~600 Decree 30 seal documents (~100 KB each); a batch holds at most 1000

    def __init__(self):
        self._documents: dict[tuple[int, str], PreparedSignature] = {}
        self._size = 0

    def keep(self, step: int, prepared: Sequence[PreparedSignature]) -> None:
        for document in prepared:
            if self._size + len(document.prepared_pdf) > self.KEPT_BYTES:
                return
            self._take((step, document.result_id))
            self._documents[step, document.result_id] = document
            self._size += len(document.prepared_pdf)

    def take(self, step: int, result_ids: Sequence[str]) -> dict[str, PreparedSignature]:
        """The documents kept of `result_ids`, forgotten here."""
        taken = {rid: self._take((step, rid)) for rid in result_ids}
        return {rid: document for rid, document in taken.items() if document is not None}

    def _take(self, key: tuple[int, str]) -> PreparedSignature | None:
        document = self._documents.pop(key, None)
        self._size -= len(document.prepared_pdf) if document is not None else 0
        return document

    def clear(self) -> None:
        self._documents.clear()
        self._size = 0


def _placeholder(length: int) -> bytes:
    return b"<" + b"0" * (length - 2) + b">"


def _stored_prepared(prepared: PreparedSignature, base: int = 0, prior_contents: bytes | None = None) -> dict:
    """The row's `prepared_pdf`, `placeholder_omitted` and `prior_contents`: the PDF from offset `base` (the
    previous step's output, which `prior_contents` rebuild, comes before); the signature placeholder (11-20 KB
    of zeros) is left out when it is exactly an empty one, so the database neither writes nor reads it."""
    pdf, start, end = prepared.prepared_pdf, prepared.reserved_start, prepared.reserved_end
    view = memoryview(pdf)  # its slices are not copies: a PDF is copied once here, not three times
    stored = {"prior_contents": prior_contents, "placeholder_omitted": False}
    # bytes.startswith at an offset compares in place; comparing a memoryview goes byte by byte (~170 µs)
    if end - start >= 2 and start >= base and pdf.startswith(_placeholder(end - start), start):
        return {**stored, "prepared_pdf": b"".join((view[base:start], view[end:])), "placeholder_omitted": True}
    return {**stored, "prepared_pdf": bytes(view[base:]) if base else pdf}


def _read_prepared(result_id: str, row: tuple, previous: PreparedSignature | None) -> PreparedSignature:
    """The prepared document of a row (`_ROW`), its placeholder put back and, when it is stored as an extension,
    the previous step's output (`previous`: that step's prepared document) put before it."""
    pdf, digest, start, end, attributes, tbs_digest, placeholder_omitted, prior_contents = row
    if pdf is None or (prior_contents is not None and previous is None):
        raise JournalError(f"The prepared document of result {result_id} is missing from the journal.")
    base = b"" if prior_contents is None else _filled(previous, prior_contents)
    if placeholder_omitted:
        at, view = start - len(base), memoryview(pdf)
        pdf = b"".join((base, view[:at], _placeholder(end - start), view[at:]))
    elif base:
        pdf = base + pdf
    return PreparedSignature(result_id, pdf, digest, start, end, attributes, tbs_digest)


def _filled(prepared: PreparedSignature, contents: bytes) -> bytes:
    """`prepared` with `contents` in its placeholder, as `signing.document` finishes it (pyHanko's
    `fill_with_cms`: upper-case hex, padded with zeros)."""
    start, end, view = prepared.reserved_start, prepared.reserved_end, memoryview(prepared.prepared_pdf)
    return b"".join((view[:start + 1], _hex(contents, end - start - 2), view[end - 1:]))


def _hex(contents: bytes, width: int) -> bytes:
    return binascii.hexlify(contents).upper().ljust(width, b"0")


def _contents(prepared: PreparedSignature, output: bytes) -> bytes | None:
    """The contents written in `prepared`'s placeholder to make `output`, if `_filled` rebuilds `output`
    from them exactly; else None."""
    start, end = prepared.reserved_start, prepared.reserved_end
    if len(output) != len(prepared.prepared_pdf) or end - start < 2:
        return None
    written = output[start + 1:end - 1]
    value = written.rstrip(b"0")  # the padding; a trailing zero of the value comes back with it
    try:
        contents = binascii.unhexlify(value + b"0" * (len(value) % 2))
    except binascii.Error:
        return None
    # `_filled(prepared, contents) == output` (their lengths are equal), compared in place rather than rebuilt
    pdf = memoryview(prepared.prepared_pdf)
    same = (written == _hex(contents, end - start - 2) and output.startswith(pdf[:start + 1])
            and output.startswith(pdf[end - 1:], end - 1))
    return contents if same else None


def _binary_rows(connection: Connection, statement: Select) -> list[tuple]:
    """The rows of `statement`; on PostgreSQL read in binary format, because a PDF sent as bytea's hex
    text costs both sides ~4x the CPU (SQLAlchemy has no option for psycopg's binary cursors)."""
    if connection.dialect.name != "postgresql":
        return [tuple(row) for row in connection.execute(statement)]
    compiled = statement.compile(dialect=connection.dialect, compile_kwargs={"render_postcompile": True})
    with connection.connection.driver_connection.cursor(binary=True) as cursor:
        cursor.execute(compiled.string, compiled.params)
        return cursor.fetchall()
