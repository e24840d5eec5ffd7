"""``sweep()``: plan the runs of a grid, reuse the stored ones, run the rest, assemble a table.

The plan is a list of (cell, replication, task). A task is identified by the scenario it
runs, its seed and its replication (:mod:`.tasks`), so a stored run is reused exactly when
it is the same run, and the table groups cells by their values, never by position.
"""

from __future__ import annotations

import json
import logging
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..budget import BudgetError, check_budget, machine_means
from ..errors import ScenarioError
from ..scenario import Scenario
from ..schema import check_key
from .executors import EXECUTORS, execute, open_executor
from .grid import MAX_RUNS, cell_key, expand_grid
from .options import SweepOptions, Target
from .stats import mean_half_width
from .store import RunStore, expand_stored
from .tasks import MAX_SEED, Task, base_fingerprint, independent_seed, scenario_identity

__all__ = ["SweepInterrupted", "sweep"]

log = logging.getLogger(__name__)


class SweepInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped a sweep; the message says what is stored and how to go on."""


def _target(target: Mapping[str, Any] | Target | None, replications: int) -> Target | None:
    """``target`` checked as a sweep file's ``[target]`` (the same rules, the same words)."""
    if target is None:
        return None
    checked = (
        target
        if isinstance(target, Target)
        else check_key(SweepOptions, "target", target, "sweep: target")
    )
    SweepOptions(base="-", replications=replications, target=checked).check("sweep")
    return checked


@dataclass
class _Plan:
    """The cells of a sweep, the runs each needs, and the rows known so far."""

    base: Scenario
    cells: list[dict[str, Any]]
    scenarios: list[Scenario]
    identities: list[str]  # scenario_identity of each cell's scenario
    common_random_numbers: bool
    fingerprint: str
    rows: dict[str, dict[str, Any]]  # by run id: stored ones first, then new ones
    force: bool = False
    slots: list[tuple[int, int, str]] = field(default_factory=list)  # (cell, rep, run id)
    first_cell: dict[str, int] = field(default_factory=dict)  # the cell a run was planned for

    def add(self, cells: Sequence[int], replications: range) -> list[Task]:
        """Plan ``replications`` of ``cells``; the tasks whose run is not yet known."""
        new: dict[str, Task] = {}
        for index in cells:
            scenario, identity = self.scenarios[index], self.identities[index]
            for replication in replications:
                task = Task(
                    scenario,
                    identity,
                    self._seed(identity, replication),
                    replication,
                    self.fingerprint,
                    self.force,
                )
                self.slots.append((index, replication, task.run_id))
                self.first_cell.setdefault(task.run_id, index)
                if task.run_id not in self.rows:
                    new.setdefault(task.run_id, task)
        return list(new.values())

    def _seed(self, identity: str, replication: int) -> int:
        if self.common_random_numbers:
            return self.base.seed + replication
        return independent_seed(self.base.seed, identity, replication)

    def table(self) -> pd.DataFrame:
        """One row per planned (cell, replication) whose run is known, sorted by both."""
        records = []
        for index, replication, run_id in sorted(self.slots):
            if run_id not in self.rows:
                continue
            cell = self.cells[index]
            records.append(
                {
                    "cell": index,
                    **cell,
                    "cell_key": cell_key(cell),
                    **expand_stored(self.rows[run_id]),
                    "replication": replication,
                }
            )
        if not records:
            return pd.DataFrame()
        return pd.DataFrame(records)

    def unused(self) -> int:
        """Known runs that no planned cell uses (stored by an earlier grid)."""
        used = {run_id for _cell, _replication, run_id in self.slots}
        return sum(1 for run_id in self.rows if run_id not in used)


