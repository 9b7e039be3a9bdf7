"""What the two job runners share: the Celery name of a job and a periodic work's beat entry.
Apart from `jobs` and `celery_app` so that neither imports the other at module level."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask


def celery_task_name(task_name: str) -> str:
    """The Celery name of a job (`sign_batch` -> `wallet.sign_batch`)."""
    return f"wallet.{task_name}"


@dataclass(frozen=True)
class ScheduledWork:
    """Periodic work for Celery beat (collected by `every`, scheduled by `celery_app.make_celery`)."""

    work: Callable[[Flask], object]
    """Called as `work(app)` inside an app context."""
    interval: float
    """Seconds between two rounds."""
