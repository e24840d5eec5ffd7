import math

import pytest
import simpy

from simulation.channel import Channel, ChannelError
from simulation.distributions import Constant, Exponential
from simulation.messages import DOWN, UP, Message
from simulation.recorder import Recorder
from simulation.rng import RandomStreams
from simulation.scenario import NetworkParams


class Harness:
    """A channel with handlers that write down (arrival time, message)."""

    def __init__(self, **network):
        if "latency_s" in network and not hasattr(network["latency_s"], "sample"):
            network["latency_s"] = Constant(network["latency_s"])
        self.env = simpy.Environment()
        self.recorder = Recorder()
        self.arrived = []
        record = lambda message: self.arrived.append((self.env.now, message))  # noqa: E731
        self.channel = Channel(
            self.env, 0, NetworkParams(**network), RandomStreams(1), self.recorder, record, record
        )

    def send_at(self, time, direction, size, kind="m"):
        def process():
            yield self.env.timeout(time)
            self.channel.send(Message(0, direction, kind, size, 0))

        self.env.process(process())

    def run(self, until=100.0):
        self.env.run(until=until)
        return self.recorder.dataframes(until)["transfers"]


def test_fifo_serialization_then_latency():
    h = Harness(latency_s=0.1, bandwidth_bps=8000)  # 1000 bytes per second
    h.send_at(0.0, DOWN, 500)  # 0.5 s on the wire
    h.send_at(0.2, DOWN, 100)  # waits for the first: starts 0.5, ends 0.6
    t = h.run()
    assert t["started_at"].tolist() == pytest.approx([0.0, 0.5])
    assert t["received_at"].tolist() == pytest.approx([0.6, 0.7])
    assert [time for time, _ in h.arrived] == pytest.approx([0.6, 0.7])


def test_full_duplex_directions_are_independent():
    h = Harness(latency_s=0.1, bandwidth_bps=8000)
    h.send_at(0.0, DOWN, 500)
    h.send_at(0.0, UP, 500)
    t = h.run()
    assert t["started_at"].tolist() == [0.0, 0.0]
    assert t["received_at"].tolist() == pytest.approx([0.6, 0.6])


def test_half_duplex_waits_for_the_medium_and_pays_turnaround():
    h = Harness(mode="half-duplex", latency_s=0.1, bandwidth_bps=8000, turnaround_s=0.05)
    h.send_at(0.0, DOWN, 100)  # 0.0-0.1 on the wire, received 0.2
    h.send_at(0.0, DOWN, 100)  # same direction follows at once: 0.1-0.2, received 0.3
    h.send_at(0.05, UP, 100)  # medium idle at 0.3, + turnaround: starts 0.35, received 0.55
    h.send_at(0.06, DOWN, 100)  # after the up message is received: 0.55 + 0.05 = 0.60
    t = h.run()
    assert t["started_at"].tolist() == pytest.approx([0.0, 0.1, 0.35, 0.60])
    assert t["received_at"].tolist() == pytest.approx([0.2, 0.3, 0.55, 0.80])


def test_full_duplex_has_no_turnaround():
    h = Harness(latency_s=0.1, bandwidth_bps=8000)
    h.send_at(0.0, DOWN, 100)
    h.send_at(0.05, UP, 100)
    assert h.run()["started_at"].tolist() == pytest.approx([0.0, 0.05])


def test_simplex_refuses_the_reverse_direction():
    h = Harness(mode="simplex", latency_s=0.1)
    assert h.channel.has_direction(DOWN)
    assert not h.channel.has_direction(UP)
    with pytest.raises(ChannelError, match="simplex"):
        h.channel.send(Message(0, UP, "poll-request", 0, 700))


def test_drop_tail_queue_drops_what_does_not_fit():
    h = Harness(latency_s=0.0, bandwidth_bps=8000, queue_bytes=1000)
    h.send_at(0.0, DOWN, 600)  # backlog 600
    h.send_at(0.0, DOWN, 300)  # backlog 900
    h.send_at(0.0, DOWN, 200)  # 1100 > 1000: dropped
    h.send_at(0.5, DOWN, 500)  # 400 already sent at 0.5: backlog 500 + 500 = 1000, fits
    t = h.run()
    assert t["dropped"].tolist() == [False, False, True, False]
    assert t["lost"].tolist() == [False, False, True, False]
    assert math.isnan(t["started_at"][2])
    assert t["received_at"][3] == pytest.approx(1.4)  # waits for 600 + 300 bytes
    assert len(h.arrived) == 3


def test_loss_rate_matches_probability():
    h = Harness(latency_s=0.01, loss=0.2)
    for i in range(5000):
        h.send_at(i * 0.001, DOWN, 10)
    t = h.run()
    lost = t["lost"].mean()
    assert abs(lost - 0.2) < 4 * math.sqrt(0.2 * 0.8 / 5000)
    assert not t["dropped"].any()
    assert t.loc[t["lost"], "received_at"].isna().all()
    assert len(h.arrived) == (~t["lost"]).sum()


def test_jitter_never_reorders_a_direction():
    h = Harness(latency_s=Exponential(0.05), jitter_s=0.2)
    for i in range(500):
        h.send_at(i * 0.001, DOWN, 10)
    t = h.run()
    received = t["received_at"].to_numpy()
    assert (received[1:] >= received[:-1]).all()
    assert (received >= t["sent_at"].to_numpy()).all()
    arrivals = [message.id for _, message in h.arrived]
    assert arrivals == sorted(arrivals)


def test_message_still_travelling_at_the_end_is_in_flight():
    h = Harness(latency_s=1.0)
    h.send_at(0.0, DOWN, 10)
    h.send_at(0.5, DOWN, 10)
    t = h.run(until=1.2)
    assert t["received_at"].tolist()[0] == 1.0
    assert math.isnan(t["received_at"][1])
    assert t["in_flight"].tolist() == [False, True]
