"""The ``rtsim`` command line: ``run``, ``sweep``, ``validate`` and ``list``.

Bad input (a missing or malformed scenario file, an unknown key or value, an impossible
combination, a run far beyond this machine's means, an output path that cannot be
written) prints one line naming the file and key to stderr and exits with status 2,
before anything is simulated. Ctrl-C prints one line and exits with status 130; a closed
pipe (``rtsim list --keys | head``) ends the command quietly with status 141, as a
process killed by SIGPIPE would.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import re
import sys
import tempfile
from pathlib import Path

from . import __version__
from .budget import check_budget
from .channel import MODE_DESCRIPTIONS
from .distributions import DISTRIBUTIONS
from .errors import ScenarioError
from .runner import run
from .scenario import load_scenario, scenario_keys
from .strategies import STRATEGIES
from .sweep import SweepWorkerError

__all__ = ["main"]

EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report Ctrl-C
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE
TABLES = ("deliveries", "transfers", "connections", "updates")
# optional dependencies: top-level module -> the extra that installs it
EXTRAS = {"dask": "dask", "distributed": "dask", "aiohttp": "testbed", "websockets": "testbed"}


def _format_value(value) -> str:
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if math.isnan(value):
            return "-"
        return f"{value:.4g}"
    return str(value)


def _comparison_table(results) -> str:
    import pandas as pd

    columns = {}
    for result in results:
        name = result.scenario.name
        while name in columns:
            name += "'"
        columns[name] = result.summary()
    table = pd.DataFrame(columns)
    header = pd.DataFrame(
        {
            name: [r.scenario.strategy.kind, r.scenario.network.mode, r.seed]
            for name, r in zip(columns, results, strict=True)
        },
        index=["strategy", "channel", "seed"],
    )
    table = pd.concat([header, table]).map(_format_value)
    return table.to_string()


GROUP_METRICS = (
    "deliveries",
    "delivery_ratio",
    "latency_mean_s",
    "latency_p95_s",
    "latency_max_s",
    "empty_fraction",
    "bytes_per_delivery",
)


def _group_table(result) -> str:
    """One scenario's summary per client group, a row each (--json has every metric)."""
    summary = result.summary(by="group")
    groups = result.scenario.groups
    table = summary[list(GROUP_METRICS)].astype(object)
    table.insert(0, "clients", [g.count for g in groups] or [result.scenario.clients])
    latency = [g.network.latency_s for g in groups] or [result.scenario.network.latency_s]
    table.insert(1, "one_way_mean_ms", [value.mean() * 1e3 for value in latency])
    return f"{result.scenario.name}, by group:\n{table.map(_format_value).to_string()}"


def _cmd_run(args) -> int:
    scenarios = [load_scenario(path) for path in args.files]  # validate all before running
    plot = _plot_path(args.plot) if args.plot else None  # and every output path
    folders = _table_folders(scenarios, args.save) if args.save else None
    if not args.force:
        for scenario in scenarios:
            check_budget(scenario)
    show_progress = not args.quiet and sys.stderr.isatty()
    results = []
    for scenario in scenarios:
        bar = _progress_bar(scenario) if show_progress else None
        try:
            hook = None if bar is None else (lambda now, bar=bar: bar.update(now - bar.n))
            results.append(run(scenario, seed=args.seed, force=True, progress=hook))
        finally:
            if bar is not None:
                bar.close()
    if args.json:
        payload = [
            {
                "name": r.scenario.name,
                "source": r.scenario.source,
                "strategy": r.scenario.strategy.kind,
                "seed": r.seed,
                "wall_s": r.wall_s,
                "summary": {k: _json_number(v) for k, v in r.summary().items()},
            }
            for r in results
        ]
        if args.by:
            for entry, result in zip(payload, results, strict=True):
                groups = result.summary(by="group")
                entry["by_group"] = {
                    str(name): {k: _json_number(v) for k, v in row.items()}
                    for name, row in groups.iterrows()
                }
        print(json.dumps(payload, indent=2))
    elif args.by:
        print("\n\n".join(_group_table(result) for result in results))
    else:
        print(_comparison_table(results))
    if folders is not None:
        _save_tables(results, folders, Path(args.save))
    if plot is not None:
        _save_plot(results, plot)
    return 0


def _progress_bar(scenario):
    """A bar over simulated time, shown only once a run has lasted 2 s."""
    from tqdm import tqdm

    return tqdm(
        total=scenario.duration_s,
        desc=scenario.name,
        unit="s",
        unit_scale=False,
        delay=2.0,
        leave=False,
        file=sys.stderr,
        bar_format="{desc}: {percentage:3.0f}%|{bar}| {n:.4g}/{total:.4g} s simulated "
        "[{elapsed}<{remaining}]",
    )


