"""Every notebook is paired with its py:percent script, stored without outputs, and runs:
every figure shown once, every cell fast enough."""

import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

import jupytext
import nbformat
import pytest
from nbclient import NotebookClient

from helpers import ROOT

NOTEBOOK_DIR = ROOT / "notebooks"
ANSWERS_DIR = NOTEBOOK_DIR / "answers"  # worked answers to each notebook's exercises
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb")) + sorted(ANSWERS_DIR.glob("*.ipynb"))


def test_there_are_notebooks_and_each_has_its_script():
    assert len(NOTEBOOKS) >= 6
    for path in NOTEBOOKS:
        assert path.with_suffix(".py").exists(), f"{path.name} has no paired .py script"


def test_every_notebook_with_exercises_has_answers_and_every_answers_file_its_notebook():
    lessons = {path.stem for path in NOTEBOOK_DIR.glob("*.ipynb")}
    exercises = {
        name
        for name in lessons
        if re.search(r"^# #+ Exercises", (NOTEBOOK_DIR / f"{name}.py").read_text(), re.M)
    }
    answered = {path.stem.removesuffix("_answers") for path in ANSWERS_DIR.glob("*.ipynb")}
    assert exercises - answered == set()
    assert answered <= lessons, "an answers notebook without its notebook"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_and_script_hold_the_same_cells(path):
    stored = nbformat.read(path, as_version=4)
    paired = jupytext.read(path.with_suffix(".py"))
    assert [(c.cell_type, c.source) for c in stored.cells] == [
        (c.cell_type, c.source) for c in paired.cells
    ], f"{path.name} differs from its script: run `jupytext --sync {path.name}`"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_stored_without_outputs(path):
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, (
                f"{path.name}: strip outputs before committing"
            )


# Run in the kernel before the notebook's first cell: count the matplotlib figures each cell
# creates, and report the count as a display output of the cell itself, after the inline
# backend has shown the cell's figures (post_run_cell follows post_execute).
FIGURE_PROBE = """
import matplotlib.figure as _figure
from IPython import get_ipython as _get_ipython
from IPython.display import publish_display_data as _publish

_created = [0]
_figure_init = _figure.Figure.__init__


def _counting_init(self, *args, **kwargs):
    _created[0] += 1
    _figure_init(self, *args, **kwargs)


def _report_figures(result):
    _publish({PROBE_MIME: str(_created[0])})
    _created[0] = 0


_figure.Figure.__init__ = _counting_init
_get_ipython().events.register("post_run_cell", _report_figures)
"""
PROBE_MIME = "application/x-rtsim-figures-created"
# What Jupyter prints for a matplotlib object it cannot draw, or a stray return value.
STRAY_REPR = re.compile(r"^\[?(<Figure size|<Axes|<matplotlib\.|Text\()")
CELL_BOUND_S = 30.0  # every cell in full mode, on a 2-core machine
REAL_SERVER_BOUND_S = 180.0  # cells that run real servers say so with this tag
REAL_SERVER_TAG = "real-servers"


@dataclass
class Executed:
    notebook: nbformat.NotebookNode
    seconds: dict[int, float]  # code cell index -> wall time of its execution
    created: dict[int, int]  # code cell index -> figures it created
    widget_images: dict[int, int]  # code cell index -> images drawn into its widgets


def execute(path: Path, quick: bool) -> Executed:
    """Execute a notebook top to bottom in a fresh kernel, as nbclient (or JupyterLab's
    Run All) would, and record each cell's time and the figures it created."""
    notebook = nbformat.read(path, as_version=4)
    probe = nbformat.v4.new_code_cell(FIGURE_PROBE.replace("PROBE_MIME", repr(PROBE_MIME)))
    notebook.cells.insert(0, probe)
    started: dict[int, float] = {}
    seconds: dict[int, float] = {}
    widget_images: dict[int, int] = {}
    client = None

    def images_in_widgets() -> int:
        return sum(
            "image/png" in output.get("data", {})
            for state in client.widget_state.values()
            for output in state.get("outputs", [])
        )

    def on_cell_start(cell, cell_index):
        started[cell_index] = time.monotonic()
        widget_images[cell_index] = images_in_widgets()

    def on_cell_executed(cell, cell_index, execute_reply):
        seconds[cell_index] = time.monotonic() - started[cell_index]
        widget_images[cell_index] = images_in_widgets() - widget_images[cell_index]

    client = NotebookClient(
        notebook,
        timeout=600,  # a cell that hangs fails in 10 minutes instead of holding CI
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        on_cell_start=on_cell_start,
        on_cell_executed=on_cell_executed,
    )
    env = {k: v for k, v in os.environ.items() if k != "RTSIM_QUICK"}
    if quick:
        env["RTSIM_QUICK"] = "1"  # each notebook's small mode
    client.execute(env=env)  # raises CellExecutionError, with the failing cell, on any error
    del notebook.cells[0]
    created = {}
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        reports = [o for o in cell.outputs if PROBE_MIME in o.get("data", {})]
        created[index] = sum(int(o["data"][PROBE_MIME]) for o in reports)
        cell.outputs = [o for o in cell.outputs if o not in reports]
    shift = lambda by_index: {i - 1: v for i, v in by_index.items() if i > 0}  # noqa: E731
    return Executed(notebook, shift(seconds), created, shift(widget_images))


