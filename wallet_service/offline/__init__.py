"""Offline verification of printed results: each signing batch's offline codes (`codes`, printed by
the stamp), the signed trust list at `/.well-known/result-trust-list` (`trust_list`), the verifier
page `/verify/offline` that works with no network (`views`, static `offline/`), and
`wallet-service verify-qr` (`cli`). The code's format is the `offline_qr` package's."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from . import views

    app.register_blueprint(views.bp)
