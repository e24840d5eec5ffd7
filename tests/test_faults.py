"""What-if faults: outages, server restarts, latency spikes, loss bursts, proxies."""

import numpy as np
import pytest

from simulation import ScenarioError, run
from simulation.faults import Faults, LossBursts
from simulation.rng import RandomStreams
from simulation.schema import parse_section

from helpers import make_scenario

TICKS = {"kind": "periodic", "rate_per_s": 1.0, "start_s": 0.25, "payload_bytes": 100}


def test_an_outage_loses_what_is_sent_during_it_and_the_transport_recovers():
    scenario = make_scenario(
        duration_s=4.0,
        network={"latency_s": 0.01},
        strategy={"kind": "short-polling", "interval_s": 1.0, "phase_s": 0.5},
        transport={"rto_s": 0.5, "rto_min_s": 0.5},
        faults={"outages": [{"start_s": 1.0, "duration_s": 2.0}]},
        workload=TICKS,
    )
    result = run(scenario)
    t = result.transfers
    during = t[(t["started_at"] >= 1.0) & (t["started_at"] < 3.0)]
    assert during["lost"].all() and len(during) > 0
    # poll at 1.5: lost, resent at 2.0 (lost), resent at 3.0 (RTO doubled): through.
    # The poll due at 2.5 finds that connection busy, so the pool opens a second one:
    # its SYN is lost too and resent at 3.0.
    polls = t[t["kind"].astype(str) == "poll-request"]
    assert polls["sent_at"].tolist() == pytest.approx([0.52, 1.5, 2.0, 3.0, 3.02, 3.5])
    assert polls["attempt"].tolist() == [0, 0, 1, 2, 0, 0]
    syns = t[t["kind"].astype(str) == "tcp-syn"]
    assert syns["sent_at"].tolist() == pytest.approx([0.5, 2.5, 3.0])
    d = result.deliveries
    assert d["update_id"].tolist() == [0, 1, 2, 3]  # nothing lost for good
    assert d["delivered_at"].tolist() == pytest.approx([0.54, 3.02, 3.02, 3.52])
    summary = result.summary()
    assert summary["recovery_max_s"] == pytest.approx(0.02)  # first response after 3.0
    assert summary["retransmissions"] == 3


def _restart(clients, randomization_factor):
    scenario = make_scenario(
        clients=clients,
        duration_s=10.0,
        warmup_s=2.0,
        network={"latency_s": 0.02},
        strategy={"kind": "websocket", "randomization_factor": randomization_factor},
        faults={"server_restarts_s": [5.0]},
        workload={"rate_per_s": 1.0},
    )
    return run(scenario)


def test_a_server_restart_drops_every_socket_and_clients_storm_back():
    result = _restart(200, 0.0)
    connections = result.connections
    dropped = connections[connections["close_reason"].astype(str) == "server-restart"]
    assert len(dropped) == 200
    assert dropped["closed_at"].tolist() == [5.0] * 200
    summary = result.summary()
    assert summary["reconnects"] == 200
    # every client waits exactly 1 s: all 200 SYNs arrive in the same second
    assert summary["reconnect_storm_peak_per_s"] == 200
    # back at 6.0 + one round trip for TCP + one for the upgrade
    assert summary["recovery_max_s"] == pytest.approx(1.08)


def test_reconnection_jitter_flattens_the_storm():
    spread = _restart(200, 0.5).summary()
    assert spread["reconnects"] == 200
    assert spread["reconnect_storm_peak_per_s"] < 150  # uniform over [0.5, 1.5] s
    assert spread["recovery_max_s"] > 1.08


def test_a_latency_spike_adds_its_extra_delay():
    scenario = make_scenario(
        duration_s=6.0,
        network={"mode": "simplex", "latency_s": 0.01},
        strategy={"kind": "stream"},
        faults={"latency_spikes": [{"start_s": 2.0, "duration_s": 2.0, "extra_s": 0.5}]},
        workload=TICKS,
    )
    d = run(scenario).deliveries
    latency = dict(zip(d["created_at"], d["latency_s"], strict=True))
    assert [round(latency[t], 6) for t in (1.25, 2.25, 3.25, 4.25)] == [0.01, 0.51, 0.51, 0.01]


