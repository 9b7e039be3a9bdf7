"""Where a signing batch's journal (`signing.journal.BatchJournal`) is kept: the prepared documents,
signature values and finished PDFs that let any worker resume a batch without signing twice.
Every user of a batch's journal (preparation, authorisation, signing) opens it here."""
from __future__ import annotations

from pathlib import Path

from flask import Flask

from signing.journal import BatchJournal, SqliteBatchJournal

from ..services import services


def open_journal(app: Flask, batch_id: str) -> BatchJournal:
    """The batch's journal; the caller closes it (`close()`)."""
    return SqliteBatchJournal(_journal_path(services(app).settings.instance_path, batch_id))


def discard_journal(app: Flask, batch_id: str) -> None:
    """Forget a finished or expired batch's journal."""
    _journal_path(services(app).settings.instance_path, batch_id).unlink(missing_ok=True)


def _journal_path(instance_path: Path, batch_id: str) -> Path:
    folder = instance_path / "journals"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{batch_id}.sqlite3"
