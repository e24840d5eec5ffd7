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

from .errors import ScenarioError, unknown_key_message
from .metrics import SUMMARY_METRICS
from .scenario import Scenario, load_scenario
from .sweep import EXECUTORS, expand_grid

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
    """Read and check a sweep file; every cell is validated against the base scenario."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ScenarioError(f"{path}: no such sweep file") from None
    except tomllib.TOMLDecodeError as error:
        raise ScenarioError(f"{path}: invalid TOML: {error}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ScenarioError(f"{path}: cannot read: {error}") from None
    for key in data:
        if key not in KEYS:
            raise ScenarioError(unknown_key_message(str(path), key, KEYS))
    if "base" not in data or not isinstance(data["base"], str):
        raise ScenarioError(f"{path}: 'base' must name the base scenario file")
    base = load_scenario(path.parent / data["base"])
    if ("grid" in data) == ("cells" in data):
        raise ScenarioError(f"{path}: give either a [grid] table or [[cells]] tables")
    grid = data.get("grid", data.get("cells"))
    try:
        cells = expand_grid(grid)
        for cell in cells:
            base.replace(cell)
    except ScenarioError as error:
        raise ScenarioError(f"{path}: {error}") from None
    replications = data.get("replications", 1)
    if isinstance(replications, bool) or not isinstance(replications, int) or replications < 1:
        raise ScenarioError(
            f"{path}: replications must be a whole number >= 1, got {replications!r}"
        )
    executor = data.get("executor", "processes")
    if executor not in EXECUTORS:
        raise ScenarioError(
            f"{path}: executor {executor!r} is not allowed (allowed: {', '.join(EXECUTORS)})"
        )
    metrics = tuple(data.get("metrics", DEFAULT_METRICS))
    unknown = [m for m in metrics if m not in SUMMARY_METRICS]
    if unknown:
        raise ScenarioError(f"{path}: metrics {unknown} are not summary metrics")
    workers = data.get("workers")
    if workers is not None and (not isinstance(workers, int) or workers < 1):
        raise ScenarioError(f"{path}: workers must be a whole number >= 1, got {workers!r}")
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
        metrics=metrics,
        target=data.get("target"),
        source=str(path),
    )
