"""TCP loss recovery: RFC 6298's RTO estimate and timer, fast retransmit, go-back after a
timeout, checked against hand-computed numbers and closed forms."""

import math

import pytest
import simpy

from simulation import run
from simulation.analytic import fast_retransmit_delay_s, rto_retransmission_delay_mean_s
from simulation.distributions import Constant
from simulation.messages import DOWN, UP, Message
from simulation.recorder import Recorder
from simulation.rng import RandomStreams
from simulation.scenario import NetworkParams
from simulation.transport import Transport, TransportParams
from simulation.transport.recovery import RtoEstimator

from helpers import LossyChannel, assert_within_ci, make_scenario

# -- the RTO estimate (RFC 6298 section 2) -----------------------------------------------


def test_rto_follows_rfc_6298_arithmetic_on_a_sample_sequence():
    # alpha = 1/8, beta = 1/4, K = 4, G -> 0; a negligible minimum, so no clamping
    rto = RtoEstimator(initial=1.0, minimum=1e-9, maximum=60.0)
    assert rto.rto == 1.0  # 2.1: before any sample
    expected = [
        # R       SRTT            RTTVAR          RTO = SRTT + 4 RTTVAR
        (0.1, 0.1, 0.05, 0.3),  # 2.2: SRTT = R, RTTVAR = R/2
        # 2.3: RTTVAR = 3/4 0.05 + 1/4 |0.1 - 0.2| = 0.0625; SRTT = 7/8 0.1 + 1/8 0.2
        (0.2, 0.1125, 0.0625, 0.3625),
        # RTTVAR = 3/4 0.0625 + 1/4 |0.1125 - 0.1| = 0.05; SRTT = 7/8 0.1125 + 1/8 0.1
        (0.1, 0.1109375, 0.05, 0.3109375),
        # RTTVAR = 3/4 0.05 + 1/4 |0.1109375 - 0.5| = 0.134765625
        (0.5, 0.1595703125, 0.134765625, 0.6986328125),
    ]
    for sample, srtt, rttvar, value in expected:
        rto.sample(sample)
        assert rto.srtt == pytest.approx(srtt, abs=1e-15)
        assert rto.rttvar == pytest.approx(rttvar, abs=1e-15)
        assert rto.rto == pytest.approx(value, abs=1e-15)
    rto.back_off()  # 5.5: doubles ...
    assert rto.rto == pytest.approx(1.397265625)
    rto.sample(0.1)  # ... until the next sample, which recomputes it (Karn, section 5)
    # RTTVAR = 3/4 0.134765625 + 1/4 |0.1595703125 - 0.1| = 0.115966796875
    # SRTT = 7/8 0.1595703125 + 1/8 0.1 = 0.1521240234375
    assert rto.rto == pytest.approx(0.1521240234375 + 4 * 0.115966796875, abs=1e-15)


def test_rto_is_clamped_to_its_minimum_and_maximum():
    rto = RtoEstimator(initial=1.0, minimum=1.0, maximum=4.0)
    rto.sample(0.1)  # 0.3 -> 1 (RFC 6298 section 2.4)
    assert rto.rto == 1.0
    rto.sample(3.0)  # SRTT 7/8 0.1 + 1/8 3 = 0.4625, RTTVAR 3/4 0.05 + 1/4 2.9 = 0.7625
    assert rto.rto == pytest.approx(0.4625 + 4 * 0.7625)
    rto.sample(10.0)  # above the maximum (section 2.5)
    assert rto.rto == 4.0
    for _ in range(3):
        rto.back_off()
    assert rto.rto == 4.0


# -- exact timings on one connection -----------------------------------------------------


