"""The Celery app of one Flask app: the same task functions as the embedded default, run on workers.

Configuration (`settings.celery`):
- `CELERY_BROKER_URL`: `redis://host:6379/0` or `amqp://user:password@host:5672//`; setting it is what
  switches background work to Celery (see `jobs.init_app`).
- `CELERY_VISIBILITY_TIMEOUT`: seconds (default 3600) a Redis broker waits for a task's acknowledgement
  before giving it to another worker; longer than the longest signing batch. RabbitMQ redelivers when
  the worker's connection drops instead.
- `CELERY_QUEUE`: the queue the service's tasks go to and its workers read (default `wallet`), so
  that several deployments can share one broker.
- `CELERY_SIGNING_QUEUE`: the queue of the signing tasks (default: `CELERY_QUEUE`), so that workers
  that sign do not keep deliveries waiting behind batches. A prefork pool process is daemonic and may
  not start processes, so it signs a batch on one core; a worker reading this queue with `--pool
  threads` runs each batch in its main process, which shares one pool of `SIGNING_WORKERS` signing
  processes between its batches (`wallet_service.worker`).
- `CELERY_BEAT_SCHEDULE_FILE`: where `celery beat` keeps its last-run times (default
  `instance/celerybeat-schedule`).

Delivery guarantees come from the tasks, not from Celery: a task is acknowledged only after it ran
(`task_acks_late`) and given back when its worker process dies (`task_reject_on_worker_lost`), so it may
run twice; `run_batch` claims its batch with a lease and `deliver_due` claims rows with SKIP LOCKED,
so a second run does nothing twice. A worker holds one message at a time (`worker_prefetch_multiplier=1`):
a long signing batch never keeps other messages waiting behind it on a busy worker.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping

from celery import Celery
from flask import Flask

from ..models import db
from ..services import services
from .config import CelerySettings, ConfigError
from .tasks import ScheduledWork, celery_task_name

DEFAULT_QUEUE = CelerySettings.queue


def _periodic_task_name(name: str) -> str:
    return celery_task_name(f"every.{name}")


def _in_app_context(app: Flask, name: str, function: Callable[..., object]) -> Callable[..., None]:
    """`function(app, *args)` inside an app context, with a fresh database session each run (and
    `secret=` when the job carries one, see `runners.JobRunner.submit`)."""

    def run(*args: str, **secret: str) -> None:
        with app.app_context():
            try:
                function(app, *args, **secret)
            finally:
                db.session.remove()

    run.__name__ = run.__qualname__ = name.replace("-", "_")  # Celery builds a signature checker from it
    return run


def make_celery(app: Flask, tasks: Mapping[str, Callable[..., None]], schedule: Mapping[str, ScheduledWork],
                signing: tuple[str, ...] = ()) -> Celery:
    """A Celery app for `app`: each task as `wallet.<name>`, each scheduled work as `wallet.every.<name>`
    with its beat entry, on the broker at CELERY_BROKER_URL; the `signing` tasks to the signing queue.
    Not set as Celery's current app: nothing global, one per Flask app."""
    settings = services(app).settings
    if not settings.celery.broker_url:
        raise ConfigError("Set CELERY_BROKER_URL (redis://... or amqp://...) to run background work on Celery.")
    celery = Celery(app.import_name, broker=settings.celery.broker_url, set_as_current=False)
    celery.conf.update(
        task_default_queue=settings.celery.queue,
        task_routes={celery_task_name(name): {"queue": settings.celery.signing_queue or settings.celery.queue}
                     for name in signing},
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        broker_transport_options={"visibility_timeout": settings.celery.visibility_timeout},
        # A worker that loses the broker keeps running its batch; the lease and fence make the
        # redelivered copy a no-op, and cancelling would only throw away signed work.
        worker_cancel_long_running_tasks_on_connection_loss=False,
        broker_connection_retry_on_startup=True,
        task_ignore_result=True,  # progress is in the database, not in a result backend
        task_serializer="json",
        accept_content=["json"],
        timezone="UTC",
        beat_schedule_filename=str(settings.celery.beat_schedule_file or settings.instance_path / "celerybeat-schedule"),
        beat_schedule={
            name: {
                "task": _periodic_task_name(name),
                "schedule": work.interval,
                # A round that waited longer than one interval (workers busy signing) is skipped, not piled up.
                "options": {"expires": work.interval},
            }
            for name, work in schedule.items()
        },
    )
    for name, function in tasks.items():
        celery.task(name=celery_task_name(name), shared=False)(_in_app_context(app, name, function))
    for name, work in schedule.items():
        celery.task(name=_periodic_task_name(name), shared=False)(_in_app_context(app, name, work.work))

    def check_broker() -> None:
        with celery.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, timeout=5)

    services(app).readiness_checks["broker"] = check_broker
    return celery
