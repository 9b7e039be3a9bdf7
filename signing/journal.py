"""The batch journal: what a crashed batch needs to resume without signing any result
twice and without losing one.

Protocol, per result and per signature step (0 = official, 1 = agency, ...):

    (absent) --save_prepared--> PREPARED --save_signatures--> SIGNED --save_finished--> FINISHED
         \\__________________________ save_failed ________________________________--> FAILED

- The prepared PDF is stored *before* its digest is signed: the signature only fits those
  exact bytes, so a resumed batch finishes the stored file instead of preparing anew.
- Signature values are stored as soon as the key source returns them, in one atomic write
  per signing call; ``save_signatures`` refuses a second signature for the same result and
  step (:class:`JournalError`), so a resume never asks the key for it again.
- A step's input is the previous step's FINISHED output, read back from the journal; when the
  next step's prepared document is made from it at once, both are saved in one write and the
  output is not kept (the prepared document holds it, and is what a resumed batch goes on from).

The service implements this over its database; :class:`SqliteBatchJournal` is the
reference implementation for tests and the CLI (one file, WAL mode; each call is one
transaction, which survives a killed process).
"""

from __future__ import annotations

import enum
import sqlite3
from pathlib import Path
from typing import Protocol, Sequence

from .document import ItemError, PreparedSignature
from .errors import JournalError


class ItemState(str, enum.Enum):
    """Where a result stands in one signature step."""

    PREPARED = "prepared"
    SIGNED = "signed"
    FINISHED = "finished"
    FAILED = "failed"


class BatchJournal(Protocol):
    """Durable per-result, per-step state of one signing batch."""

    def states(self, step: int) -> dict[str, ItemState]:
        """State of every result the journal knows for ``step``."""

    def save_prepared(self, step: int, prepared: Sequence[PreparedSignature]) -> None:
        """Record prepared documents (state PREPARED), atomically."""

    def pending_digests(self, step: int) -> list[tuple[str, bytes]]:
        """(result_id, to-be-signed digest) of every PREPARED result, in a stable order."""

    def save_signatures(self, step: int, signatures: Sequence[tuple[str, bytes]]) -> None:
        """PREPARED -> SIGNED for each (result_id, signature value), atomically.
        Raises :class:`JournalError` if a result is not PREPARED (e.g. already signed)."""

    def signed(self, step: int, result_ids: Sequence[str]) -> list[tuple[PreparedSignature, bytes]]:
        """Prepared documents and their signature values, for SIGNED results."""

    def save_finished(self, step: int, results: Sequence[tuple[str, bytes]],
                      next_prepared: Sequence[PreparedSignature] = ()) -> None:
        """SIGNED -> FINISHED with the final PDF of this step, atomically; ``next_prepared``: the
        next step's documents prepared from those PDFs, saved PREPARED in the same write (their
        outputs are then not kept)."""

    def save_failed(self, step: int, errors: Sequence[ItemError]) -> None:
        """Any state -> FAILED with the error, atomically."""

    def finished_pdf(self, step: int, result_id: str) -> bytes:
        """The PDF a FINISHED step produced."""

    def failure(self, step: int, result_id: str) -> ItemError:
        """The error of a FAILED result."""


_SCHEMA = """
CREATE TABLE IF NOT EXISTS journal (
    result_id TEXT NOT NULL,
    step INTEGER NOT NULL,
    state TEXT NOT NULL,
    document_digest BLOB,
    reserved_start INTEGER,
    reserved_end INTEGER,
    signed_attributes BLOB,
    tbs_digest BLOB,
    signature BLOB,
    error_code TEXT,
    error_message TEXT,
    seq INTEGER,
    PRIMARY KEY (result_id, step)
);
CREATE TABLE IF NOT EXISTS journal_pdf (
    result_id TEXT NOT NULL,
    step INTEGER NOT NULL,
    kind TEXT NOT NULL,
    pdf BLOB NOT NULL,
    PRIMARY KEY (result_id, step, kind)
);
"""
"""The PDFs live apart from the states: SQLite rewrites a whole row on every UPDATE, so a state
change on a row holding its PDF would copy the PDF again."""
_PREPARED, _OUTPUT = "prepared", "output"


