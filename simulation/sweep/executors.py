"""Where a sweep's runs execute: in this process, in a pool of processes, or on Dask.

Every executor but ``serial`` is a :class:`concurrent.futures.Executor`: a spawn-started
:class:`~concurrent.futures.ProcessPoolExecutor`, or the executor of a
``dask.distributed.Client`` (``Client.get_executor()``). One loop submits the runs and
takes them back as they finish, so the results do not depend on the executor.

Worker processes of the ``processes`` executor watch their parent: when it dies, even by
SIGKILL, they exit within a second or two instead of lingering. Where processes cannot be
started at all, the sweep says so in one logged line and runs serially.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from typing import Any

from ..errors import ScenarioError
from .tasks import Task, run_task

__all__ = ["EXECUTORS", "SweepWorkerError", "execute", "open_executor"]

EXECUTORS = ("serial", "processes", "dask")
SCHEDULER_TIMEOUT_S = 10
PARENT_POLL_S = 0.5
log = logging.getLogger(__name__)


class SweepWorkerError(RuntimeError):
    """A worker process of the ``processes`` executor died before returning its run."""


def _exit_with_parent(parent_pid: int) -> None:
    """In a worker: a daemon thread that ends the process once its parent has died.

    An orphan is adopted by another process, so its parent id changes; polling it works
    on every POSIX system, unlike Linux's PR_SET_PDEATHSIG, which fires when the parent
    *thread* that started the worker ends.
    """

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(PARENT_POLL_S)
        os._exit(1)  # no clean-up: the parent that would collect the result is gone

    threading.Thread(target=watch, name="rtsim-parent-watch", daemon=True).start()


# What starting processes raises where it cannot be done (no semaphores in some sandboxes,
# browsers running Python, locked-down notebooks)
CANNOT_START = (OSError, NotImplementedError, ImportError, PermissionError)


@contextmanager
def _process_pool(workers: int) -> Iterator[Executor | None]:
    # spawn, not fork: the parent may run threads (tqdm's monitor, Dask), and forking a
    # process with threads can deadlock the child
    try:
        pool = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_exit_with_parent,
            initargs=(os.getpid(),),
        )
    except CANNOT_START as error:
        log.warning("sweep: cannot start worker processes (%s); running the sweep serially", error)
        yield None
        return
    try:
        yield pool
    except BaseException:
        # Ctrl-C or an error: stop the workers now rather than finishing queued runs
        for process in list(getattr(pool, "_processes", {}).values()):
            process.terminate()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def _dask_client(client: Any, scheduler: str | None, workers: int | None):
    """A connected client and whatever must be closed afterwards."""
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise ScenarioError(
            "executor 'dask' needs dask.distributed: pip install 'rtsim[dask]'"
        ) from None
    if client is not None:
        return client, []
    if scheduler is not None:
        try:
            connected = Client(scheduler, timeout=f"{SCHEDULER_TIMEOUT_S}s")
        except (OSError, TimeoutError) as error:
            raise ScenarioError(
                f"cannot reach the Dask scheduler at {scheduler!r} within "
                f"{SCHEDULER_TIMEOUT_S} s: {error}"
            ) from None
        return connected, [connected]
    cluster = LocalCluster(
        n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
    )
    connected = Client(cluster)
    return connected, [connected, cluster]


@contextmanager
def _dask(client: Any, scheduler: str | None, workers: int | None) -> Iterator[Executor]:
    connected, to_close = _dask_client(client, scheduler, workers)
    try:
        yield connected.get_executor(pure=False)
    finally:
        for resource in to_close:
            resource.close()


@contextmanager
def open_executor(
    kind: str, workers: int | None, client: Any = None, scheduler: str | None = None
) -> Iterator[Executor | None]:
    """The executor ``kind`` names (``None`` for serial), closed when the block ends."""
    if kind == "serial":
        yield None
    elif kind == "processes":
        with _process_pool(workers or os.cpu_count() or 1) as pool:
            yield pool
    elif kind == "dask":
        with _dask(client, scheduler, workers) as executor:
            yield executor
    else:
        raise ScenarioError(f"sweep: unknown executor {kind!r} (allowed: {', '.join(EXECUTORS)})")


def execute(
    executor: Executor | None, tasks: Sequence[Task], on_done: Callable[[dict], None]
) -> None:
    """Run ``tasks`` on ``executor`` (in order here when ``None``); ``on_done(row)`` as each
    finishes."""
    if executor is None or len(tasks) == 1:
        for task in tasks:
            on_done(run_task(task))
        return
    try:
        futures = [executor.submit(run_task, task) for task in tasks]
    except CANNOT_START as error:  # the pool starts its processes on the first submit
        log.warning("sweep: cannot start worker processes (%s); running the sweep serially", error)
        execute(None, tasks, on_done)
        return
    try:
        for future in as_completed(futures):
            on_done(future.result())
    except BrokenProcessPool as error:
        raise SweepWorkerError(
            "a sweep worker process died before returning its run. Workers are started "
            "with 'spawn', which imports the calling script again: in a script, call "
            'sweep() under `if __name__ == "__main__":`. Otherwise the worker may have '
            "run out of memory: try fewer workers or executor='serial'. Runs already "
            "finished are kept when the sweep has an output path."
        ) from error
    finally:
        for future in futures:
            future.cancel()
