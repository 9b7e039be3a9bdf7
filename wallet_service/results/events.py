"""What happens to a result, as blinker signals other features react to (the delivery outbox, the
credential status lists). Sent with the app as sender, inside the transaction that made the change,
so a receiver's rows commit or roll back with it. Receivers connect per app (`connect_for_app`): two
apps in one process never receive each other's events."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from blinker import Namespace
from flask import Flask
from sqlalchemy.orm import Session

from ..models import Result

_signals = Namespace()
results_signed = _signals.signal("results-signed")
"""Sent as `send(app, session=..., results=[...])` once results' signed PDFs are recorded: a batch
records a group in one transaction, and its receivers write their rows for the whole group at once."""
result_delivered = _signals.signal("result-delivered")
"""Sent as `send(app, session=..., result=...)` once a result is `delivered` (every store has it)."""
result_annulled = _signals.signal("result-annulled")
"""Sent as `send(app, session=..., result=...)` once a result is marked annulled."""
result_returned = _signals.signal("result-returned")
"""Sent as `send(app, session=..., result=...)` once a dossier is returned unsigned to its case system."""

Receiver = Callable[[Session, Result], object]
ManyReceiver = Callable[[Session, list[Result]], object]


def connect_for_app(signal, app: Flask, receiver: Receiver) -> None:
    """Call `receiver(session, result)` when `app` sends `signal`. Held strongly (a partial or closure
    would otherwise vanish) and dropped by blinker together with the app."""

    def receive(sender: object, *, session: Session, result: Result) -> None:
        receiver(session, result)

    signal.connect(receive, sender=app, weak=False)


def connect_many_for_app(signal, app: Flask, receiver: ManyReceiver) -> None:
    """`connect_for_app` for a signal sent with `results` (`results_signed`)."""

    def receive(sender: object, *, session: Session, results: list[Result]) -> None:
        receiver(session, results)

    signal.connect(receive, sender=app, weak=False)


@dataclass(frozen=True, eq=False)
class ResultEvents:
    """The result signals as one app sends them: what domain code is given instead of the app."""

    app: Flask

    def signed(self, session: Session, result: Result) -> None:
        self.signed_many(session, [result])

    def signed_many(self, session: Session, results: list[Result]) -> None:
        results_signed.send(self.app, session=session, results=results)

    def delivered(self, session: Session, result: Result) -> None:
        result_delivered.send(self.app, session=session, result=result)

    def annulled(self, session: Session, result: Result) -> None:
        result_annulled.send(self.app, session=session, result=result)

    def returned(self, session: Session, result: Result) -> None:
        result_returned.send(self.app, session=session, result=result)
