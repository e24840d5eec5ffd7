"""The `rtsim` argument parser and its argument types."""

from __future__ import annotations

import argparse
import math

from .._version import __version__
from .commands import _cmd_list, _cmd_run, _cmd_sweep, _cmd_validate, _cmd_validate_testbed


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
    run_parser.add_argument(
        "--shards",
        type=_positive_int,
        default=1,
        help="split each run by client into N parts run at once (docs/performance.md)",
    )
    run_parser.add_argument(
        "--executor",
        choices=("serial", "processes", "dask"),
        default="processes",
        help="where the parts of a split run go (with --shards)",
    )
    run_parser.add_argument(
        "--workers", type=_positive_int, help="processes or Dask workers (with --shards)"
    )
    run_parser.add_argument(
        "--scheduler", metavar="ADDRESS", help="Dask scheduler address (with --shards)"
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
        "--http",
        type=_names,
        metavar="A,B",
        help="protocols: 1.1 (default; aiohttp and friends), h2c, h2 (hypercorn and httpx "
        "over HTTP/2, without and with TLS), h3 (hypercorn and aioquic over QUIC); "
        "WebSocket over h2c, h2 and h3 uses extended CONNECT (RFC 8441, RFC 9220)",
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
    """A comma-separated list of at least one name (an empty one would silently mean
    the default)."""
    names = tuple(part.strip() for part in text.split(",") if part.strip())
    if not names:
        raise argparse.ArgumentTypeError(f"give at least one name, got {text!r}")
    return names


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
