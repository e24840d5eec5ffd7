"""Parameter sweeps: a grid of cells x replications, run anywhere, stored as they finish.

``sweep(base, grid, replications)`` runs every cell of ``grid`` (dotted parameter paths
mapped to value lists, the full factorial; or an explicit list of cells) ``replications``
times and returns a tidy DataFrame with one row per run: the varied parameters, ``cell``,
``replication``, ``seed``, every summary metric, ``wall_s`` and ``error``. A run that
fails is a row with its error message; it never stops the sweep.

**Seeds.** Replication ``r`` of every cell runs with seed ``base.seed + r`` (common random
numbers): the cells of one replication see the same random streams, so differences
between cells are not noise. ``common_random_numbers=False`` gives every run its own seed
instead, derived from the cell and the replication.

**Executors.** ``"serial"``; ``"processes"`` (default: a pool of worker processes started
with "spawn", safe from Jupyter); ``"dask"`` (a ``dask.distributed.Client``, a scheduler
address, or a ``LocalCluster`` made for the sweep). The results do not depend on the
executor.

**Persistence.** With ``out``, each finished run is written at once as one Parquet file in
the directory ``out`` (a dataset pandas and pyarrow read as one table). Calling the same
sweep again skips the runs already stored, keyed by cell and replication, and returns
the union. Every row carries the full scenario it ran (JSON) and the package version.
Runs stored for a different base scenario are refused.

**Precision.** ``target={"metric": "latency_mean_s", "relative_half_width": 0.05,
"max_replications": 50}`` keeps adding ``replications`` more runs to every cell whose 95%
confidence half-width is above that fraction of its mean, until none is or the maximum is
reached.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import math
import multiprocessing
import os
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .errors import ScenarioError
from .metrics import SUMMARY_METRICS
from .scenario import Scenario

__all__ = ["EXECUTORS", "SweepWorkerError", "aggregate", "expand_grid", "sweep"]

EXECUTORS = ("serial", "processes", "dask")
SCHEDULER_TIMEOUT_S = 10
log = logging.getLogger(__name__)


class SweepWorkerError(RuntimeError):
    """A worker process of the ``processes`` executor died before returning its run."""


# -- cells and tasks -------------------------------------------------------------------------


def expand_grid(grid: Mapping[str, Sequence[Any]] | Sequence[Mapping[str, Any]]) -> list[dict]:
    """The cells of ``grid``: the full factorial of a mapping, or an explicit list of cells."""
    if isinstance(grid, Mapping):
        if not grid:
            raise ScenarioError("sweep grid: no parameters to vary")
        for path, values in grid.items():
            if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
                raise ScenarioError(f"sweep grid: {path!r} needs a list of values, got {values!r}")
            if len(values) == 0:
                raise ScenarioError(f"sweep grid: {path!r} has an empty list of values")
        keys = list(grid)
        return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*grid.values())]
    cells = [dict(cell) for cell in grid]
    if not cells:
        raise ScenarioError("sweep grid: the list of cells is empty")
    return cells


def _cell_key(cell: Mapping[str, Any]) -> str:
    """A canonical text for a cell, the same whatever the order of its keys."""
    return json.dumps(cell, sort_keys=True, default=str)


def _fingerprint(scenario: Scenario) -> str:
    text = json.dumps(scenario.to_dict(), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _independent_seed(base_seed: int, cell_key: str, replication: int) -> int:
    digest = hashlib.sha256(f"{base_seed}|{cell_key}|{replication}".encode()).digest()
    return int.from_bytes(digest[:4], "little")


def run_task(task: dict[str, Any]) -> dict[str, Any]:
    """Run one (cell, replication); never raises: a failure is a row with ``error``."""
    from . import __version__
    from .runner import run

    row = {
        "cell": task["cell"],
        **task["params"],
        "replication": task["replication"],
        "seed": task["seed"],
        "cell_key": task["cell_key"],
        "base": task["base"],
        "rtsim_version": __version__,
    }
    started = time.perf_counter()
    try:
        scenario = task["scenario"]
        row["scenario_json"] = json.dumps(scenario.to_dict(), default=str)
        summary = run(scenario, seed=task["seed"]).summary()
        row.update({name: _plain(value) for name, value in summary.items()})
        row["error"] = ""
    except Exception as error:  # any failure is recorded in the row, by design
        row.update({name: math.nan for name in SUMMARY_METRICS})
        row["error"] = f"{type(error).__name__}: {error}"
    row["wall_s"] = time.perf_counter() - started
    return row


def _plain(value):
    return value.item() if hasattr(value, "item") else value


# -- storage ---------------------------------------------------------------------------------


class _Store:
    """A directory of one-row Parquet files, one per finished run."""

    def __init__(self, path: Path, base: str):
        self.path = path
        self.base = base

    def load(self) -> pd.DataFrame:
        if not self.path.exists():
            return pd.DataFrame()
        if not self.path.is_dir():
            raise ScenarioError(f"{self.path}: exists and is not a sweep output directory")
        parts = sorted(self.path.glob("*.parquet"))
        if not parts:
            return pd.DataFrame()
        stored = pd.concat([pd.read_parquet(part) for part in parts], ignore_index=True)
        others = set(stored["base"]) - {self.base}
        if others:
            raise ScenarioError(
                f"{self.path}: holds runs of a different base scenario; a sweep only "
                "resumes its own runs. Use another output path, or delete this one."
            )
        return stored

    def append(self, row: dict[str, Any]) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        name = f"cell{row['cell']}-rep{row['replication']}-{uuid.uuid4().hex[:8]}.parquet"
        temporary = self.path / f".{name}.tmp"
        pd.DataFrame([row]).to_parquet(temporary, index=False)
        os.replace(temporary, self.path / name)  # atomic: a killed sweep leaves no half file


# -- executors -------------------------------------------------------------------------------


def _run_serial(tasks, on_done):
    for task in tasks:
        on_done(run_task(task))


def _run_processes(tasks, on_done, workers):
    # spawn, not fork: the parent may run threads (tqdm's monitor, Dask), and forking a
    # process with threads can deadlock the child
    context = multiprocessing.get_context("spawn")
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            futures = [pool.submit(run_task, task) for task in tasks]
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


def _dask_client(client, scheduler, workers):
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


def _run_dask(tasks, on_done, workers, client, scheduler):
    from dask.distributed import as_completed as dask_completed

    connected, to_close = _dask_client(client, scheduler, workers)
    try:
        futures = [connected.submit(run_task, task, pure=False) for task in tasks]
        for future in dask_completed(futures):
            on_done(future.result())
    finally:
        for resource in to_close:
            resource.close()


# -- the sweep -------------------------------------------------------------------------------


def sweep(
    base: Scenario,
    grid: Mapping[str, Sequence[Any]] | Sequence[Mapping[str, Any]],
    replications: int = 1,
    *,
    executor: str = "processes",
    workers: int | None = None,
    client: Any = None,
    scheduler: str | None = None,
    out: str | Path | None = None,
    target: Mapping[str, Any] | None = None,
    common_random_numbers: bool = True,
    progress: bool = True,
) -> pd.DataFrame:
    """Run ``grid`` x ``replications`` from ``base``; see the module docstring.

    Returns one row per run (stored runs included), sorted by cell and replication.
    Raises :class:`SweepWorkerError` when a worker process of the ``processes`` executor
    dies (most often: a script that calls ``sweep()`` without an
    ``if __name__ == "__main__":`` guard).
    """
    if not isinstance(base, Scenario):
        raise TypeError(f"sweep() needs a Scenario as base, got {type(base).__name__}")
    if isinstance(replications, bool) or not isinstance(replications, int) or replications < 1:
        raise ScenarioError(
            f"sweep: replications must be a whole number >= 1, got {replications!r}"
        )
    if executor not in EXECUTORS:
        raise ScenarioError(
            f"sweep: unknown executor {executor!r} (allowed: {', '.join(EXECUTORS)})"
        )
    if workers is not None and (not isinstance(workers, int) or workers < 1):
        raise ScenarioError(f"sweep: workers must be a whole number >= 1, got {workers!r}")
    target = _check_target(target, replications)
    cells = expand_grid(grid)
    scenarios = [base.replace(cell) for cell in cells]  # validates every cell up front
    fingerprint = _fingerprint(base)
    store = _Store(Path(out), fingerprint) if out is not None else None
    stored = store.load() if store is not None else pd.DataFrame()
    done = set()
    if not stored.empty:
        done = set(zip(stored["cell_key"], stored["replication"], strict=True))
    rows: list[dict] = []

    def tasks_for(cell_indices: Iterable[int], replication_range: range) -> list[dict]:
        tasks = []
        for index in cell_indices:
            key = _cell_key(cells[index])
            for replication in replication_range:
                if (key, replication) in done:
                    continue
                seed = (
                    base.seed + replication
                    if common_random_numbers
                    else _independent_seed(base.seed, key, replication)
                )
                tasks.append(
                    {
                        "cell": index,
                        "params": cells[index],
                        "cell_key": key,
                        "replication": replication,
                        "seed": seed,
                        "scenario": scenarios[index],
                        "base": fingerprint,
                    }
                )
        return tasks

    planned = replications
    tasks = tasks_for(range(len(cells)), range(planned))
    bar = _progress_bar(len(tasks), progress, len(done))
    failures = 0

    def on_done(row: dict) -> None:
        nonlocal failures
        rows.append(row)
        if store is not None:
            store.append(row)
        if row["error"]:
            failures += 1
            log.warning(
                "run failed (cell %s, replication %s): %s",
                row["cell"],
                row["replication"],
                row["error"],
            )
        if bar is not None:
            bar.update(1)
            bar.set_postfix(failed=failures, refresh=False)

    try:
        while tasks:
            _execute(tasks, on_done, executor, workers, client, scheduler)
            if target is None:
                break
            so_far = _union(stored, rows)
            unsettled = _unsettled_cells(so_far, target, len(cells))
            if not unsettled or planned >= target["max_replications"]:
                break
            more = min(replications, target["max_replications"] - planned)
            tasks = tasks_for(unsettled, range(planned, planned + more))
            planned += more
            if bar is not None:
                bar.total += len(tasks)
                bar.refresh()
    finally:
        if bar is not None:
            bar.close()
    return _union(stored, rows)


def _execute(tasks, on_done, executor, workers, client, scheduler) -> None:
    if executor == "serial" or (executor == "processes" and len(tasks) == 1):
        _run_serial(tasks, on_done)
    elif executor == "processes":
        _run_processes(tasks, on_done, workers or os.cpu_count() or 1)
    else:
        _run_dask(tasks, on_done, workers, client, scheduler)


def _check_target(target, replications):
    if target is None:
        return None
    allowed = {"metric", "relative_half_width", "max_replications"}
    unknown = set(target) - allowed
    if unknown:
        raise ScenarioError(
            f"sweep target: unknown keys {sorted(unknown)} (allowed: {sorted(allowed)})"
        )
    metric = target.get("metric")
    if metric not in SUMMARY_METRICS:
        raise ScenarioError(f"sweep target: metric {metric!r} is not a summary metric")
    width = target.get("relative_half_width")
    if not isinstance(width, (int, float)) or not width > 0:
        raise ScenarioError(f"sweep target: relative_half_width must be > 0, got {width!r}")
    maximum = target.get("max_replications", 100)
    if not isinstance(maximum, int) or maximum < max(2, replications):
        raise ScenarioError(
            f"sweep target: max_replications must be a whole number >= replications and "
            f">= 2, got {maximum!r}"
        )
    return {"metric": metric, "relative_half_width": float(width), "max_replications": maximum}


def _unsettled_cells(runs: pd.DataFrame, target, cell_count: int) -> list[int]:
    """Cells whose CI half-width for the target metric is still above the target."""
    unsettled = []
    ok = runs[runs["error"] == ""]
    for cell in range(cell_count):
        values = ok.loc[ok["cell"] == cell, target["metric"]].astype(float).dropna().to_numpy()
        mean, half = _mean_half_width(values)
        if values.size < 2 or not (half <= target["relative_half_width"] * abs(mean)):
            unsettled.append(cell)
    return unsettled


def _union(stored: pd.DataFrame, rows: list[dict]) -> pd.DataFrame:
    frames = [frame for frame in (stored, pd.DataFrame(rows)) if not frame.empty]
    if not frames:
        return pd.DataFrame()
    runs = pd.concat(frames, ignore_index=True)
    return runs.sort_values(["cell", "replication"], kind="stable").reset_index(drop=True)


def _progress_bar(total: int, enabled: bool, already: int):
    if not enabled or total == 0:
        return None
    from tqdm.auto import tqdm

    description = "sweep" if not already else f"sweep ({already} stored)"
    return tqdm(total=total, desc=description, unit="run")


# -- aggregation -----------------------------------------------------------------------------


def _mean_half_width(values: np.ndarray, confidence: float = 0.95) -> tuple[float, float]:
    if values.size == 0:
        return math.nan, math.nan
    mean = float(values.mean())
    if values.size < 2:
        return mean, math.nan
    from scipy import stats  # here, not at import: it takes half a second to load

    quantile = stats.t.ppf((1 + confidence) / 2, values.size - 1)
    return mean, float(quantile * values.std(ddof=1) / math.sqrt(values.size))


def aggregate(
    runs: pd.DataFrame,
    metrics: Sequence[str] | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Per cell: runs, failures, and each metric's mean, sd and CI half-width (Student t).

    Columns: the varied parameters, ``runs``, ``failed``, then ``<metric>_mean``,
    ``<metric>_std`` and ``<metric>_ci`` (the half-width at ``confidence``) per metric.
    Failed runs are left out of the statistics.
    """
    if runs.empty:
        raise ValueError("aggregate needs at least one run")
    metrics = (
        list(metrics) if metrics is not None else [m for m in SUMMARY_METRICS if m in runs.columns]
    )
    missing = [m for m in metrics if m not in runs.columns]
    if missing:
        raise ValueError(f"runs have no columns {missing}")
    parameters = _parameter_columns(runs)
    table = []
    for cell, group in runs.groupby("cell", sort=True):
        ok = group[group["error"] == ""]
        row = {"cell": cell, **{p: group[p].iloc[0] for p in parameters}}
        row["runs"] = len(group)
        row["failed"] = len(group) - len(ok)
        for metric in metrics:
            values = pd.to_numeric(ok[metric], errors="coerce").dropna().to_numpy(dtype=float)
            mean, half = _mean_half_width(values, confidence)
            row[f"{metric}_mean"] = mean
            row[f"{metric}_std"] = float(values.std(ddof=1)) if values.size > 1 else math.nan
            row[f"{metric}_ci"] = half
        table.append(row)
    return pd.DataFrame(table)