class Link:
    """One connection over a constant 50 ms each way (RTT 100 ms), unlimited bandwidth."""

    L = 0.05

    def __init__(self, lose=(), **transport):
        self.env = simpy.Environment()
        self.recorder = Recorder()
        self.transport = Transport(self.env, TransportParams(**transport), self.recorder)
        self.channel = LossyChannel(
            self.env,
            0,
            NetworkParams(latency_s=Constant(self.L)),
            RandomStreams(0),
            self.recorder,
            self.transport.arrive,
            self.transport.arrive,
            lose=lose,
        )
        self.at_client: dict[str, float] = {}
        self.connection = self.transport.connect(
            self.channel,
            "test",
            lambda m: self.at_client.setdefault(m.kind, self.env.now),
            lambda m: None,
        )

    def push(self, times, names):
        """The server sends message ``names[i]`` at ``times[i]`` (after set-up)."""

        def server():
            yield self.connection.established
            for at, name in zip(times, names, strict=True):
                yield self.env.timeout(max(0.0, at - self.env.now))
                self.connection.send(Message(0, DOWN, name, 100, 0))

        self.env.process(server())

    def sends(self, kind):
        t = self.recorder.dataframes(self.env.now)["transfers"]
        return t[t["kind"].astype(str) == kind]["sent_at"].tolist()


def test_a_lost_message_in_a_steady_stream_is_fast_retransmitted_after_rtt_plus_3_over_rate():
    rate, lost = 50.0, 50
    times = [1.0 + i / rate for i in range(100)]
    names = [f"m{i}" for i in range(100)]
    link = Link(lose={(f"m{lost}", 0)})
    link.push(times, names)
    link.env.run(until=5)
    sent = times[lost]
    # m51, m52, m53 arrive above the hole; the third duplicate ACK reaches the server one
    # RTT after m50 was sent plus 3/rate; the resend takes one more one-way trip
    assert link.sends(f"m{lost}") == pytest.approx([sent, sent + 0.1 + 3 / rate])
    delay = link.at_client[f"m{lost}"] - (sent + link.L)
    assert delay == pytest.approx(fast_retransmit_delay_s(0.1, rate))  # 0.16 s, not 1 s
    # head-of-line blocking: the messages that arrived meanwhile are handed over with it
    released = link.at_client[f"m{lost}"]
    for i in range(lost + 1, lost + 9):
        assert link.at_client[f"m{i}"] == pytest.approx(max(released, times[i] + link.L))
    assert link.at_client[f"m{lost + 9}"] == pytest.approx(times[lost + 9] + link.L)


def test_an_isolated_lost_message_waits_for_the_timer_which_doubles():
    link = Link(lose={("m0", 0), ("m0", 1)})
    link.push([1.0, 10.0], ["m0", "m1"])
    link.env.run(until=20)
    # no segment behind it, so no duplicate ACKs: RTO 1 s (the minimum), then 2 s
    assert link.sends("m0") == pytest.approx([1.0, 2.0, 4.0])
    assert link.at_client["m0"] == pytest.approx(4.05)


def test_a_backed_off_rto_stays_until_a_new_rtt_sample_karn():
    lose = {("m0", 0), ("m0", 1), ("m1", 0), ("m3", 0)}
    link = Link(lose=lose)
    link.push([1.0, 10.0, 20.0, 30.0], ["m0", "m1", "m2", "m3"])
    link.env.run(until=40)
    assert link.sends("m0") == pytest.approx([1.0, 2.0, 4.0])  # RTO 1, then 2 -> 4
    # m0's resend is acknowledged, but a resent segment gives no sample: m1 waits 4 s
    assert link.sends("m1") == pytest.approx([10.0, 14.0])
    # m1's resend gives no sample either; m2 arrives first time and resets the RTO to 1 s
    assert link.sends("m3") == pytest.approx([30.0, 31.0])


def test_a_syn_timeout_sets_the_rto_to_3_s_for_the_data_rfc_6298_5_7():
    link = Link(lose={("tcp-syn", 0), ("m0", 0)})
    link.push([5.0], ["m0"])
    link.env.run(until=20)
    assert link.sends("tcp-syn") == [0.0, 1.0]  # SYN retried after 1 s
    # no RTT sample yet from the server's side: its SYN-ACK went through, so its own
    # RTO is still the initial 1 s; the client's side falls back to 3 s
    assert link.sends("m0") == pytest.approx([5.0, 6.0])
    up = Link(lose={("tcp-syn", 0), ("c0", 0)})

    def client():
        yield up.connection.established
        yield up.env.timeout(5.0 - up.env.now)
        up.connection.send(Message(0, UP, "c0", 100, 0))

    up.env.process(client())
    up.env.run(until=20)
    assert up.sends("c0") == pytest.approx([5.0, 8.0])