class SqliteBatchJournal:
    """:class:`BatchJournal` in one SQLite file (tests, CLI, single-host batches)."""

    def __init__(self, path: "str | Path"):
        self._db = sqlite3.connect(str(path), isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        # A killed process loses nothing committed; only power loss could, which the
        # CLI and tests do not need to survive (the service's database journal does).
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    def _tx(self):
        return _Transaction(self._db)

    def states(self, step: int) -> dict[str, ItemState]:
        rows = self._db.execute("SELECT result_id, state FROM journal WHERE step=?", (step,))
        return {rid: ItemState(state) for rid, state in rows}

    def save_prepared(self, step: int, prepared: Sequence[PreparedSignature]) -> None:
        with self._tx():
            self._insert_prepared(step, prepared)

    def _insert_prepared(self, step: int, prepared: Sequence[PreparedSignature]) -> None:
        seq = self._db.execute("SELECT COALESCE(MAX(seq), 0) FROM journal").fetchone()[0]
        self._db.executemany(
            "INSERT INTO journal (result_id, step, state, document_digest,"
            " reserved_start, reserved_end, signed_attributes, tbs_digest, seq)"
            " VALUES (?,?,?,?,?,?,?,?,?)",
            [(p.result_id, step, ItemState.PREPARED.value, p.document_digest,
              p.reserved_start, p.reserved_end, p.signed_attributes, p.tbs_digest, seq + i + 1)
             for i, p in enumerate(prepared)],
        )
        self._db.executemany(
            "INSERT OR REPLACE INTO journal_pdf (result_id, step, kind, pdf) VALUES (?,?,?,?)",
            [(p.result_id, step, _PREPARED, p.prepared_pdf) for p in prepared])

    def pending_digests(self, step: int) -> list[tuple[str, bytes]]:
        return list(self._db.execute(
            "SELECT result_id, tbs_digest FROM journal WHERE step=? AND state=? ORDER BY seq",
            (step, ItemState.PREPARED.value)))

    def save_signatures(self, step: int, signatures: Sequence[tuple[str, bytes]]) -> None:
        with self._tx():
            for result_id, signature in signatures:
                cur = self._db.execute(
                    "UPDATE journal SET state=?, signature=? WHERE result_id=? AND step=? AND state=?",
                    (ItemState.SIGNED.value, signature, result_id, step, ItemState.PREPARED.value))
                if cur.rowcount != 1:
                    raise JournalError(
                        f"Result {result_id} is not waiting for a signature in step {step}; "
                        "refusing to sign it twice.", code="already_signed")

    def signed(self, step: int, result_ids: Sequence[str]) -> list[tuple[PreparedSignature, bytes]]:
        out = []
        for rid in result_ids:
            row = self._db.execute(
                "SELECT p.pdf, j.document_digest, j.reserved_start, j.reserved_end,"
                " j.signed_attributes, j.tbs_digest, j.signature FROM journal j"
                " JOIN journal_pdf p ON p.result_id=j.result_id AND p.step=j.step AND p.kind=?"
                " WHERE j.result_id=? AND j.step=? AND j.state=?",
                (_PREPARED, rid, step, ItemState.SIGNED.value)).fetchone()
            if row is None:
                raise JournalError(f"Result {rid} has no signature in step {step}.")
            out.append((PreparedSignature(rid, *row[:6]), row[6]))
        return out

    def save_finished(self, step: int, results: Sequence[tuple[str, bytes]],
                      next_prepared: Sequence[PreparedSignature] = ()) -> None:
        superseded = {p.result_id for p in next_prepared}
        with self._tx():
            for result_id, pdf in results:
                cur = self._db.execute(
                    "UPDATE journal SET state=? WHERE result_id=? AND step=? AND state=?",
                    (ItemState.FINISHED.value, result_id, step, ItemState.SIGNED.value))
                if cur.rowcount != 1:
                    raise JournalError(f"Result {result_id} was not signed in step {step}.")
            # the prepared copy is no longer needed once the output exists
            self._db.executemany(
                "DELETE FROM journal_pdf WHERE result_id=? AND step=? AND kind=?",
                [(rid, step, _PREPARED) for rid, _ in results])
            self._db.executemany(
                "INSERT OR REPLACE INTO journal_pdf (result_id, step, kind, pdf) VALUES (?,?,?,?)",
                [(rid, step, _OUTPUT, pdf) for rid, pdf in results if rid not in superseded])
            if next_prepared:
                self._insert_prepared(step + 1, next_prepared)

    def save_failed(self, step: int, errors: Sequence[ItemError]) -> None:
        with self._tx():
            self._db.executemany(
                "INSERT INTO journal (result_id, step, state, error_code, error_message)"
                " VALUES (?,?,?,?,?) ON CONFLICT (result_id, step) DO UPDATE SET"
                " state=excluded.state, error_code=excluded.error_code,"
                " error_message=excluded.error_message",
                [(e.result_id, step, ItemState.FAILED.value, e.code, e.message) for e in errors])
            self._db.executemany("DELETE FROM journal_pdf WHERE result_id=? AND step=? AND kind=?",
                                 [(e.result_id, step, _PREPARED) for e in errors])

    def finished_pdf(self, step: int, result_id: str) -> bytes:
        row = self._db.execute(
            "SELECT p.pdf FROM journal j JOIN journal_pdf p"
            " ON p.result_id=j.result_id AND p.step=j.step AND p.kind=?"
            " WHERE j.result_id=? AND j.step=? AND j.state=?",
            (_OUTPUT, result_id, step, ItemState.FINISHED.value)).fetchone()
        if row is None:
            raise JournalError(f"Result {result_id} has no output for step {step}.")
        return row[0]

    def failure(self, step: int, result_id: str) -> ItemError:
        row = self._db.execute(
            "SELECT error_code, error_message FROM journal WHERE result_id=? AND step=?",
            (result_id, step)).fetchone()
        return ItemError(result_id, row[0], row[1])

    def signature_count(self, step: int) -> int:
        """How many signature values the journal holds for ``step`` (for checks and tests)."""
        return self._db.execute(
            "SELECT COUNT(*) FROM journal WHERE step=? AND signature IS NOT NULL", (step,)
        ).fetchone()[0]


class _Transaction:
    def __init__(self, db: sqlite3.Connection):
        self._db = db

    def __enter__(self):
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type, *_):
        self._db.execute("ROLLBACK" if exc_type else "COMMIT")
