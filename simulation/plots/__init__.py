"""Figures of results, one module per kind of figure. Every function returns matplotlib Axes,
so callers can restyle them.

A function given no ``ax`` creates its figure through pyplot, so in Jupyter the inline
backend shows it once, at the end of the cell: assign the result (``ax = latency_cdf(...)``)
rather than also displaying ``ax.figure``. Scripts save ``ax.figure`` and may close it with
``matplotlib.pyplot.close``; without a display, pyplot uses the Agg backend. Times are
shown in milliseconds or seconds as labelled, sizes in bytes.
Every function raises ``ValueError`` naming what is missing when its input cannot be drawn.

What each needs of a run's ``[record] level`` (``docs/record-levels.md``): the sequence
charts need ``"full"`` (the transfers table); ``latency_cdf``, ``latency_box`` and
``time_series`` need ``"deliveries"`` or ``"full"``; ``bytes_breakdown`` and the sweep
plots work at every level. Asked of a run that kept too little, they raise
:class:`~simulation.result.RecordLevelError` (a ValueError) naming the level needed.
"""

from .common import LABELS, UNITS, figure_of, label
from .latency import NO_CLOSED_FORM, latency_box, latency_cdf
from .sequence import sequence_chart
from .sequence_steps import sequence_player, sequence_step
from .sweeps import sweep_heatmap, sweep_lines
from .traffic import bytes_breakdown, time_series

__all__ = [
    "LABELS",
    "NO_CLOSED_FORM",
    "UNITS",
    "bytes_breakdown",
    "figure_of",
    "label",
    "latency_box",
    "latency_cdf",
    "sequence_chart",
    "sequence_player",
    "sequence_step",
    "sweep_heatmap",
    "sweep_lines",
    "time_series",
]
