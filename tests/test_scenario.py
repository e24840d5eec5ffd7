import math

import pytest

from simulation import Constant, LogNormal, ScenarioError, load_scenario, parse_scenario

from helpers import SCENARIOS, make_scenario


def write(tmp_path, text, name="s.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


MINIMAL = '[strategy]\nkind = "short-polling"\n'


def test_defaults_fill_every_key(tmp_path):
    scenario = load_scenario(write(tmp_path, MINIMAL, "minimal.toml"))
    assert scenario.name == "minimal"  # from the file name
    assert scenario.network.mode == "full-duplex"
    assert scenario.network.latency_s == Constant(0.05)
    assert math.isinf(scenario.network.bandwidth_bps)
    assert scenario.strategy.kind == "short-polling"
    assert scenario.strategy.interval_s == 1.0  # falls through to the strategy's keys
    assert scenario.http.request_header_bytes == 700
    assert scenario.workload.audience == "all"


def test_distribution_tables_are_parsed():
    scenario = make_scenario(
        network={"latency_s": {"dist": "lognormal", "mean": 0.05, "sigma": 0.5}}
    )
    assert scenario.network.latency_s == LogNormal(0.05, 0.5)


def test_scenario_is_frozen():
    scenario = make_scenario()
    with pytest.raises(AttributeError):
        scenario.clients = 3


def test_replace_makes_a_validated_copy():
    base = make_scenario(clients=2)
    changed = base.replace({"network.latency_s": 0.1, "clients": 5})
    assert changed.network.latency_s == Constant(0.1)
    assert changed.clients == 5
    assert base.clients == 2 and base.network.latency_s == Constant(0.05)
    with pytest.raises(ScenarioError, match=r"network\.loss: must be < 1"):
        base.replace({"network.loss": 1.0})


def test_replace_strategy_kind_drops_keys_the_new_kind_lacks():
    base = make_scenario(strategy={"kind": "short-polling", "interval_s": 2.0})
    changed = base.replace({"strategy.kind": "websocket"})
    assert changed.strategy.kind == "websocket"
    back = changed.replace({"strategy.kind": "short-polling", "strategy.interval_s": 3.0})
    assert back.strategy.interval_s == 3.0


def test_replace_names_unknown_paths():
    with pytest.raises(ScenarioError, match=r"did you mean 'network\.latency_s'"):
        make_scenario().replace({"network.latncy_s": 0.1})
    with pytest.raises(ScenarioError, match="names no scenario parameter"):
        make_scenario().replace({"a.b.c": 1})


def test_a_replaced_key_says_what_replaced_it_in_a_file_and_in_replace():
    chat = {"strategy": {"kind": "socketio", "fanout_s_per_recipient": 1e-4}}
    with pytest.raises(ScenarioError, match=r"fanout_s_per_recipient: replaced by \[server\]"):
        make_scenario(**chat)
    socketio = make_scenario(strategy={"kind": "socketio"})
    with pytest.raises(ScenarioError, match=r"'strategy.fanout_s_per_recipient' was replaced"):
        socketio.replace({"strategy.fanout_s_per_recipient": 1e-4})


def test_to_dict_round_trips():
    scenario = make_scenario(
        clients=3,
        network={"latency_s": {"dist": "uniform", "low": 0.01, "high": 0.02}, "loss": 0.1},
        strategy={"kind": "short-polling", "phase_s": 0.3},
    )
    assert parse_scenario(scenario.to_dict()) == scenario


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("clints = 3\n" + MINIMAL, r"unknown key 'clints'; did you mean 'clients'\?"),
        (MINIMAL + "[network]\nlatncy_s = 0.1\n", r"network: unknown key 'latncy_s'.*latency_s"),
        (
            '[strategy]\nkind = "short-polling"\nhold_timeout_s = 30\n',
            r"strategy \(short-polling\): unknown key 'hold_timeout_s'.*allowed: interval_s",
        ),
        ('clients = "many"\n' + MINIMAL, "clients: expected an integer, got 'many'"),
        ("clients = 0\n" + MINIMAL, "clients: must be >= 1"),
        (MINIMAL + "[network]\nlatency_s = -0.01\n", r"network.latency_s: .*must be >= 0 s"),
        (
            MINIMAL + '[network]\nlatency_s = { dist = "uniform", low = -1, high = 1 }\n',
            "can produce -1, but values must be >= 0",
        ),
        (MINIMAL + "[network]\nloss = 1.5\n", "network.loss: must be < 1, got 1.5"),
        (MINIMAL + "[network]\nloss = -0.1\n", "network.loss: must be >= 0"),
        (MINIMAL + '[network]\nmode = "duplex"\n', "'duplex' is not allowed.*allowed: simplex"),
        ('[strategy]\nkind = "websockets"\n', "unknown strategy 'websockets'; did you mean"),
        ("duration_s = 5.0\n", r"missing \[strategy\] table"),
        ("[strategy]\ninterval_s = 1.0\n", "missing key 'kind'"),
        (
            MINIMAL + '[network]\nlatency_s = { dist = "gamma", mean = 1 }\n',
            "unknown distribution 'gamma'.*allowed: constant",
        ),
        (
            MINIMAL + '[network]\nmode = "simplex"\n',
            "'short-polling' cannot run on network.mode = 'simplex'.*stream",
        ),
        (
            '[strategy]\nkind = "stream"\n[network]\nmode = "simplex"\nturnaround_s = 0.01\n',
            "turnaround_s = 0.01 only applies to mode = 'half-duplex'",
        ),
        ("duration_s = 10.0\nwarmup_s = 10.0\n" + MINIMAL, "warmup_s .* must be shorter"),
        (MINIMAL + "[workload]\npayload_bytes = -5\n", "payload_bytes.*must be >= 0"),
        ("network = 3\n" + MINIMAL, "network: expected a table"),
        (MINIMAL + "[http]\nrequest_header_bytes = 1.5\n", "expected an integer, got 1.5"),
        (
            '[strategy]\nkind = "stream"\n[network]\nmode = "simplex"\n[transport]\ntls = "1.3"\n',
            r"transport\.tls cannot apply: strategy 'stream' sends without connections",
        ),
        (MINIMAL + '[transport]\ntls = "1.1"\n', r"'1\.1' is not allowed.*allowed: none, 1\.2"),
        (MINIMAL + "[transport]\nmax_connections_per_host = 0\n", "must be >= 1"),
        (MINIMAL + "[transport]\nrto_s = 0\n", r"transport\.rto_s: must be > 0"),
        (
            MINIMAL + "[transport]\nrto_s = 0.5\n",
            r"transport\.rto_min_s \(1 s\) must be <= transport\.rto_s \(0\.5 s\)",
        ),
        ('[strategy]\nkind = "sse"\nhistory_size = -1\n', "history_size: must be >= 0"),
        ('[strategy]\nkind = "long-polling"\nhold_timeout_s = 0\n', "must be > 0"),
        (
            '[strategy]\nkind = "websocket"\nreconnect_delay_s = 10.0\n',
            r"reconnect_delay_max_s \(5\) must be >= reconnect_delay_s \(10\)",
        ),
        ('[strategy]\nkind = "websocket"\nrandomization_factor = 2\n', "must be <= 1"),
        (
            MINIMAL + '[workload.up]\naudience = "one"\n',
            r"workload\.up: unknown key 'audience'",
        ),
        (MINIMAL + '[workload]\nkind = "bursty"\noff_s = -1\n', r"off_s: .*must be >= 0"),
        ("duration_s = nan\n" + MINIMAL, "expected a number, got nan"),
    ],
)
def test_bad_input_is_explained(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(ScenarioError, match=message) as caught:
        load_scenario(path)
    assert str(path) in str(caught.value)  # every message names the file


def test_invalid_toml_names_the_line(tmp_path):
    path = write(tmp_path, "clients = \n" + MINIMAL)
    with pytest.raises(ScenarioError, match=r"invalid TOML: .*line 1"):
        load_scenario(path)


def test_missing_file_is_explained(tmp_path):
    with pytest.raises(ScenarioError, match="no such scenario file"):
        load_scenario(tmp_path / "nope.toml")


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.toml")), ids=lambda p: p.name)
def test_every_shipped_scenario_is_valid(path):
    scenario = load_scenario(path)
    assert scenario.description, "every shipped scenario says what it shows"


def test_replace_network_mode_resets_the_half_duplex_turnaround():
    base = make_scenario(network={"mode": "half-duplex", "turnaround_s": 0.01})
    assert base.replace({"network.mode": "full-duplex"}).network.turnaround_s == 0
    with pytest.raises(ScenarioError, match=r"turnaround_s = 0\.02 only applies"):
        base.replace({"network.mode": "full-duplex", "network.turnaround_s": 0.02})


def test_numpy_numbers_are_accepted_where_numbers_are_expected():
    import numpy as np

    scenario = make_scenario(clients=np.int64(5), duration_s=np.float32(2.0))
    assert scenario.clients == 5 and type(scenario.clients) is int
    changed = scenario.replace({"clients": np.int32(3), "network.latency_s": np.float64(0.1)})
    assert changed.clients == 3 and changed.network.latency_s == Constant(0.1)
    rooms = [{"name": "a", "members": np.int64(2)}]
    assert make_scenario(clients=2, strategy={"kind": "socketio", "rooms": rooms})


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({1: 2}, "dotted key names"),
        ([("clients", 2)], "takes a mapping"),
        ({"duration_s": math.inf}, r"<dict>: duration_s: must be a finite number > 0 s, got inf"),
        ({"network.jitter_s": math.nan}, "network.jitter_s"),
        ({"clients": 1e12 + 0.5}, "clients: expected an integer"),
    ],
)
def test_replace_refuses_what_files_refuse(changes, message):
    with pytest.raises(ScenarioError, match=message):
        make_scenario().replace(changes)