_RUN_COLUMNS = {
    "cell",
    "replication",
    "seed",
    "cell_key",
    "base",
    "rtsim_version",
    "scenario_json",
    "error",
    "wall_s",
}


def _parameter_columns(runs: pd.DataFrame) -> list[str]:
    return [c for c in runs.columns if c not in _RUN_COLUMNS and c not in SUMMARY_METRICS]


def format_aggregate(table: pd.DataFrame, metrics: Sequence[str]) -> str:
    """The aggregated table as text: parameters, runs, and ``mean ± ci`` per metric."""
    parameters = [
        c
        for c in table.columns
        if c not in {"cell", "runs", "failed"}
        and not any(c.startswith(f"{m}_") for m in SUMMARY_METRICS)
    ]
    shown = table[[*parameters, "runs", "failed"]].copy()
    for metric in metrics:
        means, halves = table[f"{metric}_mean"], table[f"{metric}_ci"]
        shown[metric] = [_mean_pm(m, h) for m, h in zip(means, halves, strict=True)]
    return shown.to_string(index=False)


def _mean_pm(mean: float, half: float) -> str:
    if math.isnan(mean):
        return "-"
    if math.isnan(half):
        return f"{mean:.4g}"
    if half <= 1e-9 * abs(mean):  # identical replications: only rounding noise is left
        return f"{mean:.4g} ± 0"
    return f"{mean:.4g} ± {half:.2g}"
