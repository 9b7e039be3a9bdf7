"""Certified electronic copies (chứng thực bản sao điện tử từ bản chính): a digitisation station posts
the scanned pages of a paper original; the copy becomes a searchable PDF/A with the data a later
procedure needs read out; a certifying official confirms the data, and the copy is signed, delivered and
verified as a result of its own kind (`Result.kind == "certified_copy"`). The citizen may share it with
an agency for a later dossier."""

from flask import Flask

from .kinds import CERTIFIER_ROLE, KIND, STATION

__all__ = ["CERTIFIER_ROLE", "KIND", "STATION", "init_app"]


def init_app(app: Flask) -> None:
    from ..services import services
    from . import api, models  # noqa: F401  (models: the tables the Result row refers to)

    services(app).api.register_blueprint(api.blp)
