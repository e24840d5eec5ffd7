"""``run(scenario, seed)``: one simulation from a scenario to a :class:`Result`."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

from .budget import check_budget
from .model import Model
from .result import Result
from .scenario import Scenario, load_scenario

__all__ = ["PROGRESS_STEPS", "run"]

log = logging.getLogger(__name__)

PROGRESS_STEPS = 200  # calls of a progress hook per run


def run(
    scenario: Scenario | str | Path,
    seed: int | None = None,
    *,
    force: bool = False,
    progress: Callable[[float], None] | None = None,
) -> Result:
    """Simulate ``scenario`` (a Scenario or a TOML path) with ``seed``.

    ``seed`` defaults to the scenario's own ``seed``; the same scenario and seed always give
    the same DataFrames. A run estimated to need far more memory or time than this machine
    has raises :class:`~simulation.budget.BudgetError` before it starts, unless ``force``.
    ``progress``, if given, is called with the simulated time (s) reached, about
    ``PROGRESS_STEPS`` times a run and once at its end; it does not change the results.
    """
    if isinstance(scenario, (str, Path)):
        scenario = load_scenario(scenario)
    if not isinstance(scenario, Scenario):
        raise TypeError(f"run() needs a Scenario or a path, got {type(scenario).__name__}")
    seed = scenario.seed if seed is None else seed
    if not force:
        check_budget(scenario)
    started = time.perf_counter()
    model = Model(scenario, seed)
    if progress is not None:
        model.env.process(_report_progress(model.env, scenario.duration_s, progress))
    end_s = model.run()
    if progress is not None:
        progress(end_s)
    wall_s = time.perf_counter() - started
    if model.recorder.recorded_updates() == 0:
        workload = scenario.workload
        log.warning(
            "%s: the run created no updates in its %g s (workload: kind %r, rate_per_s = "
            "%g, start_s = %g s): every delivery metric is empty",
            scenario.source,
            scenario.duration_s,
            workload.kind,
            workload.rate_per_s,
            workload.start_s,
        )
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


def _report_progress(env, duration_s: float, hook: Callable[[float], None]):
    """A process that only calls ``hook``: it reads no random stream and changes no state,
    so the run's events happen in the same order as without it."""
    step = duration_s / PROGRESS_STEPS
    while True:
        yield env.timeout(step)
        hook(env.now)
