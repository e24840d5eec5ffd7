"""Sweeps: cells, seeds, executors, failures, persistence, resume, precision, CRN."""

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest

import simulation.runner
from simulation import ScenarioError, aggregate, sweep
from simulation.sweep import expand_grid

from helpers import ROOT, make_scenario

BASE = make_scenario(
    seed=100,
    clients=2,
    duration_s=30.0,
    warmup_s=2.0,
    network={"latency_s": 0.05},
    strategy={"kind": "short-polling", "interval_s": 1.0},
    workload={"rate_per_s": 2.0},
)
GRID = {"network.latency_s": [0.02, 0.1], "strategy.kind": ["short-polling", "websocket"]}
METRICS = ["latency_mean_s", "wire_bytes", "deliveries"]


def comparable(runs):
    return runs[["cell", "replication", "seed", *GRID, *METRICS, "error"]]


def test_full_factorial_with_common_random_numbers():
    runs = sweep(BASE, GRID, replications=3, executor="serial", progress=False)
    assert len(runs) == 4 * 3
    assert runs.groupby("cell").size().tolist() == [3, 3, 3, 3]
    assert set(zip(runs["network.latency_s"], runs["strategy.kind"], strict=True)) == {
        (0.02, "short-polling"),
        (0.02, "websocket"),
        (0.1, "short-polling"),
        (0.1, "websocket"),
    }
    # replication r of every cell runs with seed base.seed + r
    assert (runs["seed"] == 100 + runs["replication"]).all()
    assert (runs["error"] == "").all()
    assert runs["rtsim_version"].nunique() == 1
    assert '"latency_s"' in runs["scenario_json"].iloc[0]


def test_explicit_cells():
    cells = [{"clients": 1}, {"clients": 3, "network.loss": 0.1}]
    runs = sweep(BASE, cells, executor="serial", progress=False)
    assert runs["clients"].tolist() == [1, 3]
    assert np.isnan(runs["network.loss"].iloc[0]) and runs["network.loss"].iloc[1] == 0.1


@pytest.mark.parametrize("executor", ["processes", "dask"])
def test_every_executor_gives_the_same_results(executor):
    serial = sweep(BASE, GRID, replications=2, executor="serial", progress=False)
    other = sweep(BASE, GRID, replications=2, executor=executor, workers=2, progress=False)
    pd.testing.assert_frame_equal(comparable(serial), comparable(other))


def test_a_failed_run_is_a_row_not_an_exception(monkeypatch):
    real_run = simulation.runner.run

    def flaky(scenario, seed=None, **options):
        if seed == 101:
            raise RuntimeError("boom")
        return real_run(scenario, seed=seed, **options)

    monkeypatch.setattr(simulation.runner, "run", flaky)
    runs = sweep(BASE, {"clients": [1, 2]}, replications=3, executor="serial", progress=False)
    failed = runs[runs["error"] != ""]
    assert failed["replication"].tolist() == [1, 1]
    assert failed["error"].iloc[0] == "RuntimeError: boom"
    assert failed["latency_mean_s"].isna().all()
    table = aggregate(runs, METRICS)
    assert table["runs"].tolist() == [3, 3] and table["failed"].tolist() == [1, 1]


def test_stored_runs_are_skipped_and_the_union_returned(tmp_path, monkeypatch):
    out = tmp_path / "sweep"
    first = sweep(BASE, GRID, replications=2, executor="serial", out=out, progress=False)
    parts = sorted(out.glob("*.parquet"))
    assert len(parts) == 8
    parts[0].unlink()
    parts[5].unlink()
    calls = []
    real_run = simulation.runner.run
    monkeypatch.setattr(
        simulation.runner,
        "run",
        lambda s, seed=None, **options: calls.append(seed) or real_run(s, seed, **options),
    )
    again = sweep(BASE, GRID, replications=2, executor="serial", out=out, progress=False)
    assert len(calls) == 2  # only the two missing runs
    pd.testing.assert_frame_equal(comparable(first), comparable(again))
    # more replications later: only the new ones run
    calls.clear()
    more = sweep(BASE, GRID, replications=3, executor="serial", out=out, progress=False)
    assert len(calls) == 4 and len(more) == 12


