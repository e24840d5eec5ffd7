"""Shared helpers for the tests: small scenarios built from mappings."""

from __future__ import annotations

import math
from pathlib import Path

from simulation import load_scenario, parse_scenario
from simulation.channel import Channel
from simulation.sweep.stats import mean_half_width

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"


def make_scenario(**sections):
    """A scenario from keyword sections: ``make_scenario(clients=2, network={...})``.

    Defaults: short polling, 10 s; tables given are merged over those defaults.
    """
    data = {"strategy": {"kind": "short-polling"}, "duration_s": 10.0}
    for key, value in sections.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    return parse_scenario(data)


def shortened_scenario(path):
    """A shipped scenario cut down for a test: at most 20 s (5 s of warm-up) and 60
    clients (unless its groups or Socket.IO rooms fix the count)."""
    scenario = load_scenario(path)
    changes = {
        "duration_s": min(scenario.duration_s, 20.0),
        "warmup_s": min(scenario.warmup_s, 5.0),
    }
    rooms = scenario.strategy.kind == "socketio" and scenario.strategy.params.rooms
    if scenario.clients > 60 and not scenario.groups and not rooms:
        changes["clients"] = 60
    return scenario.replace(changes)


def mean_ci(values, confidence: float = 0.95) -> tuple[float, float]:
    """Sample mean and Student-t half-width of its confidence interval."""
    return mean_half_width(values, confidence)


def assert_within_ci(values, expected: float, max_half_width: float) -> None:
    """``expected`` lies in the 95% CI of the mean of ``values``, and the CI is tight."""
    mean, half = mean_ci(values)
    assert half < max_half_width, f"CI too wide to test anything: +/-{half:.4g}"
    assert abs(mean - expected) <= half, (
        f"simulated {mean:.5g} +/- {half:.3g} does not contain the closed form {expected:.5g}"
    )


class LossyChannel(Channel):
    """A channel that loses exactly the (kind, attempt) pairs listed in ``lose``, once each."""

    def __init__(self, *args, lose=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.lose = set(lose)
        self.lossless = False

    def send(self, message):
        key = (message.kind, message.attempt)
        if key in self.lose:
            self.lose.discard(key)
            message.sent_at = self.env.now
            self.recorder.transfer(message, self.env.now, None, lost=True, dropped=False)
            return None
        return super().send(message)


def assert_stack_times_given(table, kind: str) -> None:
    """A push strategy's pushes were timed, a long poll's turnaround too, and rtsim given
    them is no faster than rtsim without them."""
    push, turnaround = table.loc[["push_time_mean_s", "turnaround_mean_s"], "measured"]
    assert math.isnan(push) == (kind == "short-polling")  # short polling pushes nothing
    assert math.isnan(push) or 0 < push < 0.05
    assert math.isnan(turnaround) == (kind != "long-polling")
    assert math.isnan(turnaround) or 0 < turnaround < 0.05
    given, instant = table.loc[["latency_mean_s", "instant_latency_mean_s"], "simulated"]
    assert given >= instant - 1e-9
