"""The package's import structure: every import goes down the layers, and no two modules
import each other, directly or around a cycle.

Imports made only for type checking (under ``if TYPE_CHECKING:``) are left out: they do
not run, and a message may name the connection type that carries it.
"""

import ast
from collections import defaultdict
from pathlib import Path

from helpers import ROOT

PACKAGE = ROOT / "simulation"

# Bottom first. A module or subpackage of ``simulation`` may import only from layers below
# its own; each new one must be placed here.
LAYERS = [
    # plain data: errors, random streams, messages, wire sizes, counters
    {"errors", "_version", "rng", "messages", "run_stats", "protocols", "sketch", "course"},
    {"collector"},  # the garbage collector's thresholds during a run
    {"inputs"},  # reading files: TOML and CSV, size limits
    {"distribution_base"},
    {"country_rtt"},  # measured latencies, a distribution with its data
    {"distributions"},
    # declared parameters; the link; the tables, and the counters kept instead of them
    {"schema", "channel", "recorder", "tallies"},
    # "record": the record levels, a recorder per level
    {"network", "server", "faults", "groups", "workload", "transport", "record"},
    {"strategies"},
    {"consistency"},  # rules across sections (a strategy on a channel mode)
    {"scenario"},
    {"sharding"},  # a run split by client: what can be, the streams of one part
    {"analytic", "budget", "model"},
    {"metrics"},
    {"result"},
    {"runner", "merge"},  # "merge": one part of a split run, and merging the parts
    {"sweep", "plots", "testbed"},
    {"shards"},  # run(..., shards=N): the parts on processes or Dask
    {"reference", "figures"},
    {"cli"},
    {"__init__", "__main__"},  # the public API and the command line entry point
]


def module_name(path: Path) -> str:
    parts = ["simulation", *path.relative_to(PACKAGE).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in PACKAGE.rglob("*.py")}


def unit_of(module: str) -> str:
    """The top-level module or subpackage a module belongs to (``__init__`` for the root)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def imported_modules(path: Path) -> set[str]:
    """The modules of the package that ``path`` imports when it runs (any depth)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    type_only = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for statement in node.body
        for inner in ast.walk(statement)
    }
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                submodule = f"{target}.{alias.name}"
                found.add(submodule if submodule in MODULES else target)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {module for module in found if module in MODULES and module != name}


GRAPH = {module: imported_modules(path) for module, path in MODULES.items()}


def test_every_module_has_a_layer():
    placed = set().union(*LAYERS)
    units = {unit_of(module) for module in MODULES}
    assert units - placed == set(), "place each new module in LAYERS"
    assert placed - units == set(), "LAYERS names modules that no longer exist"


def test_every_import_goes_down_the_layers():
    layer = {unit: index for index, units in enumerate(LAYERS) for unit in units}
    upward = sorted(
        f"{module} imports {target}"
        for module, targets in GRAPH.items()
        for target in targets
        if unit_of(module) != unit_of(target) and layer[unit_of(target)] >= layer[unit_of(module)]
    )
    assert upward == []


def test_no_import_cycles_between_modules():
    """Inside a package too: socketio's Engine.IO layer never imports the namespace above it,
    the transport's recovery never imports its connections."""
    state: dict[str, str] = defaultdict(lambda: "new")
    cycles = []

    def visit(module: str, path: list[str]) -> None:
        state[module] = "open"
        for target in sorted(GRAPH[module]):
            if state[target] == "open":
                cycles.append(" -> ".join([*path[path.index(target) :], target]))
            elif state[target] == "new":
                visit(target, [*path, target])
        state[module] = "done"

    for module in sorted(GRAPH):
        if state[module] == "new":
            visit(module, [module])
    assert cycles == []


def test_the_checks_see_an_upward_import():
    """The analysis finds relative imports at any depth (so the tests above can fail)."""
    engineio = MODULES["simulation.strategies.socketio.engineio"]
    assert "simulation.strategies.socketio.session" in GRAPH[module_name(engineio)]
    assert "simulation.messages" in GRAPH["simulation.channel"]
    assert "simulation.transport" not in GRAPH["simulation.messages"]  # type-only import
