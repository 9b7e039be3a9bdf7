"""Celery entry point: `celery -A wallet_service.worker worker` (and `celery -A wallet_service.worker beat`).

Creates the app once from the environment (the same variables as the web processes, plus
CELERY_BROKER_URL) and exposes its Celery app as `celery`. The Flask app is `flask_app`, not `app`:
Celery's `-A` looks for `app` first."""
from __future__ import annotations

from . import create_app
from .platform.config import ConfigError
from .services import services

# Celery's pool processes are the parallelism (`--concurrency`, one per core): each signs its batch
# in-process. They are daemonic and may not start a signing process pool, so SIGNING_WORKERS (the
# embedded default's pool size) does not apply here.
flask_app = create_app({"signing_workers": 1})
if services(flask_app).celery is None:
    raise ConfigError("Set CELERY_BROKER_URL (redis://... or amqp://...) for the Celery worker and beat.")
celery = services(flask_app).celery
