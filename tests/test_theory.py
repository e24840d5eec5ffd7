"""The simulator against closed forms, within 95% confidence intervals over replications."""

import numpy as np
import pytest

from simulation import analytic, run
from simulation.protocols import tcp, tls
from simulation.protocols import websocket as ws

from helpers import assert_within_ci, make_scenario

REPLICATIONS = 20


def replicate(scenario, measure):
    return [measure(run(scenario, seed=seed)) for seed in range(REPLICATIONS)]


def test_short_poll_mean_latency_is_latency_plus_half_interval():
    latency, interval = 0.05, 1.0
    scenario = make_scenario(
        clients=5,
        duration_s=200.0,
        warmup_s=5.0,
        network={"latency_s": latency},
        strategy={"kind": "short-polling", "interval_s": interval},
        workload={"kind": "poisson", "rate_per_s": 2.0},
    )
    # Only updates that every client has surely polled for by the end (no censoring).
    last = scenario.duration_s - interval - latency

    def mean_latency(result):
        d = result.deliveries
        kept = (d["created_at"] >= scenario.warmup_s) & (d["created_at"] < last)
        return d.loc[kept, "latency_s"].mean()

    expected = analytic.short_poll_mean_latency_s(latency, interval)
    assert_within_ci(replicate(scenario, mean_latency), expected, max_half_width=0.01)


@pytest.mark.parametrize(("audience", "clients"), [("all", 3), ("one", 4)])
def test_short_poll_empty_fraction_is_exp_minus_rate_times_interval(audience, clients):
    rate, interval = 2.0, 1.0
    scenario = make_scenario(
        clients=clients,
        duration_s=300.0,
        warmup_s=5.0,
        network={"latency_s": 0.02},
        strategy={"kind": "short-polling", "interval_s": interval},
        workload={"kind": "poisson", "rate_per_s": rate, "audience": audience},
    )
    per_client_rate = rate if audience == "all" else rate / clients
    expected = analytic.short_poll_empty_fraction(per_client_rate, interval)
    fractions = replicate(scenario, lambda result: result.summary()["empty_fraction"])
    assert_within_ci(fractions, expected, max_half_width=0.02)


def _queue_scenario(payload_bytes):
    # One client, a raw feed through a 80 kbit/s link: 1000-byte messages take D = 0.1 s.
    return make_scenario(
        duration_s=2000.0,
        warmup_s=20.0,
        network={"mode": "simplex", "latency_s": 0.01, "bandwidth_bps": 80_000},
        strategy={"kind": "stream"},
        workload={"kind": "poisson", "rate_per_s": 5.0, "payload_bytes": payload_bytes},
    )


def _mean_latency_after_warmup(result):
    d = result.deliveries
    return d.loc[d["created_at"] >= result.scenario.warmup_s, "latency_s"].mean()


def test_bandwidth_limited_link_queues_like_md1():
    scenario = _queue_scenario(1000)
    service = analytic.serialization_s(1000, 80_000)
    expected = analytic.md1_mean_wait_s(5.0, service) + service + 0.01
    assert_within_ci(replicate(scenario, _mean_latency_after_warmup), expected, 0.01)


def test_exponential_message_sizes_queue_like_mm1():
    scenario = _queue_scenario({"dist": "exponential", "mean": 1000})
    service = analytic.serialization_s(1000, 80_000)
    expected = analytic.mm1_mean_wait_s(5.0, service) + service + 0.01
    assert_within_ci(replicate(scenario, _mean_latency_after_warmup), expected, 0.02)


@pytest.mark.parametrize("tls_version", ["none", "1.3", "1.2"])
def test_websocket_is_ready_after_its_setup_round_trips(tls_version):
    latency, bandwidth = 0.05, 1e6
    scenario = make_scenario(
        clients=3,
        duration_s=2.0,
        network={"latency_s": latency, "bandwidth_bps": bandwidth},
        strategy={"kind": "websocket"},
        transport={"tls": tls_version},
    )
    connections = run(scenario).connections
    # Every handshake byte, from the protocol modules: SYN and SYN-ACK, the TLS flights
    # with their segment headers (TLS 1.2's last flight with its session ticket), then the
    # upgrade and its 101 (TLS records when on). TLS 1.3's tickets leave the server when
    # the client's Finished arrives, while the upgrade request behind it is still being
    # serialized (5.9 ms against 4.4): the link down is free again before the 101.
    record = tls.RECORD_OVERHEAD_BYTES.get(tls_version, 0)
    handshake = 2 * tcp.SYN_BYTES
    if tls_version != "none":
        flights = tls.handshake_flights(tls_version, session_tickets=tls.SESSION_TICKETS)
        for _direction, _kind, size in flights:
            handshake += size + tcp.packet_overhead_bytes(size, 1460, 40)
    for size in (700 + ws.UPGRADE_REQUEST_EXTRA_BYTES, ws.UPGRADE_RESPONSE_BYTES):
        handshake += size + record + tcp.packet_overhead_bytes(size + record, 1460, 40)
    round_trips = analytic.setup_round_trips(tls_version, websocket=True)
    assert round_trips == {"none": 2, "1.3": 3, "1.2": 4}[tls_version]
    expected = analytic.setup_time_s(latency, round_trips, handshake, bandwidth)
    np.testing.assert_allclose(connections["ready_at"], expected)
    tcp_tls = analytic.setup_round_trips(tls_version) * 2 * latency
    assert (connections["opened_at"] >= tcp_tls).all()
    assert (connections["opened_at"] < tcp_tls + 0.05).all()


