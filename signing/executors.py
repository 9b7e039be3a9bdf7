"""Where a batch's PDF work runs: a process pool, or the calling thread for one worker."""

from __future__ import annotations

import concurrent.futures
import multiprocessing
from collections import deque
from typing import Iterable


class InlineExecutor(concurrent.futures.Executor):
    """Runs tasks in the calling thread (workers=1; also easiest to debug)."""

    def submit(self, fn, *args, **kwargs):
        future: concurrent.futures.Future = concurrent.futures.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as e:  # noqa: BLE001
            future.set_exception(e)
        return future


def new_worker_pool(workers: int) -> concurrent.futures.Executor:
    """Process pool for the PDF work. Keep one for the life of a service and pass it as
    ``BatchSigner(executor=...)`` to skip the ~0.3 s start per batch; ``workers <= 1``
    gives an in-process executor, and so does a daemonic process (a Celery prefork pool
    child), which may not start processes: its pool is the parallelism."""
    if workers <= 1 or multiprocessing.current_process().daemon:
        return InlineExecutor()
    # forkserver: safe in processes that run threads (web servers, test servers), unlike
    # fork; preloading the engine makes each worker start in milliseconds, not ~1 s.
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["signing.document"])
    return concurrent.futures.ProcessPoolExecutor(workers, mp_context=context)


def bounded_map(submit, chunks: Iterable, in_flight: int):
    """Submit chunks lazily with at most ``in_flight`` pending, yield results in order
    (keeps memory flat in the batch size)."""
    queue: deque = deque()
    for chunk in chunks:
        queue.append(submit(chunk))
        if len(queue) >= in_flight:
            yield queue.popleft().result()
    while queue:
        yield queue.popleft().result()