def sweep(
    base: Scenario,
    grid: Mapping[str, Sequence[Any]] | Sequence[Mapping[str, Any]],
    replications: int = 1,
    *,
    executor: str = "processes",
    workers: int | None = None,
    client: Any = None,
    scheduler: str | None = None,
    out: str | Path | None = None,
    target: Mapping[str, Any] | Target | None = None,
    common_random_numbers: bool = True,
    progress: bool = True,
    force: bool = False,
) -> pd.DataFrame:
    """Run ``grid`` x ``replications`` from ``base``; see :mod:`simulation.sweep`.

    Returns one row per (cell, replication), stored runs included, sorted by cell and
    replication. ``table.attrs`` says how many runs were ``computed`` and ``reused``, and
    how many stored runs belong to no cell of this grid (``stored_unused``: kept on disk,
    left out of the table).

    Raises :class:`SweepWorkerError` when a worker process of the ``processes`` executor
    dies (most often: a script that calls ``sweep()`` without an
    ``if __name__ == "__main__":`` guard), and :class:`SweepInterrupted` on Ctrl-C.
    """
    if not isinstance(base, Scenario):
        raise TypeError(f"sweep() needs a Scenario as base, got {type(base).__name__}")
    replications = check_key(SweepOptions, "replications", replications, "sweep: replications")
    if executor not in EXECUTORS:
        raise ScenarioError(
            f"sweep: unknown executor {executor!r} (allowed: {', '.join(EXECUTORS)})"
        )
    if workers is not None:
        workers = check_key(SweepOptions, "workers", workers, "sweep: workers")
    checked = _target(target, replications)
    most = checked.max_replications if checked else replications
    cells = expand_grid(grid, replications, max_runs=math.inf if force else MAX_RUNS)
    if base.seed + most - 1 > MAX_SEED:
        raise ScenarioError(
            f"sweep: seeds base.seed + replication must stay <= {MAX_SEED} (2^63 - 1); "
            f"seed {base.seed} leaves room for {MAX_SEED - base.seed + 1} replications"
        )
    scenarios = [base.replace(cell) for cell in cells]  # validates every cell up front
    identities = [scenario_identity(scenario) for scenario in scenarios]
    if not force:
        _check_budgets(cells, scenarios, identities, executor, workers, client, scheduler)
    fingerprint = base_fingerprint(base)
    store = RunStore(Path(out), fingerprint) if out is not None else None
    stored = store.load() if store is not None else {}
    plan = _Plan(
        base, cells, scenarios, identities, common_random_numbers, fingerprint, dict(stored), force
    )
    tasks = plan.add(range(len(cells)), range(replications))
    bar = _progress_bar(len(tasks), progress, len(stored))
    computed = 0
    failures = 0

    def on_done(row: dict[str, Any]) -> None:
        nonlocal computed, failures
        cell = cells[plan.first_cell[row["run_id"]]]
        row["params"] = json.dumps(cell, sort_keys=True, default=str)
        plan.rows[row["run_id"]] = row
        computed += 1
        if store is not None:
            store.append(row)
        if row["error"]:
            failures += 1
            log.warning(
                "run failed (%s, replication %s): %s", cell, row["replication"], row["error"]
            )
        if bar is not None:
            bar.update(1)
            bar.set_postfix(failed=failures, refresh=False)

    planned = replications
    try:
        with open_executor(executor, workers, client, scheduler) as pool:
            while tasks:
                execute(pool, tasks, on_done)
                if checked is None or planned >= checked.max_replications:
                    break
                unsettled = _unsettled_cells(plan.table(), checked, len(cells))
                if not unsettled:
                    break
                more = min(replications, checked.max_replications - planned)
                tasks = plan.add(unsettled, range(planned, planned + more))
                planned += more
                if bar is not None:
                    bar.total += len(tasks)
                    bar.refresh()
    except KeyboardInterrupt:
        raise SweepInterrupted(_interrupted(store, computed, len(stored))) from None
    finally:
        if bar is not None:
            bar.close()
    table = plan.table()
    unused = plan.unused()
    table.attrs.update(computed=computed, reused=len(stored) - unused, stored_unused=unused)
    if unused:
        log.warning(
            "%s: %d stored runs belong to no cell of this grid; kept on disk, left out",
            out,
            unused,
        )
    return table


def _check_budgets(cells, scenarios, identities, executor, workers, client, scheduler) -> None:
    """Refuse, before anything runs, a cell too large for the runs that share this machine.

    Runs on a remote Dask cluster are not checked: its machines are not this one.
    """
    if executor == "dask" and (client is not None or scheduler is not None):
        return
    parallel = 1 if executor == "serial" else workers or os.cpu_count() or 1
    means = machine_means(parallel)
    checked = set()
    for cell, scenario, identity in zip(cells, scenarios, identities, strict=True):
        if identity in checked:
            continue
        checked.add(identity)
        try:
            check_budget(scenario, means)
        except BudgetError as error:
            raise BudgetError(
                f"sweep cell {cell_key(cell)} ({parallel} run(s) at once): {error}"
            ) from None


def _interrupted(store: RunStore | None, computed: int, stored: int) -> str:
    if store is None:
        return (
            f"sweep interrupted after {computed} runs; nothing was stored (give an output "
            "directory, out=... or --out, to keep finished runs)"
        )
    return (
        f"sweep interrupted: {stored + computed} runs are stored in {store.path}; run the "
        "same sweep again (rtsim sweep FILE --resume) to finish the rest"
    )


def _unsettled_cells(runs: pd.DataFrame, target: Target, cell_count: int) -> list[int]:
    """Cells whose CI half-width for the target metric is still above the target."""
    unsettled = []
    ok = runs[runs["error"] == ""]
    for cell in range(cell_count):
        values = ok.loc[ok["cell"] == cell, target.metric].astype(float).dropna().to_numpy()
        mean, half = mean_half_width(values)
        if values.size < 2 or not (half <= target.relative_half_width * abs(mean)):
            unsettled.append(cell)
    return unsettled


def _progress_bar(total: int, enabled: bool, already: int):
    if not enabled or total == 0:
        return None
    from tqdm.auto import tqdm

    description = "sweep" if not already else f"sweep ({already} stored)"
    return tqdm(total=total, desc=description, unit="run")