@pytest.mark.parametrize("tls_version", ["none", "1.3", "1.2"])
@pytest.mark.parametrize(
    "latency",
    [{"dist": "exponential", "mean": 0.05}, {"dist": "uniform", "low": 0.0, "high": 0.1}],
    ids=["exponential", "uniform"],
)
def test_websocket_setup_with_random_latency_averages_its_round_trips(tls_version, latency):
    # A flight (TLS Finished and the Upgrade behind it) crosses the path once: set-up
    # takes its round trips of mean 2 L each, not the slower of two separate draws
    scenario = make_scenario(
        clients=1000,
        duration_s=1.0,
        network={"latency_s": latency},
        transport={"tls": tls_version},
        strategy={"kind": "websocket"},
        workload={"rate_per_s": 0.1},
    )
    ready = [run(scenario, seed=seed).connections["ready_at"].mean() for seed in range(10)]
    round_trips = analytic.setup_round_trips(tls_version, websocket=True)
    expected = analytic.setup_time_s(0.05, round_trips)
    assert_within_ci(ready, expected, max_half_width=0.004)


PAYLOAD, HEADERS = 100, {"request": 700 + 40, "response": 300 + 40}


def _bytes_per_delivery(strategy, rate=2.0, clients=3, audience="all", duration_s=300.0):
    scenario = make_scenario(
        clients=clients,
        duration_s=duration_s,
        warmup_s=10.0,
        network={"latency_s": 0.05},
        strategy=strategy,
        workload={
            "kind": "poisson",
            "rate_per_s": rate,
            "payload_bytes": PAYLOAD,
            "audience": audience,
        },
    )
    return [run(scenario, seed=seed).summary()["bytes_per_delivery"] for seed in range(20)]


def test_short_poll_bytes_per_update():
    values = _bytes_per_delivery({"kind": "short-polling", "interval_s": 1.0}, duration_s=600.0)
    expected = analytic.short_poll_bytes_per_update(
        PAYLOAD, 2.0, 1.0, HEADERS["request"], HEADERS["response"]
    )
    assert_within_ci(values, expected, max_half_width=10.0)


def test_long_poll_bytes_per_update():
    values = _bytes_per_delivery({"kind": "long-polling", "hold_timeout_s": 1.0})
    expected = analytic.long_poll_bytes_per_update(
        PAYLOAD, 0.05, 2.0, HEADERS["request"], HEADERS["response"], hold_timeout_s=1.0
    )
    assert_within_ci(values, expected, max_half_width=15.0)


def test_push_bytes_per_update_is_exact():
    def pushed(kind, message_kind):
        scenario = make_scenario(
            duration_s=30.0,
            network={"latency_s": 0.05},
            strategy={"kind": kind},
            workload={"rate_per_s": 5.0, "payload_bytes": PAYLOAD},
        )
        result = run(scenario)
        t = result.transfers
        messages = t[t["kind"].astype(str) == message_kind]
        messages = messages.merge(result.deliveries[["message_id", "update_id"]], on="message_id")
        wire = messages["payload_bytes"] + messages["overhead_bytes"] + messages["transport_bytes"]
        return messages, wire

    _frames, wire = pushed("websocket", "ws-frame")
    assert (wire == analytic.push_bytes_per_update(PAYLOAD, 2 + 40)).all()
    # SSE: "id: <id>\ndata: <payload>\n\n" is 13 bytes + the id's digits, in one chunk
    # whose size line and CRLF add 6 bytes (sizes 0x10 to 0xff)
    events, wire = pushed("sse", "sse-event")
    digits = events["update_id"].astype(str).str.len()
    assert set(digits) == {1, 2, 3}
    expected = [analytic.push_bytes_per_update(PAYLOAD, 13 + n + 6 + 40) for n in digits]
    assert wire.tolist() == expected
