"""rtsim: discrete-event simulation of real-time web communication on SimPy.

>>> from simulation import load_scenario, run
>>> result = run(load_scenario("scenarios/default.toml"))   # doctest: +SKIP
>>> result.summary()["latency_mean_s"]                       # doctest: +SKIP

Design: the package is layered, and imports only go down (``tests/test_layers.py`` holds
the order and checks it, with no import cycles between modules either):

1. plain data: ``errors``, ``rng`` (named streams from one SeedSequence), ``messages``,
   ``run_stats``, ``protocols/`` (wire sizes; each message kind with its category), then
   ``inputs`` (reading files) and the distributions;
2. the parts of a run: ``schema`` (one declarative validator), ``channel`` (links and
   channel modes), ``recorder`` (columns), then ``network``, ``server``, ``faults``,
   ``groups``, ``workload`` and ``transport/`` (TCP and TLS connections, pools);
3. ``strategies/``: each strategy sees only a typed ``StrategyContext``, keeps its state
   per client, and declares its own metrics; Socket.IO is an Engine.IO session layer
   under a namespace layer;
4. ``scenario`` (all sections, checked together), ``analytic/`` (closed forms),
   ``model`` and ``runner`` (one run), ``metrics`` and ``result`` (tables and summaries
   derived from the declarations);
5. what builds on runs: ``sweep/``, ``plots/``, ``testbed/``, ``shards`` (one run split
   by client: ``sharding`` says what can be and what a part is, ``merge`` runs a part and
   joins the parts), and at the top the ``cli/`` and this module's public API.
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
from .scenario import Scenario, load_scenario, parse_scenario
from .shards import run
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
