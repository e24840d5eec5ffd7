"""Memory per recorded delivery: bytes of the recorder's packed delivery rows per row."""

from __future__ import annotations

from simulation import parse_scenario
from simulation.model import Model


def bench(clients: int = 2000, duration_s: float = 20.0) -> list[dict]:
    scenario = parse_scenario(
        {
            "duration_s": duration_s,
            "clients": clients,
            "strategy": {"kind": "websocket"},
            "workload": {"rate_per_s": 2.0},
        },
        source="benchmark",
    )
    model = Model(scenario, seed=1)
    model.run()
    deliveries = model.recorder.deliveries
    rows = len(deliveries)
    per_row = len(deliveries.rows) / rows
    return [
        {
            "benchmark": "memory",
            "measure": f"bytes per recorded delivery ({rows:,} deliveries)",
            "value": per_row,
            "baseline": 100.0,
            "ratio": per_row / 100.0,
            "target": 1.0,
            "met": per_row <= 100.0,
            "lower_is_better": True,
        }
    ]