def test_runs_of_another_base_scenario_are_refused(tmp_path):
    out = tmp_path / "sweep"
    sweep(BASE, {"clients": [1]}, executor="serial", out=out, progress=False)
    other = BASE.replace({"duration_s": 31.0})
    with pytest.raises(ScenarioError, match="different base scenario"):
        sweep(other, {"clients": [1]}, executor="serial", out=out, progress=False)


def test_a_killed_sweep_resumes_without_repeating_or_losing_runs(tmp_path):
    sweep_file = tmp_path / "slow.toml"
    out = tmp_path / "out"
    base = ROOT / "scenarios" / "default.toml"
    sweep_file.write_text(
        f'base = "{base}"\nreplications = 4\nexecutor = "serial"\nout = "{out}"\n'
        '[grid]\n"strategy.interval_s" = [0.5, 1.0, 2.0]\n'
    )
    command = [sys.executable, "-m", "simulation", "sweep", str(sweep_file), "--no-progress"]
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 120
    while len(list(out.glob("*.parquet"))) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    before = {part.name: part.read_bytes() for part in out.glob("*.parquet")}
    assert 3 <= len(before) < 12, "the sweep should have been stopped halfway"
    refused = subprocess.run(command, env=environment, capture_output=True, text=True)
    assert refused.returncode == 2 and "--resume" in refused.stderr
    resumed = subprocess.run(
        [*command, "--resume"], env=environment, capture_output=True, text=True
    )
    assert resumed.returncode == 0, resumed.stderr
    assert "12 runs, 0 failed" in resumed.stdout
    assert "strategy.interval_s" in resumed.stdout and "±" in resumed.stdout
    after = {part.name: part.read_bytes() for part in out.glob("*.parquet")}
    assert all(after[name] == data for name, data in before.items())  # nothing redone
    runs = pd.read_parquet(out)
    assert runs["run_id"].is_unique and len(runs) == 12  # none lost, none twice
    keys = list(zip(runs["params"], runs["replication"], strict=True))
    intervals = [f'{{"strategy.interval_s": {value}}}' for value in (0.5, 1.0, 2.0)]
    assert sorted(keys) == sorted((p, r) for p in intervals for r in range(4))
    assert not list(out.glob(".*.tmp"))


def test_a_script_without_a_main_guard_gets_an_explanation(tmp_path):
    # spawned workers import the script again, which starts another pool: the pool breaks
    script = tmp_path / "unguarded.py"
    script.write_text(
        "from simulation import parse_scenario, sweep\n"
        "base = parse_scenario({'duration_s': 2.0, 'clients': 2,"
        " 'strategy': {'kind': 'websocket'}}, source='script')\n"
        "sweep(base, {'network.latency_s': [0.01, 0.02]}, 1, executor='processes',"
        " workers=2, progress=False)\n"
    )
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, str(script)], env=environment, capture_output=True, text=True
    )
    assert done.returncode == 1
    last_line = done.stderr.strip().splitlines()[-1]
    assert last_line.startswith("simulation.sweep.executors.SweepWorkerError: a sweep worker")
    assert 'if __name__ == "__main__":' in last_line


def test_confidence_intervals_shrink_with_replications():
    def half_width(replications):
        runs = sweep(
            BASE, {"clients": [2]}, replications=replications, executor="serial", progress=False
        )
        return aggregate(runs, ["latency_mean_s"])["latency_mean_s_ci"].iloc[0]

    assert half_width(16) < half_width(4) / 1.5


def test_common_random_numbers_make_differences_less_noisy():
    grid = {"network.latency_s": [0.05, 0.06]}

    def difference_variance(common):
        runs = sweep(
            BASE,
            grid,
            replications=20,
            executor="serial",
            progress=False,
            common_random_numbers=common,
        )
        wide = runs.pivot(index="replication", columns="cell", values="latency_mean_s")
        return float((wide[1] - wide[0]).var())

    crn, independent = difference_variance(True), difference_variance(False)
    assert crn < independent / 10  # the same arrivals and phases: only the latency differs


