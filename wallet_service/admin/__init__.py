"""Administration of the records an operator keeps: agencies and officials (`wallet-service agencies`,
`wallet-service officials`) and the administrator's pages (`/admin/`). Every change is an audit event."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from . import views  # the pages; the CLI and the functions need no Flask app

    app.register_blueprint(views.bp)
