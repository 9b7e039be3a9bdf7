"""Service indices for leaders: on time, volumes, pending work, delivery time, citizens' satisfaction.
`scope` (who sees which agencies, filters), `queries` (aggregated SQL), `figures` (JSON, CSV),
`views` (`/official/dashboard`, its CSV) and `api` (`GET /api/v1/stats`)."""
from __future__ import annotations

from flask import Flask

from ..services import services


def init_app(app: Flask) -> None:
    from . import api, views

    services(app).api.register_blueprint(api.blp)
    app.register_blueprint(views.bp)
