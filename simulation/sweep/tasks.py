"""One run of a sweep: its scenario, seed and identity, and the row it produces.

A run's **identity** is a hash of the full scenario it runs (after the cell's changes,
its name and description left out: they change no result), its seed and its replication.
Two grids that reach the same scenario share the run; a stored run is reused exactly when
its identity matches, whatever the grid looked like when it ran.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from .._version import __version__
from ..metrics import SUMMARY_METRICS
from ..scenario import Scenario

__all__ = [
    "MAX_SEED",
    "Task",
    "base_fingerprint",
    "independent_seed",
    "run_task",
    "scenario_identity",
]

MAX_SEED = 2**63 - 1  # seeds are stored as int64 (Parquet has no wider integer)
_NOT_RESULTS = ("name", "description", "seed")


def _scenario_text(scenario: Scenario) -> str:
    data = {k: v for k, v in scenario.to_dict().items() if k not in _NOT_RESULTS}
    if data["record"] == {"level": "full"}:  # the default: identities as before levels
        del data["record"]
    return json.dumps(data, sort_keys=True, default=str)


def scenario_identity(scenario: Scenario) -> str:
    """A hash of everything in ``scenario`` that can change a result (not its seed)."""
    return hashlib.sha256(_scenario_text(scenario).encode()).hexdigest()


def base_fingerprint(scenario: Scenario) -> str:
    """A short hash of a sweep's base scenario, seed included."""
    text = f"{_scenario_text(scenario)}|{scenario.seed}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def independent_seed(base_seed: int, identity: str, replication: int) -> int:
    """A seed of its own for one run, when common random numbers are off."""
    digest = hashlib.sha256(f"{base_seed}|{identity}|{replication}".encode()).digest()
    return int.from_bytes(digest[:4], "little")


@dataclass(frozen=True)
class Task:
    """One run to do: ``scenario`` with ``seed``, replication ``replication``."""

    scenario: Scenario
    identity: str  # scenario_identity(scenario), computed once per cell
    seed: int
    replication: int
    base: str
    force: bool = False  # run even if the budget check would refuse it

    @cached_property
    def run_id(self) -> str:
        text = f"{self.identity}|{self.seed}|{self.replication}"
        return hashlib.sha256(text.encode()).hexdigest()[:32]


def run_task(task: Task) -> dict[str, Any]:
    """Run one task; never raises: a failure is a row with ``error`` set.

    The row has the run's identity (``run_id``, ``base``, ``replication``, ``seed``), the
    scenario as JSON, the package version, ``error``, ``wall_s`` and every summary metric
    as a float (NaN when the run failed). Metrics outside :data:`SUMMARY_METRICS` (per-room
    counts) go in ``extra_metrics`` as JSON, so every stored row has the same columns.
    """
    from ..runner import run  # here: a worker process imports the model only when it runs

    row: dict[str, Any] = {
        "run_id": task.run_id,
        "base": task.base,
        "replication": task.replication,
        "seed": task.seed,
        "scenario_json": json.dumps(task.scenario.to_dict(), default=str),
        "rtsim_version": __version__,
    }
    metrics = dict.fromkeys(SUMMARY_METRICS, math.nan)
    extra: dict[str, float] = {}
    started = time.perf_counter()
    try:
        summary = run(task.scenario, seed=task.seed, force=task.force).summary()
        for name, value in summary.items():
            (metrics if name in metrics else extra)[name] = float(value)
        row["error"] = ""
    except Exception as error:  # any failure is recorded in the row, by design
        row["error"] = f"{type(error).__name__}: {error}"
    row["wall_s"] = time.perf_counter() - started
    row["extra_metrics"] = json.dumps(extra, sort_keys=True)
    row.update(metrics)
    return row