def _json_number(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value.item() if hasattr(value, "item") else value


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
            for table in TABLES:
                getattr(result, table).to_csv(folder / f"{table}.csv", index=False)
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


def _save_plot(results, path: Path) -> None:
    sys.stdout.flush()
    if all(len(result.deliveries) == 0 for result in results):
        raise ScenarioError(
            f"--plot {path}: no run delivered any update, so there is nothing to draw "
            "(no plot written)"
        )
    from .plots import latency_cdf

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        ax = latency_cdf(results)
        ax.figure.savefig(path, dpi=120)
    except OSError as error:
        raise ScenarioError(f"--plot {path}: cannot write: {error}") from None
    print(f"latency plot written to {path}", file=sys.stderr)


def _cmd_sweep(args) -> int:
    from .sweep import aggregate, format_aggregate, sweep
    from .sweep.file import load_sweep

    spec = load_sweep(args.file)
    out = Path(args.out) if args.out else spec.out
    if out is not None and not args.resume and out.exists() and any(out.glob("*.parquet")):
        raise ScenarioError(
            f"{out}: already holds runs of a sweep; pass --resume to finish it, or remove it"
        )
    if args.save:
        _check_output_file(Path(args.save), "--save")
    # Ctrl-C raises SweepInterrupted, whose message main() prints (what is stored, how
    # to resume)
    runs = sweep(
        spec.base,
        spec.grid,
        args.replications or spec.replications,
        executor=args.executor or spec.executor,
        workers=args.workers or spec.workers,
        scheduler=args.scheduler or spec.scheduler,
        out=out,
        target=spec.target,
        progress=not args.no_progress,
        force=args.force,
    )
    table = aggregate(runs, spec.metrics)
    sys.stdout.flush()
    failed = int((runs["error"] != "").sum())
    reused = runs.attrs.get("reused", 0)
    print(
        f"{spec.name}: {len(runs)} runs, {failed} failed"
        + (f" ({reused} reused from {out})" if reused else "")
    )
    if runs.attrs.get("stored_unused"):
        print(
            f"{out}: {runs.attrs['stored_unused']} stored runs belong to no cell of this "
            "grid; they are kept on disk and left out of this table",
            file=sys.stderr,
        )
    print(format_aggregate(table, spec.metrics))
    if args.save:
        Path(args.save).parent.mkdir(parents=True, exist_ok=True)
        table.to_csv(args.save, index=False)
        print(f"aggregated table written to {args.save}", file=sys.stderr)
    return 0


def _check_output_file(path: Path, option: str) -> None:
    """Refuse, before any work, an output file that cannot be written."""
    if path.is_dir():
        raise ScenarioError(f"{option} {path}: is a folder; give a file name")
    _writable_folder(path.parent, f"{option} {path}")


def _cmd_validate(args) -> int:
    """Check every file, report each; status 2 if any is bad."""
    bad = 0
    for path in args.files:
        try:
            scenario = load_scenario(path)
        except ScenarioError as error:
            bad += 1
            sys.stdout.flush()
            print(f"rtsim: error: {error}", file=sys.stderr)
            continue
        print(
            f"ok: {path} ({scenario.name}: {scenario.strategy.kind} on "
            f"{scenario.network.mode}, {scenario.clients:,} client"
            f"{'' if scenario.clients == 1 else 's'}, {scenario.duration_s:g} s)"
        )
    if bad and len(args.files) > 1:
        sys.stdout.flush()
        print(f"rtsim: {bad} of {len(args.files)} files are invalid", file=sys.stderr)
    return EXIT_BAD_INPUT if bad else 0


def _cmd_validate_testbed(args) -> int:
    try:
        from .testbed import CLIENT_MESSAGE_STRATEGIES, TESTBED_STRATEGIES, Cell, compare
        from .testbed.report import markdown_table
    except ImportError as error:
        raise ScenarioError(
            f"the testbed needs the 'testbed' extra ({error.name} is missing): "
            "pip install 'rtsim[testbed]', or run make validate"
        ) from None
    strategies = args.strategies or TESTBED_STRATEGIES
    unknown = [name for name in strategies if name not in TESTBED_STRATEGIES]
    if unknown:
        raise ScenarioError(
            f"--strategies: unknown {', '.join(unknown)} (allowed: {', '.join(TESTBED_STRATEGIES)})"
        )
    latencies, rates, duration = args.latencies_ms, args.rates, args.duration_s
    if args.quick:
        latencies, rates, duration = (50.0,), (2.0,), 5.0
    if not (duration > 0 and math.isfinite(duration)):
        raise ScenarioError(f"--duration-s: must be a positive number, got {duration}")
    cells = [
        Cell(
            name,
            latency / 1000,
            rate,
            args.clients,
            duration,
            args.seed,
            args.client_rate if name in CLIENT_MESSAGE_STRATEGIES else 0.0,
        )
        for name in strategies
        for latency in latencies
        for rate in rates
    ]
    comparison = compare(cells, progress=not args.no_progress)
    print(markdown_table(comparison))
    if args.csv:
        path = Path(args.csv)
        path.parent.mkdir(parents=True, exist_ok=True)
        comparison.to_csv(path, index=False)
    return 0


def _countries_table(server: str) -> str:
    """Every country measured with ``server``: pings and one-way latency (country-rtt)."""
    from .country_rtt import MIN_PINGS, CountryError, CountryRtt, top_countries

    try:
        ranked = top_countries(server, 10_000)
    except CountryError as error:
        raise ScenarioError(f"--countries: {error}") from None
    lines = [
        f"client countries measured with server {server} (RIPE Atlas, 2025; pairs with "
        f">= {MIN_PINGS} pings), by share of pings:",
        f"  {'client':8} {'share':>7} {'one-way mean':>13} {'sd':>9} {'floor':>9}",
    ]
    for country, share in ranked:
        latency = CountryRtt(server, country)
        lines.append(
            f"  {country:8} {share:7.2%} {latency.mean() * 1e3:10.1f} ms "
            f"{latency.std() * 1e3:6.1f} ms {latency.floor_s * 1e3:6.1f} ms"
        )
    return "\n".join(lines)


def _cmd_list(args) -> int:
    if args.countries:
        print(_countries_table(args.countries))
        return 0
    if args.markdown and not args.keys:
        raise ScenarioError("--markdown goes with --keys")
    if args.keys and args.markdown:
        from .reference import scenario_reference_markdown

        print(scenario_reference_markdown(), end="")
        return 0
    print("strategies (strategy.kind):")
    for name, cls in STRATEGIES.items():
        one_way = "" if cls.needs_uplink else "  [runs on simplex]"
        print(f"  {name:16} {cls.summary}{one_way}")
    print("\ndistributions (dist = ...):")
    for name, cls in DISTRIBUTIONS.items():
        print(f"  {name:16} {cls.summary}")
    print("\nchannel modes (network.mode):")
    for name, text in MODE_DESCRIPTIONS.items():
        print(f"  {name:16} {text}")
    if args.keys:
        for table, specs in scenario_keys().items():
            print(f"\n[{table}]" if table else "\ntop-level keys:")
            for spec in specs:
                print(f"  {spec.name:24} {spec.type_text():22} default {spec.default_text()}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rtsim",
        description="Simulate real-time web communication: polling, push, duplex modes.",
    )
    parser.add_argument("--version", action="version", version=f"rtsim {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress")
    # -v after the command too (rtsim run -v FILE); SUPPRESS keeps a -v given before it
    verbose = argparse.ArgumentParser(add_help=False)
    verbose.add_argument(
        "-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help="log progress"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run_parser = commands.add_parser(
        "run", help="run scenarios and compare their summaries", parents=[verbose]
    )
    run_parser.add_argument("files", nargs="+", metavar="FILE", help="scenario TOML files")
    run_parser.add_argument("--seed", type=_seed, help="override every scenario's seed")
    run_parser.add_argument("--json", action="store_true", help="print summaries as JSON")
    run_parser.add_argument(
        "--by",
        choices=("group",),
        help="summarise each client group on its own ([[groups]] or [audience])",
    )
    run_parser.add_argument(
        "--plot", metavar="PATH", help="write a latency CDF plot (PNG, PDF, SVG, ...)"
    )
    run_parser.add_argument(
        "--save", metavar="DIR", help="write every table as CSV, one folder per scenario"
    )
    run_parser.add_argument(
        "--force", action="store_true", help="run even a scenario estimated too large for here"
    )
    run_parser.add_argument(
        "-q", "--quiet", action="store_true", help="no progress bar on long runs"
    )
    run_parser.set_defaults(handler=_cmd_run)

    sweep_parser = commands.add_parser(
        "sweep", help="run a sweep file: a grid of scenarios x replications", parents=[verbose]
    )
    sweep_parser.add_argument("file", metavar="FILE", help="sweep TOML file")
    sweep_parser.add_argument("--resume", action="store_true", help="finish a stored sweep")
    sweep_parser.add_argument("--workers", type=_positive_int, help="processes or Dask workers")
    sweep_parser.add_argument("--scheduler", metavar="ADDRESS", help="Dask scheduler address")
    sweep_parser.add_argument("--executor", choices=("serial", "processes", "dask"))
    sweep_parser.add_argument("--replications", type=_positive_int, help="override the file's")
    sweep_parser.add_argument("--out", metavar="DIR", help="override the file's output path")
    sweep_parser.add_argument("--save", metavar="CSV", help="write the aggregated table")
    sweep_parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    sweep_parser.add_argument(
        "--force", action="store_true", help="start a sweep of more than 100,000 runs"
    )
    sweep_parser.set_defaults(handler=_cmd_sweep)

    validate_parser = commands.add_parser(
        "validate", help="check scenario files", parents=[verbose]
    )
    validate_parser.add_argument("files", nargs="+", metavar="FILE")
    validate_parser.set_defaults(handler=_cmd_validate)

    testbed_parser = commands.add_parser(
        "validate-testbed",
        help="run real servers and clients on 127.0.0.1 and compare them with rtsim",
        parents=[verbose],
    )
    testbed_parser.add_argument(
        "--strategies", type=_names, metavar="A,B", help="default: all (see rtsim list)"
    )
    testbed_parser.add_argument(
        "--latencies-ms", type=_numbers, default=(10.0, 50.0, 150.0), metavar="10,50,150"
    )
    testbed_parser.add_argument(
        "--rates", type=_numbers, default=(1.0, 5.0), metavar="1,5", help="updates per second"
    )
    testbed_parser.add_argument("--duration-s", type=float, default=20.0, help="per cell")
    testbed_parser.add_argument("--clients", type=_positive_int, default=10)
    testbed_parser.add_argument("--seed", type=_seed, default=1)
    testbed_parser.add_argument(
        "--client-rate",
        type=_non_negative,
        default=0.0,
        metavar="R",
        help="messages each Socket.IO client sends per second, acknowledged by the server "
        "(adds the ack RTT; default 0: none)",
    )
    testbed_parser.add_argument(
        "--quick", action="store_true", help="50 ms, 2 updates/s, 5 s per strategy"
    )
    testbed_parser.add_argument("--csv", metavar="FILE", help="also write the long table")
    testbed_parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    testbed_parser.set_defaults(handler=_cmd_validate_testbed)

    list_parser = commands.add_parser(
        "list", help="strategies, distributions, channel modes", parents=[verbose]
    )
    list_parser.add_argument("--keys", action="store_true", help="also every scenario key")
    list_parser.add_argument(
        "--countries",
        metavar="SERVER",
        help="the client countries measured with server country SERVER (e.g. DE), "
        "for country-rtt and [audience]",
    )
    list_parser.add_argument(
        "--markdown", action="store_true", help="with --keys: only the key reference, as Markdown"
    )
    list_parser.set_defaults(handler=_cmd_list)
    return parser


def _numbers(text: str) -> tuple[float, ...]:
    try:
        values = tuple(float(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not a comma-separated list of numbers: {text!r}"
        ) from None
    if not all(value > 0 and math.isfinite(value) for value in values):
        raise argparse.ArgumentTypeError(f"every value must be a positive number, got {text!r}")
    return values


def _names(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


def _integer(low: int, high: int | None = None):
    """An argparse type: a whole number in ``[low, high]``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
        if value < low or (high is not None and value > high):
            bounds = f">= {low}" if high is None else f">= {low} and <= {high:,}"
            raise argparse.ArgumentTypeError(f"must be {bounds}, got {value}")
        return value

    return parse


_positive_int = _integer(1)
_seed = _integer(0, 2**63 - 1)  # seeds are stored as 64-bit signed integers


def _non_negative(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not (value >= 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"must be a number >= 0, got {text!r}")
    return value


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        logging.basicConfig(
            level=logging.INFO if args.verbose else logging.WARNING,
            format="%(levelname)s %(name)s: %(message)s",
        )
        status = args.handler(args)
        sys.stdout.flush()  # a closed pipe shows here, not at interpreter exit
        return status
    except ScenarioError as error:
        _error_line(f"rtsim: error: {error}")
        return EXIT_BAD_INPUT
    except SweepWorkerError as error:  # not bad input: the run itself failed
        _error_line(f"rtsim: error: {error}")
        return 1
    except ModuleNotFoundError as error:
        extra = EXTRAS.get((error.name or "").partition(".")[0])
        if extra is None:
            raise
        _error_line(
            f"rtsim: error: this needs the '{extra}' extra ({error.name} is not installed): "
            f"pip install 'rtsim[{extra}]'"
        )
        return EXIT_BAD_INPUT
    except KeyboardInterrupt as error:
        # an interruption that knows more (runs kept, how to resume) says so
        _error_line(f"rtsim: {error}" if str(error) else "rtsim: interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        _drop_stdout()
        return EXIT_BROKEN_PIPE


def _error_line(text: str) -> None:
    """One line on stderr, after whatever stdout still holds (a pipe may be closed)."""
    try:
        sys.stdout.flush()
    except (BrokenPipeError, ValueError):
        _drop_stdout()
    print(text, file=sys.stderr)


def _drop_stdout() -> None:
    """Point stdout at /dev/null, so Python's final flush does not fail on a closed pipe."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass  # not a real file (captured output): nothing to flush at exit
