"""Parameter sweeps: a grid of cells x replications, run anywhere, stored as they finish.

``sweep(base, grid, replications)`` runs every cell of ``grid`` (dotted parameter paths
mapped to value lists, the full factorial; or an explicit list of cells) ``replications``
times and returns a tidy DataFrame with one row per run: ``cell``, the varied parameters,
``replication``, ``seed``, every summary metric, ``wall_s`` and ``error``. A run that
fails is a row with its error message; it never stops the sweep.

**Seeds.** Replication ``r`` of every cell runs with seed ``base.seed + r`` (common random
numbers): the cells of one replication see the same random streams, so differences
between cells are not noise. ``common_random_numbers=False`` gives every run its own seed
instead, derived from its scenario and replication.

**Executors.** ``"serial"``; ``"processes"`` (default: a pool of worker processes started
with "spawn", safe from Jupyter); ``"dask"`` (a ``dask.distributed.Client``, a scheduler
address, or a ``LocalCluster`` made for the sweep). The results do not depend on the
executor.

**Persistence.** With ``out``, each finished run is written at once as one Parquet file in
the directory ``out``, named by the run's identity: a hash of its full scenario, its seed
and its replication (:mod:`.tasks`). Calling a sweep again reuses exactly the stored runs
whose identity matches, computes the rest, and returns the union; a grid can be edited in
between (values added, removed or reordered) and the table is the one a fresh run of the
edited grid would give. See :mod:`.store` for what the directory guarantees.

**Precision.** ``target={"metric": "latency_mean_s", "relative_half_width": 0.05,
"max_replications": 50}`` keeps adding ``replications`` more runs to every cell whose 95%
confidence half-width is above that fraction of its mean, until none is or the maximum is
reached.

The package: :mod:`.grid` (cells), :mod:`.tasks` (one run and its identity),
:mod:`.store` (the output directory), :mod:`.executors`, :mod:`.stats` (aggregation),
:mod:`.driver` (``sweep()``) and :mod:`.file` (sweep files).
"""

import logging
from pathlib import Path

import pandas as pd

from .driver import SweepInterrupted, sweep
from .executors import EXECUTORS, SweepWorkerError
from .grid import expand_grid
from .stats import aggregate, format_aggregate
from .store import RunStore, expand_stored

__all__ = [
    "EXECUTORS",
    "SweepInterrupted",
    "SweepWorkerError",
    "aggregate",
    "expand_grid",
    "format_aggregate",
    "load_runs",
    "sweep",
]

log = logging.getLogger(__name__)


def load_runs(out: str | Path) -> pd.DataFrame:
    """Every run stored in a sweep's output directory, with its parameters as columns.

    ``pandas.read_parquet(out)`` reads the same files; this also unpacks the ``params``
    and per-room metric columns, which are stored as JSON so every file has the same
    columns. Runs of every grid that used the directory are included.
    """
    import json

    rows, unreadable = RunStore(Path(out), base="").scan()
    for file, problem in unreadable:
        log.warning("%s: %s; left out", file, problem)
    return pd.DataFrame([{**json.loads(row["params"]), **expand_stored(row)} for row in rows])
