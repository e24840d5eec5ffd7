"""rtsim: discrete-event simulation of real-time web communication on SimPy.

>>> from simulation import load_scenario, run
>>> result = run(load_scenario("scenarios/default.toml"))   # doctest: +SKIP
>>> result.summary()["latency_mean_s"]                       # doctest: +SKIP
"""

from ._version import __version__
from .distributions import (
    Constant,
    Distribution,
    Empirical,
    Exponential,
    LogNormal,
    Normal,
    Pareto,
    Uniform,
)
from .errors import ScenarioError
from .result import Result
from .runner import run
from .scenario import Scenario, load_scenario, parse_scenario
from .sweep import SweepInterrupted, SweepWorkerError, aggregate, load_runs, sweep

__all__ = [
    "Constant",
    "Distribution",
    "Empirical",
    "Exponential",
    "LogNormal",
    "Normal",
    "Pareto",
    "Result",
    "Scenario",
    "ScenarioError",
    "SweepInterrupted",
    "SweepWorkerError",
    "Uniform",
    "__version__",
    "aggregate",
    "load_runs",
    "load_scenario",
    "parse_scenario",
    "run",
    "sweep",
]
