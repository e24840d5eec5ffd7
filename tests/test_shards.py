"""Runs split by client (``run(..., shards=N)``): the same tables and summary as the run in
one piece, put in canonical order, on every executor; interacting clients refused."""

import json
import math

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from simulation import run
from simulation.cli import main
from simulation.merge import _peak, _peaks, canonical, run_part
from simulation.record import LEVELS
from simulation.sharding import ShardError, interactions, split

from helpers import SCENARIOS, make_scenario, shortened_scenario

TABLES = ("updates", "transfers", "deliveries", "connections")


def assert_same_run(whole, split_run):
    """Every table kept, and every summary (whole and per group), exactly equal."""
    whole = canonical(whole)
    for name in TABLES:
        if name in whole._frames:
            assert_frame_equal(whole.table(name), split_run.table(name), obj=name)
        else:
            assert name not in split_run._frames
    assert_frame_equal(
        whole.summary().to_frame().T.apply(pd.to_numeric),
        split_run.summary().to_frame().T.apply(pd.to_numeric),
    )
    assert_frame_equal(whole.summary(by="group"), split_run.summary(by="group"))


SHIPPED = sorted(SCENARIOS.glob("*.toml"))
SHARDABLE = [path for path in SHIPPED if not interactions(shortened_scenario(path))]


def test_the_shipped_scenarios_that_are_refused():
    refused = {path.stem for path in SHIPPED} - {path.stem for path in SHARDABLE}
    assert refused == {
        "default-socketio",
        "socketio-chat",
        "deploy-10k",
        "tunnel",
        "broadcast-one-event-loop",  # a serial fan-out: each client waits for the others
    }


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("path", SHARDABLE, ids=lambda p: p.stem)
def test_every_shardable_scenario_splits_exactly(path, level):
    scenario = shortened_scenario(path).replace({"record.level": level})
    shards = min(3, scenario.clients)
    assert_same_run(run(scenario), run(scenario, shards=shards, executor="serial"))


@pytest.mark.parametrize("path", SHARDABLE, ids=lambda p: p.stem)
def test_every_shardable_scenario_splits_exactly_in_processes(path):
    scenario = shortened_scenario(path)
    shards = min(2, scenario.clients)
    assert_same_run(run(scenario), run(scenario, shards=shards, executor="processes"))


@pytest.fixture(scope="module")
def dask_client():
    distributed = pytest.importorskip("dask.distributed")
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


@pytest.mark.parametrize("level", ["full", "summary"])
@pytest.mark.parametrize("path", SHARDABLE, ids=lambda p: p.stem)
def test_every_shardable_scenario_splits_exactly_on_dask(path, level, dask_client):
    scenario = shortened_scenario(path).replace({"record.level": level})
    shards = min(3, scenario.clients)
    split_run = run(scenario, shards=shards, executor="dask", client=dask_client)
    assert_same_run(run(scenario), split_run)


def _busy(level="full", kind="long-polling", **sections):
    """Clients that do everything a part must get right: updates for one client, client
    messages, an outage, loss, jitter, a constant service time, a constant push time
    written in parallel, held-request memory and client groups on different networks."""
    data = {
        "clients": 12,
        "duration_s": 30.0,
        "warmup_s": 3.0,
        "strategy": {"kind": kind},
        "server": {
            "service_time_s": 0.01,
            "push_time_s": 0.002,
            "push_fanout": "parallel",
            "memory_per_held_request_bytes": 1000,
        },
        "workload": {"rate_per_s": 3.0, "audience": "one" if kind != "sse" else "all"},
        "faults": {"outages": [{"start_s": 10.0, "duration_s": 3.0}]},
        "network": {"loss": 0.02, "jitter_s": 0.01},
        "record": {"level": level},
        "groups": [
            {"name": "near", "clients": 5},
            {"name": "far", "clients": 7, "network": {"latency_s": 0.2}},
        ],
    }
    data["workload"]["up"] = {"rate_per_s": 0.5}
    data.update(sections)
    return make_scenario(**data)


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("kind", ["long-polling", "short-polling", "sse", "websocket"])
def test_clients_that_do_everything_split_exactly(kind, level):
    faults = {} if kind == "websocket" else None  # WebSocket reconnects draw jitter
    scenario = _busy(level, kind, **({"faults": faults} if faults is not None else {}))
    whole = run(scenario)
    for shards in (2, 5, 12):
        assert_same_run(whole, run(scenario, shards=shards, executor="serial"))


def test_peaks_are_merged_from_the_parts_time_series():
    scenario = _busy()
    whole, parts = run(scenario).summary(), run(scenario, shards=4, executor="serial")
    summary = parts.summary()
    for name in ("peak_open_connections", "peak_memory_bytes", "peak_connections"):
        assert summary[name] == whole[name], name
    # a peak of a sum is not a sum of peaks: the parts' own peaks add up to more here
    outputs = [run_part(scenario, scenario.seed, part) for part in split(scenario.clients, 4)]
    assert sum(output.stats.peak_open_connections for output in outputs) >= merged_peak(outputs)
    # one part open from 0 to 1 s, another from 2 to 3 s, a third closing as one opens
    times = np.array([0.0, 1.0, 2.0, 3.0, 5.0, 5.0])
    changes = np.array([1, -1, 1, -1, -1, 1])
    (levels,) = _peaks(times, changes)
    assert levels.tolist() == [1, 0, 1, 0, 0]  # after all changes at each instant


