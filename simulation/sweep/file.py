"""Sweep files: a base scenario, a grid, replications and where to run and store them.

A sweep file is TOML::

    name = "latency-x-strategy"
    description = "How latency grows with the path, per strategy."
    base = "../default.toml"              # relative to this file
    replications = 10
    executor = "processes"                # serial | processes | dask
    out = "results/latency-x-strategy"    # relative to the working directory
    metrics = ["latency_mean_s", "latency_p95_s", "bytes_per_delivery"]

    [grid]                                # the full factorial of these lists
    "network.latency_s" = [0.01, 0.05, 0.15]
    "strategy.kind" = ["short-polling", "long-polling", "sse", "websocket"]

    [target]                              # optional: replications to a precision
    metric = "latency_mean_s"
    relative_half_width = 0.05
    max_replications = 50

Instead of ``[grid]``, ``[[cells]]`` tables list explicit cells.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ScenarioError, did_you_mean, unknown_key_message
from ..metrics import SUMMARY_METRICS
from ..scenario import Scenario, load_scenario
from .driver import check_count, check_target
from .executors import EXECUTORS
from .grid import MAX_RUNS, expand_grid

__all__ = ["SweepSpec", "load_sweep"]

DEFAULT_METRICS = ("latency_mean_s", "latency_p95_s", "empty_fraction", "bytes_per_delivery")
KEYS = {
    "name",
    "description",
    "base",
    "replications",
    "executor",
    "workers",
    "scheduler",
    "out",
    "metrics",
    "grid",
    "cells",
    "target",
}


@dataclass(frozen=True)
class SweepSpec:
    """A validated sweep file."""

    name: str
    description: str
    base: Scenario
    grid: Any
    replications: int
    executor: str
    workers: int | None
    scheduler: str | None
    out: Path | None
    metrics: tuple[str, ...]
    target: dict | None
    source: str


def load_sweep(path: str | Path) -> SweepSpec:
    """Read and check a sweep file; every cell is validated against the base scenario.

    Every error names the file and the key, and says what is allowed.
    """
    path = Path(path)
    where = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(f"{where}: no such sweep file") from None
    except IsADirectoryError:
        raise ScenarioError(f"{where}: is a directory, not a sweep file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ScenarioError(f"{where}: cannot read: {error}") from None
    try:
        data = tomllib.loads(text.removeprefix("\ufeff"))
    except tomllib.TOMLDecodeError as error:
        raise ScenarioError(f"{where}: invalid TOML: {error}") from None
    except RecursionError:
        raise ScenarioError(f"{where}: invalid TOML: nested too deeply") from None
    for key in data:
        if key not in KEYS:
            raise ScenarioError(unknown_key_message(where, key, KEYS))
    if not isinstance(data.get("base"), str) or not data["base"]:
        raise ScenarioError(
            f"{where}: base must name the base scenario file (relative to the sweep file), "
            f"got {data.get('base')!r}"
        )
    try:
        base = load_scenario(path.parent / data["base"])
    except ScenarioError as error:
        raise ScenarioError(f"{where}: base = {data['base']!r}: {error}") from None
    if ("grid" in data) == ("cells" in data):
        raise ScenarioError(f"{where}: give either a [grid] table or [[cells]] tables")
    grid = data.get("grid", data.get("cells"))
    if "grid" in data and not isinstance(grid, dict):
        raise ScenarioError(
            f"{where}: grid must be a table of dotted keys and value lists "
            f'([grid] "network.latency_s" = [0.01, 0.05]), got {grid!r}'
        )
    replications = check_count("replications", data.get("replications", 1), where)
    try:
        cells = expand_grid(grid, replications, max_runs=MAX_RUNS)
        for cell in cells:
            base.replace(cell)
    except ScenarioError as error:
        raise ScenarioError(f"{where}: {error}") from None
    executor = data.get("executor", "processes")
    if executor not in EXECUTORS:
        raise ScenarioError(
            f"{where}: executor {executor!r} is not allowed (allowed: {', '.join(EXECUTORS)})"
        )
    metrics = data.get("metrics", list(DEFAULT_METRICS))
    if not isinstance(metrics, list) or not all(isinstance(m, str) for m in metrics):
        raise ScenarioError(f"{where}: metrics must be a list of metric names, got {metrics!r}")
    unknown = [m for m in metrics if m not in SUMMARY_METRICS]
    if unknown:
        raise ScenarioError(
            f"{where}: metrics: {', '.join(map(repr, unknown))} "
            f"{'is not a summary metric' if len(unknown) == 1 else 'are not summary metrics'}"
            f"{did_you_mean(unknown[0], SUMMARY_METRICS)} (allowed: {', '.join(SUMMARY_METRICS)})"
        )
    workers = data.get("workers")
    if workers is not None:
        workers = check_count("workers", workers, where)
    for key in ("name", "description", "scheduler", "out"):
        if key in data and not isinstance(data[key], str):
            raise ScenarioError(f"{where}: {key} must be a string, got {data[key]!r}")
    return SweepSpec(
        name=data.get("name", path.stem),
        description=data.get("description", ""),
        base=base,
        grid=grid,
        replications=replications,
        executor=executor,
        workers=workers,
        scheduler=data.get("scheduler"),
        out=Path(data["out"]) if "out" in data else None,
        metrics=tuple(metrics),
        target=check_target(data.get("target"), replications, where),
        source=where,
    )