def figure_problems(executed: Executed) -> list[str]:
    """Each figure a cell creates is shown exactly once, as an image, and no matplotlib
    object is printed as text instead."""
    problems = []
    for index, cell in enumerate(executed.notebook.cells):
        if cell.cell_type != "code":
            continue
        where = f"cell {index} ({cell.source.strip().splitlines()[0][:60]!r})"
        images = [o["data"]["image/png"] for o in cell.outputs if "image/png" in o.get("data", {})]
        for output in cell.outputs:
            text = output.get("data", {}).get("text/plain", "")
            if "image/png" not in output.get("data", {}) and STRAY_REPR.match(text):
                problems.append(f"{where} prints {text[:60]!r} instead of drawing it")
        if len(set(images)) < len(images):
            problems.append(f"{where} shows the same figure more than once")
        shown = len(images) + executed.widget_images.get(index, 0)
        if shown != executed.created[index]:
            problems.append(f"{where} creates {executed.created[index]} figures, shows {shown}")
    return problems


def slow_cells(executed: Executed) -> list[str]:
    slow = []
    for index, seconds in executed.seconds.items():
        cell = executed.notebook.cells[index]
        bound = (
            REAL_SERVER_BOUND_S
            if REAL_SERVER_TAG in cell.metadata.get("tags", [])
            else CELL_BOUND_S
        )
        if seconds > bound:
            slow.append(f"cell {index} took {seconds:.0f} s (bound {bound:.0f} s)")
    return slow


def save_executed(path: Path, executed: Executed) -> None:
    """With RTSIM_EXECUTED_DIR set (``make docs``), keep the executed notebook for the site."""
    if out := os.environ.get("RTSIM_EXECUTED_DIR"):
        target = Path(out) / path.relative_to(NOTEBOOK_DIR)
        target.parent.mkdir(parents=True, exist_ok=True)
        executed.notebook.metadata["rtsim_seconds"] = round(sum(executed.seconds.values()))
        nbformat.write(executed.notebook, target)


def timing_table(path: Path, executed: Executed) -> str:
    return "\n".join(
        f"{path.name} cell {index:2d} {seconds:6.1f} s  "
        f"{executed.notebook.cells[index].source.strip().splitlines()[0][:60]}"
        for index, seconds in executed.seconds.items()
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_prediction_is_followed_by_a_collapsed_answer(path):
    """A "predict, run, explain" question: a cell tagged ``prediction`` where the student
    writes a number, then the run and its self-check, then a markdown answer tagged
    ``answer`` and collapsed (JupyterLab's ``source_hidden``)."""
    cells = nbformat.read(path, as_version=4).cells
    tags = [set(cell.metadata.get("tags", [])) for cell in cells]
    predictions = [i for i, t in enumerate(tags) if "prediction" in t]
    answers = [i for i, t in enumerate(tags) if "answer" in t]
    assert len(predictions) == len(answers)
    for prediction, answer in zip(predictions, answers, strict=True):
        assert prediction < answer
        assert cells[answer].cell_type == "markdown"
        assert cells[answer].metadata.get("jupyter", {}).get("source_hidden") is True
        assert cells[answer].source.startswith("**Answer.**")


def test_only_real_server_cells_may_be_slow_and_they_say_so():
    tagged = [
        (path.name, cell)
        for path in NOTEBOOKS
        for cell in nbformat.read(path, as_version=4).cells
        if REAL_SERVER_TAG in cell.metadata.get("tags", [])
    ]
    assert {name for name, _ in tagged} == {"07_model_vs_reality.ipynb"}
    for name, cell in tagged:
        assert "minutes" in cell.source, f"{name}: a slow cell says how long it takes"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_executes_and_shows_every_figure_once(path, record_property):
    """Quick mode (RTSIM_QUICK=1): every cell runs, every figure appears once; each cell's
    time is recorded (``-rP`` or the JUnit XML shows it)."""
    executed = execute(path, quick=True)
    record_property("cell_seconds", executed.seconds)
    print(timing_table(path, executed))
    assert figure_problems(executed) == []


@pytest.mark.skipif(
    os.environ.get("RTSIM_FULL_NOTEBOOKS") != "1",
    reason="full mode takes minutes: set RTSIM_FULL_NOTEBOOKS=1",
)
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.relative_to(NOTEBOOK_DIR).as_posix())
def test_notebook_cells_are_fast_enough_in_full_mode(path):
    """Full mode, as a student runs it: no cell over 30 s, real-server cells (tagged
    ``real-servers``) over 3 minutes."""
    executed = execute(path, quick=False)
    print(timing_table(path, executed))
    assert slow_cells(executed) == []
    assert figure_problems(executed) == []
    save_executed(path, executed)
