"""Output files of `rtsim run` and `rtsim sweep`: checked before anything runs, written
safely (every scenario in its own folder, never outside the folder given)."""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

from ..errors import ScenarioError
from ..record import TABLE_LEVELS
from ..result import missing_table

TABLES = ("deliveries", "transfers", "connections", "updates")


def _writable_folder(folder: Path, option: str) -> None:
    """``folder`` is, or can be created as, a folder that can be written in.

    ``option`` (``"--save DIR"``) starts the error message.
    """
    ancestor = folder
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise ScenarioError(f"{option}: {ancestor} is a file, not a folder")
    try:  # a real probe: permissions alone do not tell (root, read-only mounts, /proc)
        with tempfile.TemporaryFile(dir=ancestor):
            pass
    except OSError as error:
        raise ScenarioError(
            f"{option}: cannot write in {ancestor}: {error.strerror or error}"
        ) from None


def _safe_name(name: str) -> str:
    """A file name made from a scenario name: letters, digits, '.', '-' and '_' only."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._")[:80]
    return safe or "scenario"


def _table_folders(scenarios, directory: str) -> list[Path]:
    """One folder per scenario inside ``directory``: safely named, unique, checked now."""
    root = Path(directory)
    if root.exists() and not root.is_dir():
        raise ScenarioError(f"--save {root}: exists and is not a folder")
    _writable_folder(root, f"--save {root}")
    folders, used = [], set()
    for scenario in scenarios:
        base = name = _safe_name(scenario.name)
        number = 2
        while name.lower() in used:  # case-insensitive file systems too
            name = f"{base}-{number}"
            number += 1
        used.add(name.lower())
        folder = root / name
        if folder.exists() and not folder.is_dir():
            raise ScenarioError(f"--save {root}: {folder} exists and is not a folder")
        for table in TABLES:
            if (folder / f"{table}.csv").is_dir():
                raise ScenarioError(f"--save {root}: {folder / table}.csv is a folder")
        folders.append(folder)
    return folders


def _save_tables(results, folders: list[Path], root: Path) -> None:
    sys.stdout.flush()
    try:
        for result, folder in zip(results, folders, strict=True):
            folder.mkdir(parents=True, exist_ok=True)
            for table in TABLES:  # those the run's [record] level kept
                if result.level in TABLE_LEVELS[table]:
                    result.table(table).to_csv(folder / f"{table}.csv", index=False)
            if result.tallies is not None:  # what it kept of the transfers instead
                counts = result.tallies.transfer_counts
                counts.to_csv(folder / "transfer_counts.csv", index=False)
    except OSError as error:
        raise ScenarioError(f"--save {root}: cannot write: {error}") from None
    names = ", ".join(f"{folder.name}/" for folder in folders)
    print(f"tables written to {root}/ ({names})", file=sys.stderr)


def _plot_path(text: str) -> Path:
    """The --plot path, checked before anything is simulated."""
    from matplotlib.backend_bases import FigureCanvasBase

    path = Path(text)
    formats = sorted(FigureCanvasBase.get_supported_filetypes())
    suffix = path.suffix.lower().lstrip(".")
    if suffix not in formats:
        got = f"'.{suffix}'" if suffix else "no suffix"
        raise ScenarioError(
            f"--plot {path}: the file name must end in an image format, got {got} "
            f"(allowed: {', '.join(formats)})"
        )
    if path.is_dir():
        raise ScenarioError(f"--plot {path}: is a folder; give a file name such as x.png")
    _writable_folder(path.parent, f"--plot {path}")
    return path


def _check_plot_levels(scenarios, path: Path) -> None:
    """The latency plot needs the deliveries table: refuse, before any run, a scenario
    whose ``[record] level`` does not keep it."""
    for scenario in scenarios:
        level = scenario.record.level
        if level not in TABLE_LEVELS["deliveries"]:
            raise missing_table("deliveries", level, f"--plot {path} ({scenario.source})")


def _save_plot(results, path: Path) -> None:
    sys.stdout.flush()
    if all(len(result.deliveries) == 0 for result in results):
        raise ScenarioError(
            f"--plot {path}: no run delivered any update, so there is nothing to draw "
            "(no plot written)"
        )
    from ..plots import figure_of, latency_cdf

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        ax = latency_cdf(results)
        figure_of(ax).savefig(path, dpi=120)
    except OSError as error:
        raise ScenarioError(f"--plot {path}: cannot write: {error}") from None
    print(f"latency plot written to {path}", file=sys.stderr)


def _check_output_file(path: Path, option: str) -> None:
    """Refuse, before any work, an output file that cannot be written."""
    if path.is_dir():
        raise ScenarioError(f"{option} {path}: is a folder; give a file name")
    _writable_folder(path.parent, f"{option} {path}")