def merged_peak(outputs):
    series = [
        np.concatenate(column) for column in zip(*(o.server_series for o in outputs), strict=True)
    ]
    return _peak(_peaks(series[0], series[1])[0])


def test_same_seed_same_results_serially_in_processes_and_on_dask(dask_client):
    scenario = _busy("full", "short-polling")
    serial = run(scenario, seed=7, shards=3, executor="serial")
    for other in (
        run(scenario, seed=7, shards=3, executor="processes", workers=2),
        run(scenario, seed=7, shards=3, executor="dask", client=dask_client),
    ):
        for name in TABLES:
            assert_frame_equal(serial.table(name), other.table(name))
    assert not canonical(run(scenario, seed=8)).updates.equals(serial.updates)


def test_canonical_order_is_that_of_a_whole_run_regardless_of_parts():
    scenario = _busy("full", "short-polling")
    transfers = run(scenario, shards=3, executor="serial").transfers
    assert transfers["message_id"].tolist() == list(range(len(transfers)))
    assert transfers["sent_at"].is_monotonic_increasing
    assert list(transfers["kind"].cat.categories) == sorted(transfers["kind"].cat.categories)


@pytest.mark.parametrize(
    ("sections", "named"),
    [
        ({"server": {"workers": 4}}, "[server] workers = 4"),
        ({"server": {"service_time_s": {"dist": "exponential", "mean": 0.01}}}, "service_time_s"),
        (
            {"strategy": {"kind": "sse"}, "server": {"push_time_s": 0.001}},
            'push_fanout = "serial"',
        ),
        (
            {
                "strategy": {"kind": "websocket"},
                "server": {
                    "push_time_s": {"dist": "exponential", "mean": 0.001},
                    "push_fanout": "parallel",
                },
            },
            "push_time_s is random",
        ),
        ({"strategy": {"kind": "socketio"}}, "Socket.IO"),
        (
            {"strategy": {"phase_s": {"dist": "uniform", "low": 0, "high": 1}}},
            "phase_s is random",
        ),
        ({"strategy": {"kind": "sse"}, "workload": {"audience": "one"}}, "SSE"),
        (
            {
                "strategy": {"kind": "websocket"},
                "faults": {"server_restarts_s": [5.0]},
            },
            "randomization_factor",
        ),
        (
            {"workload": {"up": {"payload_bytes": {"dist": "exponential", "mean": 100}}}},
            "[workload.up]",
        ),
    ],
)
def test_interacting_clients_are_refused_with_one_line(sections, named, tmp_path, capsys):
    scenario = make_scenario(clients=4, **sections)
    with pytest.raises(ShardError, match="cannot split this run by client") as error:
        run(scenario, shards=2, executor="serial")
    assert named in str(error.value) and "\n" not in str(error.value)
    run(scenario)  # one piece is fine


def test_a_draw_from_a_shared_stream_fails_the_part():
    # reconnects with jitter that no fault announces: a proxy closing idle connections
    scenario = make_scenario(
        clients=6,
        duration_s=30.0,
        strategy={"kind": "websocket", "randomization_factor": 0.5},
        faults={"proxy_idle_timeout_s": 2.0},
        workload={"rate_per_s": 0.1},
    )
    assert not interactions(scenario)
    with pytest.raises(ShardError, match=r"'websocket\.reconnect' was drawn from"):
        run(scenario, shards=2, executor="serial")


def test_split_sizes_and_bad_counts():
    assert [(r.first, r.count) for r in split(10, 3)] == [(0, 4), (4, 3), (7, 3)]
    with pytest.raises(ShardError, match="more parts"):
        split(3, 4)
    with pytest.raises(ShardError, match=">= 1"):
        split(3, 0)


def _write(tmp_path, text):
    path = tmp_path / "s.toml"
    path.write_text(text)
    return str(path)


def test_rtsim_run_shards(tmp_path, capsys):
    path = _write(
        tmp_path,
        'clients = 6\nduration_s = 10.0\n[strategy]\nkind = "long-polling"\n'
        '[record]\nlevel = "summary"\n',
    )
    assert main(["run", path, "--json"]) == 0
    whole = json.loads(capsys.readouterr().out)[0]["summary"]
    assert main(["run", path, "--json", "--shards", "3", "--executor", "serial"]) == 0
    parts = json.loads(capsys.readouterr().out)[0]["summary"]
    assert parts.keys() == whole.keys()
    for name, value in whole.items():
        assert parts[name] == value or (value is None and parts[name] is None), name


def test_rtsim_run_refuses_interacting_clients_with_status_2(tmp_path, capsys):
    path = _write(
        tmp_path,
        'clients = 6\nduration_s = 5.0\n[strategy]\nkind = "long-polling"\n[server]\nworkers = 2\n',
    )
    assert main(["run", path, "--shards", "2"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "workers = 2" in err[0]


def test_one_shard_is_the_plain_run():
    scenario = make_scenario(clients=3)
    assert run(scenario, shards=1).summary().equals(run(scenario).summary())
    assert not math.isnan(run(scenario, shards=3, executor="serial").summary()["latency_mean_s"])