# -- closed forms on whole runs ----------------------------------------------------------


def test_isolated_messages_on_a_lossy_link_pay_the_rto_formula():
    loss = 0.1
    scenario = make_scenario(
        clients=200,
        duration_s=1000.0,
        warmup_s=20.0,
        network={"latency_s": 0.05, "loss": loss},
        strategy={"kind": "websocket"},
        workload={"kind": "periodic", "rate_per_s": 0.1},
    )
    result = run(scenario)
    extra = result.deliveries["latency_s"] - 0.05
    # a message 10 s from the next has no segments behind it: every loss costs an RTO,
    # and under Karn's rule a message after a resent one inherits its backed-off RTO
    expected = rto_retransmission_delay_mean_s(loss, 1.0, 60.0)  # 0.145 s
    assert_within_ci(extra, expected, max_half_width=0.01)
    # without Karn's carried-over back-off it would be 1 s * 0.1 / 0.8 = 0.125 s
    without_karn = rto_retransmission_delay_mean_s(loss, 1.0, 60.0, karn=False)
    assert without_karn == pytest.approx(0.125, rel=1e-4)


def test_after_an_outage_the_queued_messages_follow_the_first_successful_resend():
    bandwidth = 1e6
    scenario = make_scenario(
        duration_s=40.0,
        warmup_s=1.0,
        network={"latency_s": 0.05, "bandwidth_bps": bandwidth},
        strategy={"kind": "websocket"},
        workload={"kind": "periodic", "rate_per_s": 5.0, "payload_bytes": 200},
        faults={"outages": [{"start_s": 10.0, "duration_s": 10.0}]},
    )
    result = run(scenario)
    t = result.transfers
    frames = t[(t["direction"] == "down") & (t["kind"].astype(str) == "ws-frame")]
    lost_first = frames[(frames["attempt"] == 0) & frames["lost"]]
    assert len(lost_first) == 50  # 10 s at 5 frames a second
    head = frames[frames["seq"] == lost_first["seq"].min()]
    start = head["sent_at"].iloc[0]
    # one timer: 1, 2, 4, 8 s after the first loss; 15 s after it the link is back
    assert head["sent_at"].tolist() == pytest.approx([start + x for x in (0, 1, 3, 7, 15)])
    through = head[~head["lost"]]["received_at"].iloc[0]
    # the other 49 are resent together when the server learns of it (an ACK's one-way
    # trip and the serialization of its 40 bytes), and none is resent twice
    resent = frames[(frames["attempt"] > 0) & (frames["seq"] != head["seq"].iloc[0])]
    assert len(resent) == 49 and not resent["lost"].any()
    learned = through + 0.05 + 40 * 8 / bandwidth
    assert resent["sent_at"].tolist() == pytest.approx([learned] * 49)
    size = (frames["payload_bytes"] + frames["overhead_bytes"] + frames["transport_bytes"]).max()
    # so every queued message arrives within one RTT (plus the serialization of the
    # ACK and of the burst) after the first resend that got through
    last = resent["received_at"].max()
    assert last <= through + 0.1 + (40 + 49 * size) * 8 / bandwidth + 1e-9
    d = result.deliveries
    during = d[(d["created_at"] >= 10.0) & (d["created_at"] < 20.0)]
    assert len(during) == 50
    assert during["delivered_at"].between(through - 1e-9, last + 1e-9).all()
    # the frames sent after the outage arrived at once, then waited behind the holes
    after = d[(d["created_at"] >= 20.0) & (d["created_at"] < through)]
    assert len(after) > 0 and (after["delivered_at"] == last).all()


def test_recovery_is_off_on_a_lossless_channel():
    scenario = make_scenario(network={"latency_s": 0.05}, strategy={"kind": "websocket"})
    result = run(scenario)
    assert not math.isnan(result.summary()["latency_mean_s"])
    assert result.summary()["retransmissions"] == 0
