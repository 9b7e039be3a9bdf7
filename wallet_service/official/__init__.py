"""The officials' web UI: the agency's signing queue with filters and previews, batch
signing with one confirmation and live progress, the history of signed results with annulment, and
each result's timeline. Server-rendered pages; `static/official.js` calls the public API to sign
and annul, so those actions keep their one implementation and their audit events."""
from __future__ import annotations

from flask import Flask

from . import signature, views  # noqa: F401 (signature adds its pages to views.bp)


def init_app(app: Flask) -> None:
    from . import copies  # noqa: F401  (adds the certified copy page to the blueprint before it is registered)

    app.register_blueprint(views.bp)
