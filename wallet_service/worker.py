"""Celery entry point: `celery -A wallet_service.worker worker` (and `celery -A wallet_service.worker beat`).

Creates the app once from the environment (the same variables as the web processes, plus
CELERY_BROKER_URL) and exposes its Celery app as `celery`. The Flask app is `flask_app`, not `app`:
Celery's `-A` looks for `app` first."""
from __future__ import annotations

from celery.signals import after_setup_logger, after_setup_task_logger, worker_init

from . import create_app
from .platform.logs import use_json_lines
from .platform.config import ConfigError
from .platform.startup import or_exit
from .services import services

# Celery's pool processes are the parallelism (`--concurrency`, one per core): each signs its batch
# in-process. They are daemonic and may not start a signing process pool, so SIGNING_WORKERS (the
# embedded default's pool size) does not apply here.


def _worker_app():
    app = create_app({"signing_workers": 1})
    if services(app).celery is None:
        raise ConfigError("Set CELERY_BROKER_URL (redis://... or amqp://...) for the Celery worker and beat.")
    return app


flask_app = or_exit(_worker_app)
celery = services(flask_app).celery

if services(flask_app).settings.is_production:
    # Celery sets up its own log handlers when the worker starts (after this import): JSON lines on them.
    after_setup_logger.connect(lambda logger, **_: use_json_lines(logger), weak=False)
    after_setup_task_logger.connect(lambda logger, **_: use_json_lines(logger), weak=False)


# The batch signer (its stamp font subset, ~1 s) made once in the worker's main process before its pool
# forks, so that no pool process spends it on its first batch.
worker_init.connect(lambda **_: services(flask_app).batch_signer.get(), weak=False)
