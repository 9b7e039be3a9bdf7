"""Starting a process (gunicorn worker, Celery worker or beat) on a configuration that cannot work:
one line on stderr naming what to set, no traceback, and an exit the process manager does not retry."""
from __future__ import annotations

import logging
import os
import sys
import warnings
from collections.abc import Callable
from typing import TypeVar

from .config_values import ConfigError

T = TypeVar("T")
# gunicorn's WORKER_BOOT_ERROR: its master stops instead of restarting the worker forever.
EXIT_CONFIG_ERROR = 3
_SPAWNED_FILTER = "ignore:DSA is deprecated:UserWarning"


def quiet_library_warnings() -> None:
    """Before the libraries are imported: their deprecation notices and progress lines are for their
    authors, and would bury an operator's one line or a worker's INFO log (pyhanko imports
    cryptography's deprecated DSA; fontTools logs each table it prunes while the stamp font is subset)."""
    warnings.filterwarnings("ignore", message="DSA is deprecated", category=UserWarning)  # CryptographyDeprecationWarning
    # The same for the processes this one spawns (the verifiers' and signers' pools start fresh interpreters).
    spawned = os.environ.get("PYTHONWARNINGS", "")
    if _SPAWNED_FILTER not in spawned:
        os.environ["PYTHONWARNINGS"] = f"{spawned},{_SPAWNED_FILTER}" if spawned else _SPAWNED_FILTER
    # ERROR: its warnings are about tables the stamp does not need (DejaVu's FFTM "dropped").
    logging.getLogger("fontTools").setLevel(logging.ERROR)


def or_exit(make: Callable[[], T]) -> T:
    quiet_library_warnings()
    try:
        return make()
    except ConfigError as exc:
        print(f"wallet-service: configuration error: {exc}", file=sys.stderr, flush=True)
        raise SystemExit(EXIT_CONFIG_ERROR) from None
