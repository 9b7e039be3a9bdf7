"""The citizen's wallet inside the service: `/wallet/` pages and `GET /api/v1/wallet/results`.
Which results a citizen sees and what each allows is decided once, in `results`."""
from __future__ import annotations

from flask import Flask
from ..services import services


def init_app(app: Flask) -> None:
    from . import api, rating_api, views

    services(app).api.register_blueprint(api.blp)
    services(app).api.register_blueprint(rating_api.blp)
    app.register_blueprint(views.bp)
