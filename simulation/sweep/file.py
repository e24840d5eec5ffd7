"""Sweep files: a base scenario, a grid, replications and where to run and store them.

The keys are declared in :mod:`.options` (which shows a whole file); the grid's keys are
scenario keys, checked against the base scenario.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ScenarioError, unknown_key_message
from ..inputs import load_toml
from ..scenario import Scenario, load_scenario
from ..schema import describe_section, parse_section
from .grid import MAX_RUNS, expand_grid
from .options import SweepOptions, Target

__all__ = ["SweepSpec", "load_sweep"]


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
    target: Target | None
    source: str


def load_sweep(path: str | Path) -> SweepSpec:
    """Read and check a sweep file; every cell is validated against the base scenario.

    Every error names the file and the key, and says what is allowed.
    """
    path = Path(path)
    where = str(path)
    data = load_toml(path, "sweep")
    allowed = [spec.name for spec in describe_section(SweepOptions)] + ["grid", "cells"]
    for key in data:
        if key not in allowed:
            raise ScenarioError(unknown_key_message(where, key, allowed))
    options = parse_section(
        SweepOptions,
        {k: v for k, v in data.items() if k not in ("grid", "cells")},
        where,
        separator=": ",
    )
    try:
        base = load_scenario(path.parent / options.base)
    except ScenarioError as error:
        raise ScenarioError(f"{where}: base = {options.base!r}: {error}") from None
    if ("grid" in data) == ("cells" in data):
        raise ScenarioError(f"{where}: give either a [grid] table or [[cells]] tables")
    grid = data["grid"] if "grid" in data else data["cells"]
    if "grid" in data and not isinstance(grid, dict):
        raise ScenarioError(
            f"{where}: grid must be a table of dotted keys and value lists "
            f'([grid] "network.latency_s" = [0.01, 0.05]), got {grid!r}'
        )
    try:
        cells = expand_grid(grid, options.replications, max_runs=MAX_RUNS)
        for cell in cells:
            base.replace(cell)
    except ScenarioError as error:
        raise ScenarioError(f"{where}: {error}") from None
    return SweepSpec(
        name=options.name or path.stem,
        description=options.description,
        base=base,
        grid=grid,
        replications=options.replications,
        executor=options.executor,
        workers=options.workers,
        scheduler=options.scheduler,
        out=Path(options.out) if options.out is not None else None,
        metrics=options.metrics,
        target=options.target,
        source=where,
    )