def test_absurd_sizes_are_refused_before_a_run_unless_forced():
    from simulation import run
    from simulation.budget import BudgetError, Means, check_budget, estimate

    huge = make_scenario().replace({"clients": 10**9})
    with pytest.raises(BudgetError, match=r"<dict>: too large to run here: .* --force"):
        run(huge)
    small = make_scenario(clients=2)
    assert check_budget(small).messages > 0
    with pytest.raises(BudgetError, match="run time"):
        check_budget(small, Means(memory_bytes=1e15, wall_s=1e-9))
    assert estimate(small).memory_bytes < 1e9


def test_the_memory_estimate_follows_the_record_level():
    from simulation.budget import BASE_BYTES, BYTES_PER_CLIENT, estimate

    busy = make_scenario(clients=10_000, duration_s=60.0)
    memory = {
        level: estimate(busy.replace({"record.level": level})).memory_bytes
        for level in ("full", "deliveries", "summary")
    }
    assert memory["full"] > memory["deliveries"] > memory["summary"]
    assert memory["summary"] == pytest.approx(BASE_BYTES + BYTES_PER_CLIENT * 10_000)


@pytest.mark.parametrize("kind", ["short-polling", "long-polling", "sse", "websocket", "stream"])
def test_the_estimate_is_within_a_factor_of_three_of_the_messages_sent(kind):
    from simulation import run
    from simulation.budget import estimate

    scenario = make_scenario(clients=20, duration_s=30.0, strategy={"kind": kind})
    scenario = scenario.replace({"workload.rate_per_s": 2.0})
    messages = len(run(scenario).transfers)
    assert messages / 3 <= estimate(scenario).messages <= messages * 3


def test_a_progress_hook_sees_simulated_time_and_changes_nothing():
    import pandas as pd

    from simulation import run

    scenario = make_scenario(clients=3, duration_s=5.0)
    seen = []
    with_hook = run(scenario, progress=seen.append)
    plain = run(scenario)
    assert seen == sorted(seen) and seen[-1] == 5.0 and len(seen) > 100
    for table in ("deliveries", "transfers", "connections", "updates"):
        pd.testing.assert_frame_equal(getattr(with_hook, table), getattr(plain, table))


def test_a_run_without_updates_warns(caplog):
    from simulation import run

    run(make_scenario(duration_s=2.0, workload={"start_s": 5.0}))
    assert "created no updates" in caplog.text


def test_summary_is_a_documented_mix_of_ints_and_floats():
    from simulation import run

    summary = run(make_scenario(clients=2, duration_s=3.0)).summary()
    assert all(type(value) in (int, float) for value in summary)  # counts int, the rest float
    assert summary.astype(float).dtype == "float64"
