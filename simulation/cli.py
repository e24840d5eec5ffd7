"""The ``rtsim`` command line: ``run``, ``validate`` and ``list``.

Bad input (a missing or malformed scenario file, an unknown key or value, an impossible
combination) prints one line naming the file and key to stderr and exits with status 2.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import sys
from pathlib import Path

from . import __version__
from .channel import MODE_DESCRIPTIONS
from .distributions import DISTRIBUTIONS
from .errors import ScenarioError
from .runner import run
from .scenario import load_scenario, scenario_keys
from .strategies import STRATEGIES
from .sweep import SweepWorkerError

__all__ = ["main"]

EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report a Ctrl-C


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


def _cmd_run(args) -> int:
    scenarios = [load_scenario(path) for path in args.files]  # validate all before running
    results = [run(scenario, seed=args.seed) for scenario in scenarios]
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
        print(json.dumps(payload, indent=2))
    else:
        print(_comparison_table(results))
    if args.save:
        _save_tables(results, Path(args.save))
    if args.plot:
        _save_plot(results, Path(args.plot))
    return 0


def _json_number(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value.item() if hasattr(value, "item") else value


def _save_tables(results, directory: Path) -> None:
    sys.stdout.flush()
    directory.mkdir(parents=True, exist_ok=True)
    for result in results:
        for table in ("deliveries", "transfers", "connections", "updates"):
            path = directory / f"{result.scenario.name}.{table}.csv"
            getattr(result, table).to_csv(path, index=False)
    print(f"tables written to {directory}/", file=sys.stderr)


def _save_plot(results, path: Path) -> None:
    sys.stdout.flush()
    from .plots import latency_cdf

    path.parent.mkdir(parents=True, exist_ok=True)
    ax = latency_cdf(results)
    ax.figure.savefig(path, dpi=120)
    print(f"latency plot written to {path}", file=sys.stderr)


def _cmd_sweep(args) -> int:
    from .sweep import SweepInterrupted, aggregate, format_aggregate, sweep
    from .sweep.file import load_sweep

    spec = load_sweep(args.file)
    out = Path(args.out) if args.out else spec.out
    if out is not None and not args.resume and out.exists() and any(out.glob("*.parquet")):
        raise ScenarioError(
            f"{out}: already holds runs of a sweep; pass --resume to finish it, or remove it"
        )
    if args.save:
        _check_output_file(Path(args.save), "--save")
    try:
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
    except SweepInterrupted as interrupted:
        print(f"rtsim: {interrupted}", file=sys.stderr)
        return EXIT_INTERRUPTED
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
        raise ScenarioError(f"{option} {path}: is a directory; give a file name")
    folder = path.parent if str(path.parent) else Path(".")
    if folder.exists() and not folder.is_dir():
        raise ScenarioError(f"{option} {path}: {folder} is not a directory")


def _cmd_validate(args) -> int:
    for path in args.files:
        scenario = load_scenario(path)
        print(
            f"ok: {path} ({scenario.name}: {scenario.strategy.kind} on "
            f"{scenario.network.mode}, {scenario.clients} client"
            f"{'' if scenario.clients == 1 else 's'}, {scenario.duration_s:g} s)"
        )
    return 0


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


def _cmd_list(args) -> int:
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
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run_parser = commands.add_parser("run", help="run scenarios and compare their summaries")
    run_parser.add_argument("files", nargs="+", metavar="FILE", help="scenario TOML files")
    run_parser.add_argument("--seed", type=_seed, help="override every scenario's seed")
    run_parser.add_argument("--json", action="store_true", help="print summaries as JSON")
    run_parser.add_argument("--plot", metavar="PATH", help="write a latency CDF plot (PNG)")
    run_parser.add_argument("--save", metavar="DIR", help="write every table as CSV to DIR")
    run_parser.set_defaults(handler=_cmd_run)

    sweep_parser = commands.add_parser(
        "sweep", help="run a sweep file: a grid of scenarios x replications"
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

    validate_parser = commands.add_parser("validate", help="check scenario files")
    validate_parser.add_argument("files", nargs="+", metavar="FILE")
    validate_parser.set_defaults(handler=_cmd_validate)

    testbed_parser = commands.add_parser(
        "validate-testbed",
        help="run real servers and clients on 127.0.0.1 and compare them with rtsim",
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

    list_parser = commands.add_parser("list", help="strategies, distributions, channel modes")
    list_parser.add_argument("--keys", action="store_true", help="also every scenario key")
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


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def _non_negative(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not (value >= 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"must be a number >= 0, got {text!r}")
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if not 0 <= value <= 2**63 - 1:
        raise argparse.ArgumentTypeError(f"must be >= 0 and <= 2^63 - 1, got {value}")
    return value


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        return args.handler(args)
    except ScenarioError as error:
        print(f"rtsim: error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except SweepWorkerError as error:  # not bad input: the run itself failed
        print(f"rtsim: error: {error}", file=sys.stderr)
        return 1
