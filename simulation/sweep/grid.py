"""A sweep's cells: the full factorial of a grid, or an explicit list, checked before use.

A cell is a mapping of dotted scenario keys to values (``{"network.latency_s": 0.05}``).
Cells are identified by their values, never by their position in the grid: two grids that
list the same values in another order have the same cells.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..errors import ScenarioError

__all__ = ["MAX_RUNS", "cell_key", "count_cells", "expand_grid"]

# A sweep larger than this is almost certainly a mistake (a grid of 30^8 cells once
# exhausted 5.6 GB before its first run); sweep(force=True) lifts the limit.
MAX_RUNS = 100_000


def _plain(value: Any) -> Any:
    """numpy scalars and arrays as Python values, so they validate and store like TOML's."""
    if isinstance(value, np.ndarray):
        return [_plain(item) for item in value.tolist()]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value


def _values(path: str, values: Any) -> list[Any]:
    if isinstance(values, np.ndarray):
        values = values.tolist()
    if isinstance(values, (str, bytes, Mapping)) or not isinstance(values, Sequence):
        raise ScenarioError(f"sweep grid: {path!r} needs a list of values, got {values!r}")
    if len(values) == 0:
        raise ScenarioError(f"sweep grid: {path!r} has an empty list of values")
    plain = [_plain(value) for value in values]
    seen: set[str] = set()
    for value in plain:
        text = _canonical(value)
        if text in seen:
            raise ScenarioError(f"sweep grid: {path!r} lists {value!r} twice")
        seen.add(text)
    return plain


def count_cells(grid: Mapping[str, Sequence[Any]] | Sequence[Mapping[str, Any]]) -> int:
    """How many cells ``grid`` has, without expanding it."""
    if isinstance(grid, Mapping):
        return math.prod(len(values) for values in grid.values())
    return len(grid)


def expand_grid(
    grid: Mapping[str, Sequence[Any]] | Sequence[Mapping[str, Any]],
    replications: int = 1,
    max_runs: float = math.inf,
) -> list[dict[str, Any]]:
    """The cells of ``grid``: the full factorial of a mapping, or an explicit list of cells.

    Values may be Python or numpy scalars, lists or numpy arrays. A value listed twice for
    one key is refused (it would be the same cell twice), and so is a grid whose cells times
    ``replications`` exceed ``max_runs``, before anything is expanded.
    """
    if isinstance(grid, Mapping):
        if not grid:
            raise ScenarioError("sweep grid: no parameters to vary")
        for path in grid:
            if not isinstance(path, str):
                raise ScenarioError(f"sweep grid: keys must be dotted names, got {path!r}")
        lists = {path: _values(path, values) for path, values in grid.items()}
        size = math.prod(len(values) for values in lists.values())
        if size * replications > max_runs:
            raise ScenarioError(_too_many(size, replications, max_runs))
        keys = list(lists)
        return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*lists.values())]
    if isinstance(grid, (str, bytes)) or not isinstance(grid, Sequence):
        raise ScenarioError(
            f"sweep grid: needs a table of parameter lists or a list of cells, got {grid!r}"
        )
    if len(grid) * replications > max_runs:
        raise ScenarioError(_too_many(len(grid), replications, max_runs))
    cells = []
    for index, cell in enumerate(grid):
        if not isinstance(cell, Mapping):
            raise ScenarioError(f"sweep cells: cell {index} must be a table, got {cell!r}")
        cells.append({path: _plain(value) for path, value in cell.items()})
    if not cells:
        raise ScenarioError("sweep grid: the list of cells is empty")
    keys = [cell_key(cell) for cell in cells]
    if len(set(keys)) < len(keys):
        raise ScenarioError("sweep cells: the same cell is listed twice")
    return cells


def _too_many(size: int, replications: int, max_runs: float) -> str:
    return (
        f"sweep grid: {size:,} cells x {replications} replications = "
        f"{size * replications:,} runs, more than the {int(max_runs):,} a sweep may start "
        "without force=True (--force); vary fewer keys or fewer values"
    )


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def cell_key(cell: Mapping[str, Any]) -> str:
    """A canonical text for a cell's values, the same whatever the order of its keys."""
    return json.dumps(cell, sort_keys=True, default=str)
