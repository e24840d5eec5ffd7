"""What the course's notebooks share: checking a student's prediction against a run.

Each notebook section asks for a number before the run ("predict, run, explain");
:func:`check_prediction` says how close it was, in one line the notebook prints.
"""

from __future__ import annotations

__all__ = ["check_prediction"]


def check_prediction(
    what: str,
    predicted: float | str | None,
    simulated: float | str,
    unit: str = "",
    tolerance: float = 0.1,
    absolute: float | None = None,
    source: str = "the simulation",
) -> str:
    """One line comparing ``predicted`` with ``simulated``: a number is right within
    ``tolerance`` (relative to the simulated value) or, if given, within ``absolute`` (in
    ``unit``); a name (a strategy, say) is right if it is the same. ``source`` names where
    the value comes from (a measurement, for a real stack).

    >>> check_prediction("latency", 500, 545.0, "ms")
    'latency: you said 500, the simulation says 545 ms. Right!'
    >>> check_prediction("latency", None, 0.0521, "s")
    'latency: write a prediction first; the simulation says 0.0521 s'
    >>> check_prediction("cheapest", "websocket", "short-polling")
    'cheapest: you said websocket, the simulation says short-polling: see the answer'
    """
    if isinstance(simulated, str):
        shown, right = simulated, predicted == simulated
    else:
        shown = f"{simulated:,.0f}" if abs(simulated) >= 10 else f"{simulated:.3g}"
        shown += f" {unit}" if unit else ""
        allowed = absolute if absolute is not None else tolerance * abs(simulated)
        right = isinstance(predicted, int | float) and abs(predicted - simulated) <= allowed
    if predicted is None:
        return f"{what}: write a prediction first; {source} says {shown}"
    said = f"{predicted:g}" if isinstance(predicted, int | float) else str(predicted)
    verdict = ". Right!" if right else ": see the answer"
    return f"{what}: you said {said}, {source} says {shown}{verdict}"
