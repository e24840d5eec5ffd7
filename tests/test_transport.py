"""Connections: set-up, retransmission with head-of-line blocking, idle timeouts, pools.

Loss recovery in detail (fast retransmit, the RTO estimate) is in test_tcp_recovery.py.
"""

import math

import pytest
import simpy

from simulation.distributions import Constant
from simulation.messages import DOWN, UP, Message
from simulation.recorder import Recorder
from simulation.rng import RandomStreams
from simulation.scenario import NetworkParams
from simulation.server import Server, ServerParams
from simulation.transport import ConnectionPool, Transport, TransportParams

from helpers import LossyChannel


class Harness:
    def __init__(self, lose=(), **transport):
        self.env = simpy.Environment()
        self.recorder = Recorder()
        self.server = Server(self.env, ServerParams(), RandomStreams(0))
        self.transport = Transport(
            self.env, TransportParams(**transport), self.recorder, self.server
        )
        self.channel = LossyChannel(
            self.env,
            0,
            NetworkParams(latency_s=Constant(0.01)),
            RandomStreams(0),
            self.recorder,
            self.transport.arrive,
            self.transport.arrive,
            lose=lose,
        )
        self.at_client = []
        self.at_server = []
        self.closed = []

    def connect(self):
        return self.transport.connect(
            self.channel,
            "test",
            lambda m: self.at_client.append((self.env.now, m.kind)),
            lambda m: self.at_server.append((self.env.now, m.kind)),
            on_close=lambda c, reason: self.closed.append((self.env.now, reason)),
        )

    def transfers(self):
        return self.recorder.dataframes(self.env.now)["transfers"]


def test_tcp_handshake_takes_one_round_trip():
    h = Harness()
    connection = h.connect()
    h.env.run(until=1)
    assert connection.established.triggered
    assert h.recorder.connections["opened_at"][0] == pytest.approx(0.02)
    assert h.server.peak_connections == 1


def test_lost_message_is_retransmitted_and_later_ones_wait_behind_it():
    h = Harness(lose={("m1", 0)}, rto_s=0.5, rto_min_s=0.5)
    connection = h.connect()

    def client():
        yield connection.established  # at 0.02
        for kind in ("m1", "m2", "m3"):
            connection.send(Message(0, UP, kind, 10, 0))
            yield h.env.timeout(0.1)

    h.env.process(client())
    h.env.run(until=2)
    # m1 is lost at 0.02 and sent again at 0.52 (arrives 0.53); m2 (0.13) and m3 (0.23)
    # arrived long before but are released only behind m1: head-of-line blocking. Two
    # segments behind it are too few for a fast retransmit: the timer resends it.
    assert h.at_server == [
        (pytest.approx(0.53), "m1"),
        (pytest.approx(0.53), "m2"),
        (pytest.approx(0.53), "m3"),
    ]
    t = h.transfers()
    again = t[t["attempt"] > 0]
    assert again["kind"].astype(str).tolist() == ["m1"]
    assert again["sent_at"].tolist() == pytest.approx([0.52])


def test_retransmission_timeout_doubles_on_each_loss_of_the_same_message():
    h = Harness(lose={("tcp-syn", 0), ("tcp-syn", 1), ("tcp-syn", 2)}, rto_s=1.0)
    connection = h.connect()
    h.env.run(until=20)
    # SYN sent at 0, 1, 3, 7 (waits 1, 2, 4): the fourth gets through, set-up at 7.02
    t = h.transfers()
    syns = t[t["kind"].astype(str) == "tcp-syn"]
    assert syns["sent_at"].tolist() == [0.0, 1.0, 3.0, 7.0]
    assert syns["lost"].tolist() == [True, True, True, False]
    assert connection.established.triggered
    assert h.recorder.connections["opened_at"][0] == pytest.approx(7.02)


def test_rto_is_capped():
    h = Harness(lose={("tcp-syn", i) for i in range(3)}, rto_s=1.0, rto_max_s=1.5)
    h.connect()
    h.env.run(until=20)
    t = h.transfers()
    assert t[t["kind"].astype(str) == "tcp-syn"]["sent_at"].tolist() == [0.0, 1.0, 2.5, 4.0]


def test_idle_connection_is_closed_at_both_ends():
    h = Harness(idle_timeout_s=5.0)
    connection = h.connect()

    def client():
        yield connection.established
        yield h.env.timeout(2.0)
        connection.send(Message(0, UP, "ping", 0, 10))  # activity at 2.02 (sent)

    h.env.process(client())
    h.env.run(until=20)
    # last activity: the message's arrival at 2.03; closed 5 s later
    assert connection.closed and connection.close_reason == "idle-timeout"
    assert h.closed == [(pytest.approx(7.03), "idle-timeout")]
    assert h.recorder.connections["closed_at"][0] == pytest.approx(7.03)


def test_pool_limits_connections_and_queues_requests():
    h = Harness(max_connections_per_host=2)
    granted = []

    def respond(message):
        message.connection.send(Message(0, DOWN, "response", 0, 10, response=True))

    def released(message):
        h.env.timeout(0.5).callbacks.append(lambda _e: pool.release(message.connection))

    pool = ConnectionPool(h.transport, h.channel, 2, True, released, respond)

    def request(i):
        connection = yield pool.acquire()
        granted.append((i, h.env.now, connection.id))
        connection.send(Message(0, UP, "request", 0, 10, request=True))

    for i in range(4):
        h.env.process(request(i))
    h.env.run(until=5)
    # two connections open at 0.02; the third and fourth requests wait for a release:
    # each response arrives at 0.04 and is released 0.5 s later
    assert [(i, round(t, 6)) for i, t, _ in granted] == [(0, 0.02), (1, 0.02), (2, 0.54), (3, 0.54)]
    assert {c for _, _, c in granted} == {0, 1}
    assert len(h.recorder.connections["connection_id"]) == 2


def test_without_keep_alive_every_request_opens_a_connection():
    h = Harness()

    def respond(message):
        message.connection.send(Message(0, DOWN, "response", 0, 10, response=True))

    pool = ConnectionPool(
        h.transport, h.channel, 6, False, lambda m: pool.release(m.connection), respond
    )

    def requests():
        for _ in range(3):
            connection = yield pool.acquire()
            connection.send(Message(0, UP, "request", 0, 10, request=True))
            yield h.env.timeout(1.0)

    h.env.process(requests())
    h.env.run(until=5)
    closed = h.recorder.connections["closed_at"]
    assert len(closed) == 3
    assert all(not math.isnan(t) for t in closed)
    assert h.server.peak_connections == 1
