"""Background work. Tasks are plain functions `task(app, *args)` named in the dict given to
`init_app`; a runner decides where they run. The embedded default runs them on one in-process
thread; when CELERY_BROKER_URL is set (`settings.celery.broker_url`) the same functions run as
Celery tasks on worker processes (`wallet_service.platform.celery_app`, entry point `wallet_service.worker`).
Tasks must be idempotent: a crash may run one again.

Periodic work (`every`) likewise: a daemon thread in the embedded default, a Celery beat entry
otherwise — never both, so a web process under Celery starts no background threads."""
from __future__ import annotations

from collections.abc import Callable

from flask import Flask

from ..services import services
from .runners import CeleryJobRunner, InProcessJobRunner, JobRunner, Periodic
from .tasks import ScheduledWork


def broker_url(app: Flask) -> str:
    """CELERY_BROKER_URL; empty means in-process jobs."""
    return services(app).settings.celery.broker_url


def every(app: Flask, name: str, work: Callable[[Flask], object], interval: float) -> Periodic | None:
    """Run `work(app)` every `interval` seconds (nothing when `interval` <= 0). Under Celery it becomes a
    beat entry (registered with the tasks by `init_app`, which must come after every call) and None is
    returned; otherwise a `Periodic` thread that the app's first request starts, returned so it can be stopped."""
    if interval <= 0:
        return None
    if broker_url(app):
        if services(app).jobs is not None:  # the beat schedule is built by init_app; a later entry would be lost
            raise RuntimeError(f"jobs.every({name!r}) must come before jobs.init_app.")
        services(app).schedule[name] = ScheduledWork(work, interval)
        return None
    poller = Periodic(app, name, work, interval)
    app.before_request(poller.start)  # CLI commands and Celery workers serve no requests, so never start one
    services(app).pollers.append(poller)
    return poller


def runner(app: Flask) -> JobRunner:
    return services(app).jobs


def shutdown(app: Flask) -> None:
    """Stop the app's periodic threads and its job runner (tests, and processes that embed the app)."""
    for poller in services(app).pollers:
        poller.stop()
    if services(app).jobs is not None:
        services(app).jobs.shutdown()


def init_app(app: Flask, tasks: dict[str, Callable[..., None]], signing: tuple[str, ...] = ()) -> None:
    """`signing`: the tasks that do a batch's PDF work; under Celery they go to the signing queue."""
    if broker_url(app):
        from .celery_app import make_celery

        celery = make_celery(app, tasks, services(app).schedule, signing)
        services(app).celery = celery
        services(app).jobs = CeleryJobRunner(celery)
    else:
        services(app).jobs = InProcessJobRunner(app, tasks)
