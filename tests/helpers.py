"""Shared helpers for the tests: small scenarios built from mappings."""

from __future__ import annotations

from pathlib import Path

from simulation import parse_scenario

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
