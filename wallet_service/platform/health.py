"""Operators' probes: /healthz (the process answers) and /readyz (it can do its work)."""
from __future__ import annotations

from flask import Blueprint, jsonify
from sqlalchemy import text

from ..models import db
from ..services import services

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    return jsonify(status="ok")


def _check_database() -> None:
    db.session.execute(text("SELECT 1"))


def _check_documents() -> None:
    services().documents.check_writable()


@bp.get("/readyz")
def readyz():
    """Each dependency named with ok or the reason it is not; 503 when any is not."""
    checks = {"database": _check_database, "documents": _check_documents}
    checks.update(services().readiness_checks)
    report, ready = {}, True
    for name, check in checks.items():
        try:
            check()
            report[name] = "ok"
        except Exception as exc:  # a probe reports every failure rather than raising it
            report[name] = f"failing: {type(exc).__name__}: {exc}"
            ready = False
    return jsonify(status="ready" if ready else "not ready", checks=report), 200 if ready else 503
