"""The sweep store: runs keyed by identity, resume after grid edits, damaged files,
interruption and orphaned workers."""

import logging
import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import simulation.runner
from simulation import ScenarioError, aggregate, load_runs, sweep

from helpers import ROOT, make_scenario

# Short runs: the store is under test, not the model.
BASE = make_scenario(
    seed=7,
    clients=2,
    duration_s=6.0,
    warmup_s=1.0,
    network={"latency_s": 0.05},
    strategy={"kind": "short-polling", "interval_s": 1.0},
    workload={"rate_per_s": 2.0},
)
SHOWN = ["cell", "replication", "seed", "run_id", "latency_mean_s", "requests", "error"]


def shown(runs, grid):
    return runs[[*SHOWN[:1], *grid, *SHOWN[1:]]].reset_index(drop=True)


def run(grid, out=None, replications=2, **options):
    return sweep(BASE, grid, replications, executor="serial", progress=False, out=out, **options)


def test_a_resumed_sweep_with_an_added_strategy_equals_a_fresh_one(tmp_path):
    first = {"network.loss": [0.0, 0.02], "strategy.kind": ["short-polling", "websocket"]}
    edited = {"network.loss": [0.0, 0.02], "strategy.kind": ["short-polling", "websocket", "sse"]}
    run(first, tmp_path / "out", replications=3)
    resumed = run(edited, tmp_path / "out", replications=3)
    fresh = run(edited, replications=3)
    pd.testing.assert_frame_equal(shown(resumed, edited), shown(fresh, edited))
    assert resumed.attrs["reused"] == 12 and resumed.attrs["computed"] == 6
    table = aggregate(resumed, ["latency_mean_s"])
    assert table["runs"].tolist() == [3] * 6  # no cell blends two strategies
    polling = table[table["strategy.kind"] == "short-polling"]["latency_mean_s_mean"]
    sse = table[table["strategy.kind"] == "sse"]["latency_mean_s_mean"]
    assert polling.min() > 5 * sse.max()


def test_changed_values_reuse_only_the_matching_runs(tmp_path):
    out = tmp_path / "out"
    run({"network.loss": [0.0, 0.02]}, out)
    edited = {"network.loss": [0.02, 0.05]}
    resumed = run(edited, out)
    pd.testing.assert_frame_equal(shown(resumed, edited), shown(run(edited), edited))
    assert resumed.attrs == {"computed": 2, "reused": 2, "stored_unused": 2}
    assert len(list(out.glob("*.parquet"))) == 6  # the runs of loss 0.0 stay on disk


def test_leftover_runs_are_reported(tmp_path, caplog):
    out = tmp_path / "out"
    run({"clients": [1, 2]}, out)
    with caplog.at_level(logging.WARNING):
        run({"clients": [2]}, out)
    assert "2 stored runs belong to no cell of this grid" in caplog.text
    assert len(load_runs(out)) == 4


grid_values = st.lists(
    st.sampled_from([0.01, 0.02, 0.05, 0.1]), min_size=1, max_size=3, unique=True
)
kinds = st.lists(
    st.sampled_from(["short-polling", "websocket", "sse"]), min_size=1, max_size=2, unique=True
)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    before=st.tuples(grid_values, kinds),
    after=st.tuples(grid_values, kinds),
    replications=st.tuples(st.integers(1, 2), st.integers(1, 3)),
)
def test_resuming_after_any_grid_edit_equals_a_fresh_run(
    tmp_path_factory, before, after, replications
):
    out = tmp_path_factory.mktemp("sweep")
    first = {"network.latency_s": before[0], "strategy.kind": before[1]}
    edited = {"strategy.kind": after[1], "network.latency_s": after[0]}
    run(first, out, replications=replications[0])
    resumed = run(edited, out, replications=replications[1])
    fresh = run(edited, replications=replications[1])
    pd.testing.assert_frame_equal(shown(resumed, edited), shown(fresh, edited))


def test_identical_scenarios_share_one_run(tmp_path, monkeypatch):
    calls = []
    real_run = simulation.runner.run
    monkeypatch.setattr(
        simulation.runner,
        "run",
        lambda s, seed=None, **options: calls.append(seed) or real_run(s, seed, **options),
    )
    # 0.05 is the base's latency: both cells are the same scenario
    runs = run([{"network.latency_s": 0.05}, {"clients": 2}], replications=2)
    assert len(runs) == 4 and len(calls) == 2
    assert runs["run_id"].nunique() == 2


def test_damaged_and_foreign_files_are_quarantined_and_recomputed(tmp_path, caplog):
    out = tmp_path / "out"
    grid = {"network.latency_s": [0, 0.05]}  # a TOML int next to a float
    first = run(grid, out)
    parts = sorted(out.glob("*.parquet"))
    parts[0].write_bytes(parts[0].read_bytes()[:100])  # truncated
    parts[1].write_bytes(b"")  # empty
    pd.DataFrame({"x": [1]}).to_parquet(out / "foreign.parquet")  # not a run
    (out / "notes.txt").write_text("a stray file")
    with caplog.at_level(logging.WARNING):
        again = run(grid, out)
    pd.testing.assert_frame_equal(shown(first, grid), shown(again, grid))
    assert again.attrs["computed"] == 2
    quarantined = sorted(p.name for p in (out / "_quarantine").iterdir())
    assert quarantined == sorted([parts[0].name, parts[1].name, "foreign.parquet", "notes.txt"])
    assert caplog.text.count("computed again") == 4
    assert all("\n" not in r.getMessage() for r in caplog.records)
    table = pd.read_parquet(out)  # the directory still reads as one table
    assert len(table) == 4 and table["run_id"].is_unique


