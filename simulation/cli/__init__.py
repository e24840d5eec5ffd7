"""The ``rtsim`` command line: ``run``, ``sweep``, ``validate`` and ``list``.

Bad input (a missing or malformed scenario file, an unknown key or value, an impossible
combination, a run far beyond this machine's means, an output path that cannot be
written) prints one line naming the file and key to stderr and exits with status 2,
before anything is simulated. Ctrl-C prints one line and exits with status 130; a closed
pipe (``rtsim list --keys | head``) ends the command quietly with status 141, as a
process killed by SIGPIPE would.
"""

from __future__ import annotations

import logging
import os
import sys

from ..errors import ScenarioError
from ..sweep import SweepWorkerError
from .commands import EXIT_BAD_INPUT, EXIT_INTERRUPTED
from .parser import build_parser

__all__ = ["build_parser", "main"]


EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE


# optional dependencies: top-level module -> the extra that installs it
EXTRAS = {
    "dask": "dask",
    "distributed": "dask",
    **dict.fromkeys(
        ("aiohttp", "websockets", "hypercorn", "httpx", "aioquic", "cryptography"), "testbed"
    ),
}


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
