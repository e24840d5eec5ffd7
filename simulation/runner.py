"""``run(scenario, seed)``: one simulation from a scenario to a :class:`Result`."""

from __future__ import annotations

import logging
import time
from pathlib import Path

from .model import Model
from .result import Result
from .scenario import Scenario, load_scenario

__all__ = ["run"]

log = logging.getLogger(__name__)


def run(scenario: Scenario | str | Path, seed: int | None = None) -> Result:
    """Simulate ``scenario`` (a Scenario or a TOML path) with ``seed``.

    ``seed`` defaults to the scenario's own ``seed``; the same scenario and seed always give
    the same DataFrames.
    """
    if isinstance(scenario, (str, Path)):
        scenario = load_scenario(scenario)
    if not isinstance(scenario, Scenario):
        raise TypeError(f"run() needs a Scenario or a path, got {type(scenario).__name__}")
    seed = scenario.seed if seed is None else seed
    started = time.perf_counter()
    model = Model(scenario, seed)
    end_s = model.run()
    wall_s = time.perf_counter() - started
    log.info(
        "ran %s (%s, %d clients, %g s simulated, seed %d) in %.2f s",
        scenario.name,
        scenario.strategy.kind,
        scenario.clients,
        scenario.duration_s,
        seed,
        wall_s,
    )
    return Result(scenario, seed, end_s, wall_s, model.recorder, model.stats())