def test_read_parquet_works_with_mixed_types_and_large_seeds(tmp_path):
    out = tmp_path / "out"
    base = BASE.replace({"seed": 2**63 - 2})
    sweep(
        base,
        [{"network.latency_s": 0}, {"network.latency_s": 0.05, "clients": 1}],
        2,
        executor="serial",
        progress=False,
        out=out,
    )
    table = pd.read_parquet(out)
    assert sorted(table["seed"]) == [2**63 - 2, 2**63 - 2, 2**63 - 1, 2**63 - 1]
    runs = load_runs(out)
    assert sorted(runs["network.latency_s"]) == [0, 0, 0.05, 0.05]
    with pytest.raises(ScenarioError, match="2\\^63 - 1"):
        sweep(base, {"clients": [1]}, 3, executor="serial", progress=False)
    with pytest.raises(ScenarioError, match="seed"):
        BASE.replace({"seed": 2**63})


def test_numpy_values_and_duplicates_in_a_grid():
    import numpy as np

    runs = run({"network.latency_s": np.linspace(0.01, 0.02, 2), "clients": [np.int64(1)]})
    assert runs["network.latency_s"].tolist() == [0.01, 0.01, 0.02, 0.02]
    with pytest.raises(ScenarioError, match=r"lists 0\.01 twice"):
        run({"network.latency_s": [0.01, 0.01]})
    with pytest.raises(
        ScenarioError, match="2 replications = 1,312,200,000,000 runs, more than the 100,000"
    ):
        run({f"k{i}": list(range(30)) for i in range(8)})


def _sweep_command(tmp_path, executor, interval_values, out):
    sweep_file = tmp_path / "slow.toml"
    base = ROOT / "scenarios" / "default.toml"
    sweep_file.write_text(
        f'base = "{base}"\nreplications = 4\nexecutor = "{executor}"\nworkers = 2\n'
        f'out = "{out}"\n[grid]\n"strategy.interval_s" = {interval_values}\n'
    )
    return [sys.executable, "-m", "simulation", "sweep", str(sweep_file), "--no-progress"]


def _wait_for_runs(out, count, process):
    deadline = time.monotonic() + 120
    while len(list(out.glob("*.parquet"))) < count and time.monotonic() < deadline:
        assert process.poll() is None, "the sweep ended early"
        time.sleep(0.05)


def test_ctrl_c_says_what_is_stored_and_how_to_resume(tmp_path):
    out = tmp_path / "out"
    command = _sweep_command(tmp_path, "serial", [0.5, 1.0, 2.0], out)
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(command, env=environment, stderr=subprocess.PIPE, text=True)
    _wait_for_runs(out, 2, process)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130
    assert "Traceback" not in stderr
    line = stderr.strip().splitlines()[-1]
    stored = len(list(out.glob("*.parquet")))
    assert line == (
        f"rtsim: sweep interrupted: {stored} runs are stored in {out}; run the same sweep "
        "again (rtsim sweep FILE --resume) to finish the rest"
    )


def _children(pid):
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry))
    return found


def _alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads /proc to find the workers")
def test_workers_exit_when_their_parent_is_killed(tmp_path):
    out = tmp_path / "out"
    command = _sweep_command(tmp_path, "processes", [0.5, 1.0, 2.0, 4.0], out)
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _wait_for_runs(out, 1, process)
    children = _children(process.pid)
    assert len(children) >= 2  # two workers (and the resource tracker)
    process.kill()
    process.wait()
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in children) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = [pid for pid in children if _alive(pid)]
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert not left, f"processes {left} outlived their parent by 10 s"


def test_a_cell_too_large_for_this_machine_is_refused_before_anything_runs(monkeypatch):
    calls = []
    monkeypatch.setattr(simulation.runner, "run", lambda *a, **k: calls.append(a))
    with pytest.raises(ScenarioError, match=r'sweep cell \{"clients": 10000000\}.*--force'):
        run({"clients": [1, 10_000_000]})
    assert not calls


@pytest.mark.parametrize("where", ["creating the pool", "starting its processes"])
def test_a_sweep_runs_serially_where_processes_cannot_start(monkeypatch, caplog, where):
    from simulation.sweep import executors

    class NoProcesses:
        def __init__(self, *args, **kwargs):
            if where == "creating the pool":
                raise OSError("no semaphores here")

        def submit(self, *args, **kwargs):
            raise PermissionError("cannot spawn")

        def shutdown(self, *args, **kwargs):
            pass

    monkeypatch.setattr(executors, "ProcessPoolExecutor", NoProcesses)
    grid = {"clients": [1, 2]}
    with caplog.at_level(logging.WARNING):
        runs = sweep(BASE, grid, 2, executor="processes", workers=2, progress=False)
    assert "cannot start worker processes" in caplog.text and "serially" in caplog.text
    pd.testing.assert_frame_equal(shown(runs, grid), shown(run(grid), grid))
