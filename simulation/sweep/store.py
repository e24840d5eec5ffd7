"""A sweep's output directory: one Parquet file per finished run, named by its identity.

Guarantees (docs/sweeps.md, "Data safety"):

* A run is written the moment it finishes, to a temporary file that is then renamed: a
  killed sweep leaves whole files or none.
* Every file has the same columns with the same types (parameters as JSON in
  ``params``, every summary metric as float64, per-room metrics as JSON), so
  ``pandas.read_parquet(out)`` reads any sweep's directory as one table.
* A file that cannot be read as one of this sweep's runs (truncated, empty, or not a run
  at all) is moved to ``_quarantine/`` inside the directory, never deleted, and its run is
  computed again. The leading underscore keeps pyarrow (and so ``read_parquet``) out of it.
* A directory holding runs of another base scenario is refused as a whole.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import ScenarioError
from ..metrics import SUMMARY_METRICS

__all__ = ["QUARANTINE", "RUN_COLUMNS", "RunStore", "expand_stored"]

QUARANTINE = "_quarantine"
RUN_COLUMNS = (
    "run_id",
    "base",
    "params",
    "replication",
    "seed",
    "scenario_json",
    "rtsim_version",
    "error",
    "wall_s",
    "extra_metrics",
)
_TYPES = {"replication": "int64", "seed": "int64", "wall_s": "float64"}
log = logging.getLogger(__name__)


def _frame(row: dict[str, Any]) -> pd.DataFrame:
    """One stored row, always with the same columns and types."""
    columns = [*RUN_COLUMNS, *SUMMARY_METRICS]
    frame = pd.DataFrame([{name: row[name] for name in columns}], columns=columns)
    types = {name: "float64" for name in SUMMARY_METRICS}
    types.update({name: "string" for name in RUN_COLUMNS if name not in _TYPES})
    types.update(_TYPES)
    return frame.astype(types)


class RunStore:
    """The runs stored in ``path`` for the base scenario with fingerprint ``base``."""

    def __init__(self, path: Path, base: str):
        self.path = path
        self.base = base

    def _files(self) -> list[Path]:
        if not self.path.exists():
            return []
        if not self.path.is_dir():
            raise ScenarioError(f"{self.path}: exists and is not a sweep output directory")
        # pyarrow skips names starting with '.' or '_' (temporary files, the quarantine)
        return sorted(
            entry
            for entry in self.path.iterdir()
            if entry.is_file() and not entry.name.startswith((".", "_"))
        )

    def scan(self) -> tuple[list[dict[str, Any]], list[tuple[Path, str]]]:
        """Every readable run in the directory, of any base, and the unreadable files."""
        runs: list[dict[str, Any]] = []
        unreadable: list[tuple[Path, str]] = []
        for file in self._files():
            row, problem = _read_run(file)
            if problem:
                unreadable.append((file, problem))
            else:
                runs.append(row)
        return runs, unreadable

    def load(self) -> dict[str, dict[str, Any]]:
        """This base's stored runs by run id; unreadable files are quarantined first."""
        rows, unreadable = self.scan()
        if any(row["base"] != self.base for row in rows):
            raise ScenarioError(
                f"{self.path}: holds runs of a different base scenario; a sweep only "
                "resumes its own runs. Use another output path, or move this one away."
            )
        for file, problem in unreadable:
            self._quarantine(file, problem)
        return {row["run_id"]: row for row in rows}

    def _quarantine(self, file: Path, problem: str) -> None:
        folder = self.path / QUARANTINE
        folder.mkdir(exist_ok=True)
        target = folder / file.name
        copy = 1
        while target.exists():
            target = folder / f"{file.name}.{copy}"
            copy += 1
        os.replace(file, target)
        log.warning(
            "%s: %s; moved to %s/ (kept, not deleted), its run will be computed again",
            file,
            problem,
            folder,
        )

    def append(self, row: dict[str, Any]) -> None:
        """Store one finished run, atomically."""
        self.path.mkdir(parents=True, exist_ok=True)
        name = f"{row['run_id']}.parquet"
        temporary = self.path / f".{name}.tmp"
        _frame(row).to_parquet(temporary, index=False)
        os.replace(temporary, self.path / name)  # atomic: a killed sweep leaves no half file


def _read_run(file: Path) -> tuple[dict[str, Any], str]:
    """The run stored in ``file``, or what is wrong with it."""
    try:
        frame = pd.read_parquet(file)
    except Exception as error:  # pyarrow raises several types for a damaged file
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        return {}, f"not a readable Parquet file ({reason})"
    missing = [name for name in RUN_COLUMNS if name not in frame.columns]
    if missing:
        return {}, f"not a run of an rtsim sweep (no columns {', '.join(missing)})"
    if len(frame) != 1:
        return {}, f"holds {len(frame)} rows, not the one run a sweep writes"
    row = frame.iloc[0].to_dict()
    if f"{row['run_id']}.parquet" != file.name:
        return {}, "its name does not match the run it holds"
    return row, ""


def expand_stored(row: dict[str, Any]) -> dict[str, Any]:
    """A stored row with its per-room metrics as columns of their own."""
    expanded = {k: v for k, v in row.items() if k not in ("extra_metrics", "params")}
    expanded.update(json.loads(row.get("extra_metrics") or "{}"))
    return expanded
