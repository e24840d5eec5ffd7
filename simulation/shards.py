"""``run(scenario, shards=N)``: one run split by client across processes or a Dask cluster.

The clients are split into ``N`` consecutive ranges (:func:`simulation.sharding.split`);
each range is simulated in its own process (:func:`simulation.merge.run_part`) and the
parts are merged into one :class:`~simulation.result.Result` (:func:`simulation.merge.merge`)
whose tables are in canonical order. Where clients do not interact, that result is the
whole run's, put in the same order (:func:`simulation.merge.canonical`); scenarios whose
clients interact are refused before anything runs (:func:`simulation.sharding.interactions`).
See ``docs/performance.md``, "Sharded runs".
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from concurrent.futures import as_completed
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from .budget import check_budget
from .merge import PartOutput, merge, recorded_updates, run_part
from .result import Result
from .runner import run as run_whole
from .scenario import Scenario, load_scenario
from .sharding import ShardError, check_shardable
from .sweep.executors import CANNOT_START, SweepWorkerError, open_executor

__all__ = ["SHARD_EXECUTORS", "run"]

SHARD_EXECUTORS = ("serial", "processes", "dask")
log = logging.getLogger(__name__)


def run(
    scenario: Scenario | str | Path,
    seed: int | None = None,
    *,
    force: bool = False,
    progress: Callable[[float], None] | bool | None = None,
    shards: int = 1,
    executor: str = "processes",
    workers: int | None = None,
    client: Any = None,
    scheduler: str | None = None,
) -> Result:
    """Simulate ``scenario`` with ``seed`` (see :func:`simulation.runner.run`), or, with
    ``shards`` > 1, split by client into that many parts run on ``executor``:
    ``"processes"`` (a pool of ``workers`` processes, default one per part),
    ``"dask"`` (a Dask ``client``, a ``scheduler`` address, or a local cluster) or
    ``"serial"`` (one after the other here: for tests and debugging).

    A split run's tables are in canonical order (:func:`simulation.merge.canonical`);
    a scenario whose clients interact raises :class:`~simulation.sharding.ShardError`
    naming the interaction. ``progress`` True shows a bar over the parts (a callable, as
    for one run, is called with the simulated time once all parts are done).
    """
    if isinstance(scenario, (str, Path)):
        scenario = load_scenario(scenario)
    if shards == 1:
        hook = progress if callable(progress) else None
        return run_whole(scenario, seed, force=force, progress=hook)
    if not isinstance(scenario, Scenario):
        raise TypeError(f"run() needs a Scenario or a path, got {type(scenario).__name__}")
    if executor not in SHARD_EXECUTORS:
        raise ShardError(
            f"run: unknown executor {executor!r} (allowed: {', '.join(SHARD_EXECUTORS)})"
        )
    seed = scenario.seed if seed is None else seed
    parts = check_shardable(scenario, shards)
    if not force:
        check_budget(scenario)
    started = time.perf_counter()
    bar = _bar(scenario, len(parts), progress is True)
    outputs: list[PartOutput] = []

    def done(output: PartOutput) -> None:
        outputs.append(output)
        log.debug(
            "part %d (clients %d to %d) ran in %.2f s",
            output.part.index,
            output.part.first,
            output.part.first + output.part.count - 1,
            output.wall_s,
        )
        if bar is not None:
            bar.update(1)

    try:
        with open_executor(executor, workers or len(parts), client, scheduler) as pool:
            if pool is None:
                for part in parts:
                    done(run_part(scenario, seed, part))
            else:
                try:
                    futures = [pool.submit(run_part, scenario, seed, part) for part in parts]
                except CANNOT_START as error:
                    log.warning("run: cannot start worker processes (%s); running here", error)
                    futures = []
                    for part in parts:
                        done(run_part(scenario, seed, part))
                try:
                    for future in as_completed(futures):
                        done(future.result())
                except BrokenProcessPool as error:
                    raise SweepWorkerError(
                        "a worker process died before returning its part of the run. "
                        "Workers are started with 'spawn', which imports the calling script "
                        'again: in a script, call run() under `if __name__ == "__main__":`. '
                        "Otherwise it may have run out of memory: try fewer shards at once "
                        "(workers=...)"
                    ) from error
                finally:
                    for future in futures:
                        future.cancel()
    finally:
        if bar is not None:
            bar.close()
    result = merge(scenario, seed, outputs, time.perf_counter() - started)
    if callable(progress):
        progress(result.end_s)
    if recorded_updates(outputs) == 0:
        log.warning(
            "%s: the run created no updates in its %g s: every delivery metric is empty",
            scenario.source,
            scenario.duration_s,
        )
    log.info(
        "ran %s (%s, %d clients in %d parts on %s, %g s simulated, seed %d) in %.2f s",
        scenario.name,
        scenario.strategy.kind,
        scenario.clients,
        len(parts),
        executor,
        scenario.duration_s,
        seed,
        result.wall_s,
    )
    return result


def _bar(scenario: Scenario, total: int, enabled: bool):
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=f"{scenario.name} parts", unit="part", file=sys.stderr)
