"""Where background work runs: one in-process thread (the embedded default), periodic daemon threads
standing in for a scheduler, or a Celery broker. `jobs` chooses among them per app."""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Protocol

from flask import Flask

from ..models import db
from .tasks import celery_task_name

if TYPE_CHECKING:
    from celery import Celery

log = logging.getLogger(__name__)


class JobRunner(Protocol):
    def submit(self, task_name: str, *args: str, secret: str | None = None) -> None:
        """Run `task(app, *args)`, with `secret=` when given: a short-lived credential the task needs
        (a signing approval), which no log line, repr or task monitor shows."""


    def shutdown(self) -> None: ...


class InProcessJobRunner:
    """One worker thread per app: jobs run one after another, in order, inside an app context."""

    def __init__(self, app: Flask, tasks: dict[str, Callable[..., None]]):
        self._app = app
        self._tasks = tasks
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="wallet-jobs")
        self._futures: list[Future] = []

    def submit(self, task_name: str, *args: str, secret: str | None = None) -> None:
        task = self._tasks[task_name]
        self._futures = [f for f in self._futures if not f.done()]
        extra = {} if secret is None else {"secret": secret}
        self._futures.append(self._executor.submit(self._run, task_name, task, args, extra))

    def _run(self, task_name: str, task: Callable[..., None], args: tuple, extra: dict) -> None:
        with self._app.app_context():
            try:
                task(self._app, *args, **extra)
            except Exception:  # logged with its traceback; the task's own records say what failed
                log.exception("job %s%r failed", task_name, args)
            finally:
                db.session.remove()

    def wait(self, timeout: float | None = None) -> None:
        """Block until every submitted job has finished (tests, CLI)."""
        for future in list(self._futures):
            future.result(timeout)

    def shutdown(self) -> None:
        self._executor.shutdown(wait=True)


class Periodic:
    """A daemon thread calling `work(app)` inside an app context every `interval` seconds: the embedded
    default's stand-in for a scheduler. Started by the app's first request (`app.before_request(p.start)`),
    so CLI commands never start one; stopped by `stop()`."""

    def __init__(self, app: Flask, name: str, work: Callable[[Flask], object], interval: float):
        self._app = app
        self._name = name
        self._work = work
        self._interval = interval
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        if self._thread is not None:  # every request calls this; only the first does anything
            return
        with self._lock:
            if self._thread is None and not self._stop.is_set():
                self._thread = threading.Thread(target=self._loop, name=f"wallet-{self._name}", daemon=True)
                self._thread.start()

    def stop(self, timeout: float | None = 30) -> None:
        """Finish the round in progress, then end the thread."""
        self._stop.set()
        with self._lock:
            thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            with self._app.app_context():
                try:
                    self._work(self._app)
                except Exception:  # the next round tries again
                    log.exception("%s round failed", self._name)
                finally:
                    db.session.remove()
            self._stop.wait(self._interval)


class CeleryJobRunner:
    """Sends each job to the broker; a Celery worker runs it (`celery_app.make_celery` registers the tasks)."""

    def __init__(self, celery: Celery):
        self._celery = celery

    def submit(self, task_name: str, *args: str, secret: str | None = None) -> None:
        # argsrepr/kwargsrepr: what Celery's logs, events and monitors show instead of the arguments.
        kwargs = {} if secret is None else {"secret": secret}
        try:
            self._celery.send_task(celery_task_name(task_name), args=list(args), kwargs=kwargs,
                                   argsrepr=repr(list(args)), kwargsrepr="{'secret': '***'}" if kwargs else "{}")
        except Exception:  # broker down: the work is recorded in the database and a periodic round resubmits it
            log.exception("could not send job %s%r to the broker", task_name, args)

    def shutdown(self) -> None:
        self._celery.close()
