"""A loopback testbed: real servers and clients of each strategy (aiohttp, aiohttp-sse,
websockets, python-socketio) on 127.0.0.1, behind a proxy that adds latency, measured and
compared with rtsim's predictions for the same parameters.

Needs the ``testbed`` extra (``pip install 'rtsim[testbed]'``). Entry points:
:func:`compare` (and ``rtsim validate-testbed``), :func:`run_testbed`, :class:`LatencyProxy`.
"""

from __future__ import annotations

from .compare import (
    BOUNDS,
    CLIENT_MESSAGE_STRATEGIES,
    TESTBED_STRATEGIES,
    Cell,
    cell_scenario,
    compare,
    compare_cell,
)
from .harness import TestbedRun, run_testbed
from .proxy import LatencyProxy
from .schedule import Schedule

__all__ = [
    "BOUNDS",
    "CLIENT_MESSAGE_STRATEGIES",
    "TESTBED_STRATEGIES",
    "Cell",
    "LatencyProxy",
    "Schedule",
    "TestbedRun",
    "cell_scenario",
    "compare",
    "compare_cell",
    "run_testbed",
]
