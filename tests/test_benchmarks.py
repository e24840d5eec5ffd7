"""The benchmarks stay runnable and their paths agree (no timing is asserted)."""

import sys

import pytest

from helpers import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))

import bench_clients
import bench_fanout
import bench_levels
import bench_link
import bench_memory
import bench_polling
import scaling


def test_link_benchmark_paths_deliver_every_packet_at_the_same_times():
    gaps = bench_link.arrivals(2000)
    expected = bench_link.run_rtsim(gaps)
    assert len(expected) == 2000
    # FIFO at 10 Mbit/s then 50 ms: the first packet arrives after its serialization + 50 ms
    assert expected[0] == pytest.approx(gaps[0] + 500 * 8 / 10e6 + 0.05)
    assert bench_link.run_lean(gaps) == pytest.approx(expected, abs=1e-9)
    rows = bench_link.bench(packets=500, repeats=1)
    for row in rows:
        assert row["ratio"] > 0 and row["met"] == (row["ratio"] >= row["target"])


def test_link_benchmark_nspy_baseline_does_the_same_work():
    pytest.importorskip("ns.port.port")
    gaps = bench_link.arrivals(2000)
    assert bench_link.run_nspy(gaps) == pytest.approx(bench_link.run_rtsim(gaps), abs=1e-9)
    names = [row["benchmark"] for row in bench_link.bench(packets=500, repeats=1)]
    assert names == ["link", "link-ns.py"]


def test_polling_benchmark_models_deliver_about_the_same():
    # the same loop with independent random updates: deliveries agree to within noise
    full, bare = bench_polling.run_full(200, 20.0), bench_polling.run_bare(200, 20.0)
    assert abs(full - bare) < 0.25 * bare


def test_memory_per_delivery_is_counted_from_the_columns():
    (row,) = bench_memory.bench(clients=20, duration_s=5.0)
    # six eight-byte fields and a one-byte direction, unpadded: 49 bytes per delivery
    assert row["value"] == 49.0 and row["met"]


def test_scaling_points_count_messages_and_time():
    row = scaling.point("websocket", clients=50, duration_s=5.0, rate_per_s=1.0)
    assert row["messages"] > 0 and row["wall_s"] > 0
    assert row["us_per_message"] == pytest.approx(1e6 * row["wall_s"] / row["messages"])


def test_a_million_client_scenario_runs_and_is_measured_in_a_child_at_small_size():
    # each million of make scaling, cut down: the same child, its own peak memory
    kinds = set()
    for path in scaling.MILLIONS:
        row = scaling.run_in_child(path, {"clients": 20, "duration_s": 12.0})
        assert row["scenario"] == path.stem and row["clients"] == 20
        assert row["duration_s"] == 12.0 and row["wall_s"] > 0
        assert row["messages"] > 0 and row["deliveries"] > 0
        assert row["peak_rss_bytes"] > 10 * 2**20  # at least the interpreter and numpy
        kinds.add(row["strategy"])
    assert kinds == {"short-polling", "websocket"}


def test_fanout_benchmark_models_deliver_the_same_frames():
    # periodic broadcasts from t = 1 s: both deliver every frame sent before the end
    assert bench_fanout.run_full(20, 2.0, 4.0) == bench_fanout.run_bare(20, 2.0, 4.0) == 120


def test_level_memory_benchmark_runs_each_level_alike():
    # memory is measured, never asserted; the runs must agree on what they simulated
    runs = [bench_levels.measure(level, 20, 3.0) for level in ("full", "summary")]
    assert runs[0]["messages"] == runs[1]["messages"] > 0
    assert runs[0]["deliveries"] == runs[1]["deliveries"] > 0
    assert all(r["after"] >= r["before"] > 0 for r in runs)


def test_client_memory_benchmark_runs_idle_clients():
    # memory is measured, never asserted; the clients must be connected and idle
    model = bench_clients.model("websocket", 5, "summary")
    assert model.env.now == 3.0
    assert all(connection.established.triggered for connection in model.transport.connections)
    assert len(model.transport.connections) == 5
    for kind in ("websocket", "short-polling", "bare"):
        run = bench_clients.measure(kind, 20, traced=kind == "bare")
        assert run["after"] >= run["before"] > 0