def _loss_runs(lost: np.ndarray) -> float:
    """Mean length of runs of consecutive losses."""
    runs, current = [], 0
    for flag in lost:
        if flag:
            current += 1
        elif current:
            runs.append(current)
            current = 0
    return float(np.mean(runs)) if runs else 0.0


def test_gilbert_elliott_loses_in_bursts_at_its_stationary_rate():
    bursts = {"p_enter": 0.02, "p_leave": 0.2, "loss_in_burst": 0.9}
    stationary = parse_section(LossBursts, bursts, "x").stationary_loss()
    assert stationary == pytest.approx(0.02 / 0.22 * 0.9)

    def lost(faults=None, loss=0.0):
        scenario = make_scenario(
            duration_s=2000.0,
            network={"mode": "simplex", "latency_s": 0.01, "loss": loss},
            strategy={"kind": "stream"},
            faults=faults or {},
            workload={"kind": "periodic", "rate_per_s": 20.0},
        )
        return run(scenario).transfers["lost"].to_numpy()

    bursty = lost({"loss_bursts": bursts})
    assert abs(bursty.mean() - stationary) < 0.02
    independent = lost(loss=stationary)
    assert _loss_runs(bursty) > 3 * _loss_runs(independent)


def test_random_outages_cover_the_expected_share_of_time():
    params = make_scenario(faults={"outage_rate_per_s": 0.01, "outage_duration_s": 5.0}).faults
    faults = Faults(params, 100_000.0, RandomStreams(3))
    down = sum(end - start for start, end in faults.outages) / 100_000.0
    # Poisson starts, 5 s each, merged when they overlap: 1 - exp(-0.01 * 5) of the time
    assert down == pytest.approx(1 - np.exp(-0.05), abs=0.01)
    starts = [start for start, _ in faults.outages]
    assert faults.in_outage(starts[0]) and not faults.in_outage(starts[0] - 1e-6)


def test_a_proxy_shorter_than_the_hold_breaks_every_long_poll():
    scenario = make_scenario(
        clients=3,
        duration_s=200.0,
        network={"latency_s": 0.02},
        strategy={"kind": "long-polling", "hold_timeout_s": 40.0},
        faults={"proxy_idle_timeout_s": 30.0},
        workload={"rate_per_s": 0.001},
    )
    result = run(scenario)
    closed = result.connections["close_reason"].astype(str)
    assert (closed == "idle-timeout").sum() >= 3 * 6  # every ~30 s for each client
    summary = result.summary()
    assert summary["empty_responses"] == 0  # the hold never gets to 40 s
    assert summary["reconnects"] == (closed == "idle-timeout").sum()


@pytest.mark.parametrize(
    ("faults", "message"),
    [
        ({"outages": [{"start_s": 1.0}]}, r"outages\[0\]: missing required key 'duration_s'"),
        ({"outages": [{"start_s": 1.0, "duration_s": 0}]}, "must be > 0"),
        ({"outages": [{"start_s": 1, "duration_s": 1, "end_s": 2}]}, "unknown key 'end_s'"),
        ({"outages": {"start_s": 1}}, "expected a list of tables"),
        ({"latency_spikes": [{"start_s": 1, "duration_s": 1}]}, "missing required key 'extra_s'"),
        ({"server_restarts_s": [-1.0]}, r"server_restarts_s\[0\]: must be >= 0"),
        ({"loss_bursts": {"p_enter": 1.5}}, r"loss_bursts\.p_enter: must be <= 1"),
        ({"loss_bursts": {"p_enter": 0.1, "p_leave": 0.0}}, "a burst never ends"),
        ({"loss_bursts": {"p_in": 0.1}}, "unknown key 'p_in'"),
        ({"outage_rate": 1.0}, "did you mean 'outage_rate_per_s'"),
    ],
)
def test_bad_faults_are_explained(faults, message):
    with pytest.raises(ScenarioError, match=message):
        make_scenario(faults=faults)


def test_faults_round_trip_through_replace():
    scenario = make_scenario(
        faults={
            "outages": [{"start_s": 1.0, "duration_s": 2.0}],
            "latency_spikes": [{"start_s": 1.0, "duration_s": 2.0, "extra_s": 0.1}],
            "server_restarts_s": [5.0],
            "loss_bursts": {"p_enter": 0.1, "p_leave": 0.5},
        }
    )
    again = scenario.replace({"clients": 2})
    assert again.faults == scenario.faults
