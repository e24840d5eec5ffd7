"""A sweep's options, declared once: the keys of a sweep file, which ``sweep()`` checks
its own arguments against too.

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

Instead of ``[grid]``, ``[[cells]]`` tables list explicit cells. The grid's keys are
scenario keys, checked against the base scenario (:mod:`.grid`).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ScenarioError
from ..metrics import SUMMARY_METRICS
from ..schema import REQUIRED, param
from .executors import EXECUTORS

__all__ = ["DEFAULT_METRICS", "SweepOptions", "Target"]

DEFAULT_METRICS = ("latency_mean_s", "latency_p95_s", "empty_fraction", "bytes_per_delivery")


@dataclass(frozen=True)
class Target:
    """``[target]``: add replications until a metric's confidence interval is narrow."""

    metric: str = param(
        REQUIRED,
        "the summary metric whose 95% CI must be narrow",
        choices=tuple(SUMMARY_METRICS),
        choices_text="a summary metric (see Metrics)",
    )
    relative_half_width: float = param(
        REQUIRED, "the CI's half-width the cell must reach, as a fraction of its mean", gt=0
    )
    max_replications: int = param(
        100, "stop adding replications at this many runs per cell", ge=2, source="a bound"
    )


@dataclass(frozen=True)
class SweepOptions:
    """The keys of a sweep file (its ``[grid]`` or ``[[cells]]`` aside)."""

    base: str = param(REQUIRED, "the base scenario file, relative to the sweep file")
    name: str = param("", "name shown above the table; default: the sweep file's name")
    description: str = param("", "what the sweep shows")
    replications: int = param(
        1, "runs of every cell (seeds base.seed + 0, 1, ...)", ge=1, source="one run"
    )
    executor: str = param(
        "processes",
        "where runs execute: serial, processes (every core) or dask",
        choices=EXECUTORS,
        source="every core of this machine",
    )
    workers: int | None = param(
        None, "processes or Dask workers; default: one per core", ge=1, source="os.cpu_count()"
    )
    scheduler: str | None = param(None, "a Dask scheduler's address, with executor = dask")
    out: str | None = param(
        None, "the folder that keeps every finished run, relative to the working directory"
    )
    metrics: tuple[str, ...] = param(
        DEFAULT_METRICS,
        "the metrics of the printed table",
        choices=tuple(SUMMARY_METRICS),
        choices_text="summary metrics (see Metrics)",
        source="latency, empty polls and bytes",
    )
    target: Target | None = param(None, "add replications to a precision: [target]")

    def check(self, where: str) -> None:
        if self.target is not None and self.target.max_replications < self.replications:
            raise ScenarioError(
                f"{where}: target.max_replications ({self.target.max_replications}) must be "
                f">= replications ({self.replications})"
            )