def test_replications_are_added_until_the_target_precision():
    runs = sweep(
        BASE,
        {"strategy.interval_s": [0.5, 4.0]},
        replications=3,
        executor="serial",
        progress=False,
        target={"metric": "latency_mean_s", "relative_half_width": 0.02, "max_replications": 30},
    )
    table = aggregate(runs, ["latency_mean_s"])
    relative = table["latency_mean_s_ci"] / table["latency_mean_s_mean"]
    for runs_done, precision in zip(table["runs"], relative, strict=True):
        assert precision <= 0.02 or runs_done == 30
    assert table["runs"].max() > 3  # it did have to add some


def test_aggregate_computes_student_t_intervals():
    runs = pd.DataFrame(
        {
            "cell": [0, 0, 0, 1, 1],
            "x": [1, 1, 1, 2, 2],
            "replication": [0, 1, 2, 0, 1],
            "error": ["", "", "", "", ""],
            "latency_mean_s": [1.0, 2.0, 3.0, 5.0, 5.0],
        }
    )
    table = aggregate(runs, ["latency_mean_s"])
    assert table["latency_mean_s_mean"].tolist() == [2.0, 5.0]
    assert table["latency_mean_s_std"].tolist() == [1.0, 0.0]
    # t(0.975, 2) = 4.302653: 4.302653 * 1 / sqrt(3)
    assert table["latency_mean_s_ci"].iloc[0] == pytest.approx(4.302653 / np.sqrt(3), rel=1e-6)
    with pytest.raises(ValueError, match="no columns"):
        aggregate(runs, ["nope"])


@pytest.mark.parametrize(
    ("grid", "replications", "message"),
    [
        ({"network.latncy_s": [0.1]}, 1, "did you mean 'network.latency_s'"),
        ({"clients": []}, 1, "empty list"),
        ({"clients": 3}, 1, "needs a list of values"),
        ({}, 1, "no parameters to vary"),
        ({"clients": [1]}, 0, "replications: must be >= 1"),
        ({"network.loss": [0.1, 2.0]}, 1, r"network\.loss: must be < 1"),
    ],
)
def test_bad_sweeps_are_explained(grid, replications, message):
    with pytest.raises(ScenarioError, match=message):
        sweep(BASE, grid, replications, executor="serial", progress=False)


def test_an_unreachable_scheduler_is_reported_quickly():
    started = time.monotonic()
    with pytest.raises(ScenarioError, match="cannot reach the Dask scheduler"):
        sweep(
            BASE, {"clients": [1]}, executor="dask", scheduler="tcp://127.0.0.1:9", progress=False
        )
    assert time.monotonic() - started < 30


def test_expand_grid_orders_cells_as_given():
    cells = expand_grid({"a": [1, 2], "b": ["x", "y"]})
    assert cells == [{"a": 1, "b": "x"}, {"a": 1, "b": "y"}, {"a": 2, "b": "x"}, {"a": 2, "b": "y"}]


@pytest.mark.parametrize(
    "path", sorted((ROOT / "scenarios" / "sweeps").glob("*.toml")), ids=lambda p: p.name
)
def test_example_sweep_files_are_valid(path):
    from simulation.sweep.file import load_sweep

    spec = load_sweep(path)
    assert spec.description and spec.out is not None
    assert len(expand_grid(spec.grid)) >= 4


def test_sweep_file_errors_name_the_file(tmp_path):
    from simulation.sweep.file import load_sweep

    path = tmp_path / "bad.toml"
    base = ROOT / "scenarios" / "default.toml"
    path.write_text(f'base = "{base}"\n[grid]\n"network.latncy_s" = [0.1]\n')
    with pytest.raises(ScenarioError, match=r"bad\.toml: .*did you mean 'network\.latency_s'"):
        load_sweep(path)
    path.write_text(f'base = "{base}"\nexecutor = "threads"\n[grid]\nclients = [1]\n')
    with pytest.raises(ScenarioError, match="executor: 'threads' is not allowed"):
        load_sweep(path)
    path.write_text(f'base = "{base}"\nreplicatons = 3\n[grid]\nclients = [1]\n')
    with pytest.raises(ScenarioError, match="did you mean 'replications'"):
        load_sweep(path)
