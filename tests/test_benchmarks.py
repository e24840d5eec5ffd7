"""The benchmarks stay runnable and their two paths agree (no timing is asserted)."""

import sys

from helpers import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))

import bench_link


def test_link_benchmark_paths_deliver_every_packet():
    gaps = bench_link.arrivals(2000)
    assert bench_link.run_rtsim(gaps) == 2000
    assert bench_link.run_lean(gaps) == 2000
    (row,) = bench_link.bench(packets=500, repeats=1)
    assert row["ratio"] > 0 and row["met"] == (row["ratio"] >= row["target"])
