"""What real stacks send beside the request and the response: TLS session tickets and key
shares, QUIC's acknowledgements and spare connection ids, QPACK's decoder instructions and
the framing choices of each HTTP/2 and HTTP/3 implementation (``[transport] http_stack``).

Constant one-way latency L, no serialization delay, one client polling once a second.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
import simpy

from simulation import run
from simulation.messages import DOWN, UP, Message
from simulation.network import HttpParams
from simulation.protocols import tls
from simulation.protocols.wire import http2, qpack, quic
from simulation.transport.acks import Acknowledger, ack_frame_bytes
from simulation.transport.connection import UDP_IP_BYTES
from simulation.transport.framing import HttpFraming
from simulation.transport.stacks import STACKS, HttpStack

from helpers import make_scenario

L = 0.05
FAST = {"latency_s": L, "bandwidth_bps": 1e15}


def _polling(http: str, tls_version: str, seconds: float = 3.5, **transport):
    scenario = make_scenario(
        clients=1,
        duration_s=seconds,
        warmup_s=0.0,
        network=FAST,
        strategy={"kind": "short-polling", "interval_s": 1.0},
        transport={"http": http, "tls": tls_version, **transport},
        workload={"kind": "periodic", "rate_per_s": 1.0},
    )
    return run(scenario).transfers


def _kinds(transfers, kind):
    return transfers[transfers["kind"].astype(str) == kind]


# -- TLS ----------------------------------------------------------------------------------


def test_a_tls13_server_sends_its_session_tickets_once_the_client_finished():
    transfers = _polling("1.1", "1.3")
    tickets = _kinds(transfers, "tls-session-ticket")
    assert len(tickets) == 1 and tickets["direction"].iloc[0] == DOWN
    # two NewSessionTicket messages, each in an encrypted record (5 + 1 + 16 bytes)
    assert tickets["overhead_bytes"].iloc[0] == 2 * (tls.SESSION_TICKET_BYTES + 22)
    finished = _kinds(transfers, "tls-client-finished")["sent_at"].iloc[0]
    assert tickets["sent_at"].iloc[0] == pytest.approx(finished + L)
    assert _kinds(_polling("1.1", "1.3", tls_session_tickets=0), "tls-session-ticket").empty


def test_a_tls12_server_puts_one_ticket_in_its_last_flight():
    with_ticket = _kinds(_polling("1.1", "1.2"), "tls-server-finished")["overhead_bytes"]
    without = _kinds(_polling("1.1", "1.2", tls_session_tickets=0), "tls-server-finished")
    assert with_ticket.iloc[0] - without["overhead_bytes"].iloc[0] == tls.SESSION_TICKET_BYTES + 5


def test_the_client_hello_and_a_post_quantum_key_share_size_the_hellos():
    classic = _polling("1.1", "1.3", tls_client_hello_bytes=476)
    hybrid = _polling("1.1", "1.3", tls_key_share="x25519mlkem768")
    hello = _kinds(classic, "tls-client-hello")["overhead_bytes"].iloc[0]
    assert hello == 517  # OpenSSL 3's ClientHello record, as the testbed measures it
    hybrid_hello = _kinds(hybrid, "tls-client-hello")["overhead_bytes"].iloc[0]
    assert hybrid_hello == 5 + tls.CLIENT_HELLO_BYTES + 4 + 1216
    server = _kinds(hybrid, "tls-server-hello")["overhead_bytes"].iloc[0]
    default_server = _kinds(_polling("1.1", "1.3"), "tls-server-hello")["overhead_bytes"]
    assert server - default_server.iloc[0] == 1120 - 32
    # 1,437 bytes still fit one 1,460-byte segment; 2 KB of ClientHello takes two
    assert _kinds(hybrid, "tls-client-hello")["transport_bytes"].iloc[0] == 40
    big = _polling("1.1", "1.3", tls_key_share="x25519mlkem768", tls_client_hello_bytes=800)
    assert _kinds(big, "tls-client-hello")["transport_bytes"].iloc[0] == 2 * 40


def test_a_post_quantum_client_hello_fills_two_quic_initials():
    hybrid = quic.handshake(key_share="x25519mlkem768")
    assert hybrid.client_first == [1200, 1200]
    assert quic.handshake().client_first == [1200]


# -- QUIC acknowledgements ------------------------------------------------------------------


def _acknowledger(threshold=2, piggyback=True, delay_s=0.025):
    env = simpy.Environment()
    sent: list[tuple[float, int]] = []
    acks = Acknowledger(
        env, delay_s, lambda size: sent.append((env.now, size)), threshold, piggyback
    )
    return env, acks, sent


def test_one_packet_is_acknowledged_alone_after_the_ack_delay():
    env, acks, sent = _acknowledger()
    acks.received(1)
    env.run(until=1.0)
    # 1-RTT header and tag, then type, largest 0, delay 25 ms in 8 us units, count, range
    frame = 1 + 1 + 2 + 1 + 1
    assert frame == ack_frame_bytes(0, 0.025, 0)
    assert sent == [(0.025, quic.packet_overhead_bytes("1rtt") + frame)]


def test_two_packets_are_acknowledged_at_once():
    env, acks, sent = _acknowledger()
    acks.received(2)
    assert sent == []  # not before the endpoint has sent what processing them needed
    acks.settle()
    assert sent == [(0.0, quic.packet_overhead_bytes("1rtt") + ack_frame_bytes(1, 0.0, 1))]
    env.run(until=1.0)
    assert len(sent) == 1  # nothing left for the timer


def test_a_packet_sent_within_the_delay_carries_the_ack():
    env, acks, sent = _acknowledger()
    acks.received(1)
    env.run(until=0.01)
    assert acks.piggyback() == ack_frame_bytes(0, 0.01, 0)
    assert acks.piggyback() == 0  # acknowledged once
    env.run(until=1.0)
    assert sent == []


def test_a_later_packet_gets_its_own_full_delay():
    env, acks, sent = _acknowledger()
    acks.received(1)
    env.run(until=0.01)
    acks.piggyback()  # acknowledged at 10 ms; the timer armed at 0 is still running
    env.run(until=0.02)
    acks.received(1)
    env.run(until=1.0)
    assert [at for at, _ in sent] == [0.045]


def test_aioquic_acknowledges_on_its_timer_only():
    env, acks, sent = _acknowledger(STACKS["python"].ack_threshold, False, 0.001)
    acks.received(3)
    acks.settle()
    assert acks.piggyback() == 0
    env.run(until=1.0)
    assert [at for at, _ in sent] == [0.001]


def test_http3_acknowledges_in_packets_of_their_own_and_counts_their_bytes():
    transfers = _polling("3", "1.3")
    acks = _kinds(transfers, "quic-ack-only")
    assert not acks.empty
    assert (acks["payload_bytes"] == 0).all() and (acks["overhead_bytes"] == 0).all()
    # each is one datagram: UDP and IP headers, 1-RTT header and tag, an ACK frame
    quic_bytes = acks["transport_bytes"] - UDP_IP_BYTES
    assert quic_bytes.between(quic.packet_overhead_bytes("1rtt") + 5, 40).all()
    # after the first, every response reaches the client alone, and the client's QPACK
    # decoder instruction, sent on decoding it, carries the ACK: no ACK-only packet then
    responses = _kinds(transfers, "poll-response").iloc[1:]
    decoder_up = _kinds(transfers, "qpack-decoder").query("direction == 'up'")
    arrivals = set((responses["sent_at"] + L).round(9))
    carrying = decoder_up[decoder_up["sent_at"].round(9).isin(arrivals)]
    assert len(carrying) == len(responses)
    plain = quic.packet_overhead_bytes("1rtt") + 2 + UDP_IP_BYTES  # with a STREAM header
    assert (carrying["transport_bytes"] - plain).between(5, 8).all()  # the ACK frame
    up_acks = acks.query("direction == 'up'")["sent_at"].round(9)
    late = {round(at + 0.025, 9) for at in arrivals}
    assert not up_acks.isin(arrivals).any() and not up_acks.isin(late).any()


def test_tcp_sends_no_acknowledgement_packets():
    assert _kinds(_polling("2", "1.3"), "quic-ack-only").empty


def test_a_quic_server_sends_handshake_done_with_its_spare_connection_ids():
    transfers = _polling("3", "1.3", tls_session_tickets=1)
    done = _kinds(transfers, "quic-handshake-done")
    spare = quic.CLIENT_TRANSPORT_PARAMETERS[0x0E] - 1  # 7, as aioquic issues them
    ticket = quic.crypto_frame_header_bytes(0, tls.SESSION_TICKET_BYTES) + tls.SESSION_TICKET_BYTES
    expected = quic.packet_overhead_bytes("1rtt") + 1 + spare * (4 + 8 + 16) + ticket
    assert done["overhead_bytes"].tolist() == [expected]


# -- QPACK and the implementations' framing ------------------------------------------------


def test_qpack_decoders_acknowledge_sections_that_use_the_dynamic_table():
    transfers = _polling("3", "1.3")
    decoder = _kinds(transfers, "qpack-decoder")
    requests = _kinds(transfers, "poll-request")
    responses = _kinds(transfers, "poll-response")
    # every head here refers to the dynamic table: one Section Acknowledgment each way
    assert (decoder["direction"] == DOWN).sum() == len(requests)
    assert (decoder["direction"] == UP).sum() == len(responses)
    assert (decoder["overhead_bytes"] == len(qpack.section_ack_bytes(0))).all()
    # on HTTP/2, HPACK needs no acknowledgement
    assert _kinds(_polling("2", "1.3"), "qpack-decoder").empty


def _framed(stack: str | HttpStack, version: str, message: Message) -> int:
    stack = STACKS[stack] if isinstance(stack, str) else stack
    return HttpFraming(version, HttpParams(), 4096, stack).overhead_bytes(message, 0.0)


def test_httpx_and_hypercorn_add_a_window_update_per_request_and_an_end_frame():
    def request():
        return Message(0, UP, "poll-request", 0, 700, request=True)

    def response():
        return Message(0, DOWN, "poll-response", 200, 300, response=True)

    assert _framed("python", "2", request()) - _framed("browser", "2", request()) == 13
    assert _framed("python", "2", response()) - _framed("browser", "2", response()) == 9
    # on HTTP/3 against the same stack without it (the two stacks' QPACK differ too)
    without_end = replace(STACKS["python"], empty_end=False)
    assert _framed("python", "3", response()) - _framed(without_end, "3", response()) == 2
    sse = Message(0, DOWN, "sse-response", 0, 300, response=True)  # a stream that stays open
    assert _framed("python", "2", sse) == _framed("browser", "2", sse)
    python = HttpFraming("2", HttpParams(), 4096, STACKS["python"]).setup_bytes()
    assert python == (24 + 9 + 6 * 6 + 13 + 9, 9 + 7 * 6 + 9)  # as read off the wire
    assert HttpFraming("2", HttpParams(), 4096).setup_bytes() == http2.connection_preface_bytes()


def test_hypercorn_sends_a_responses_headers_body_and_end_in_packets_of_their_own():
    browser = _kinds(_polling("3", "1.3"), "poll-response")
    python = _kinds(_polling("3", "1.3", http_stack="python"), "poll-response")
    extra = quic.packet_overhead_bytes("1rtt") + quic.stream_frame_header_bytes(0, 64, None)
    extra += UDP_IP_BYTES
    with_body = python["payload_bytes"].to_numpy() > 0
    added = python["transport_bytes"].to_numpy() - browser["transport_bytes"].to_numpy()
    assert (added[with_body] == 2 * extra).all()


def test_hypercorn_over_tls_sends_a_responses_parts_in_records_of_their_own():
    browser = _kinds(_polling("2", "1.3"), "poll-response")
    python = _kinds(_polling("2", "1.3", http_stack="python"), "poll-response")
    added = python["transport_bytes"].to_numpy() - browser["transport_bytes"].to_numpy()
    with_body = python["payload_bytes"].to_numpy() > 0
    record = tls.RECORD_OVERHEAD_BYTES["1.3"]
    assert (added[with_body] == 2 * record).all() and (added[~with_body] == record).all()
    h2c = _polling("2", "none", http_stack="python")  # no TLS: the writes cost nothing more
    plain = _kinds(_polling("2", "none"), "poll-response")["transport_bytes"].to_numpy()
    assert (_kinds(h2c, "poll-response")["transport_bytes"].to_numpy() == plain).all()


def test_an_ecdsa_signature_shortens_the_servers_flight():
    rsa = _kinds(_polling("1.1", "1.3"), "tls-server-hello")["overhead_bytes"].iloc[0]
    ecdsa = _polling("1.1", "1.3", tls_signature_bytes=71)
    assert rsa - _kinds(ecdsa, "tls-server-hello")["overhead_bytes"].iloc[0] == 256 - 71
    quic_rsa, quic_ecdsa = quic.handshake(), quic.handshake(signature_bytes=71)
    assert quic_rsa.extra["encrypted"] - quic_ecdsa.extra["encrypted"] == 256 - 71


def test_the_testbed_counts_each_packet_a_stack_writes_without_its_udp_and_ip_headers():
    from simulation.testbed.compare import _quic_datagrams, proxy_bytes

    transfers = _polling("3", "1.3", http_stack="python")
    responses = _kinds(transfers, "poll-response")
    sizes = (responses["payload_bytes"] + responses["overhead_bytes"]).to_numpy()
    datagrams = [
        _quic_datagrams(int(size), int(transport))
        for size, transport in zip(sizes, responses["transport_bytes"], strict=True)
    ]
    with_body = responses["payload_bytes"].to_numpy() > 0
    # HEADERS, body and end: three packets each, as hypercorn and aioquic send them
    assert [n for n, body in zip(datagrams, with_body, strict=True) if body] == [
        3
    ] * with_body.sum()
    # so the proxy's count is every byte less 28 of UDP and IP per datagram
    sent = transfers[["payload_bytes", "overhead_bytes", "transport_bytes"]].sum().sum()
    assert proxy_bytes(responses, "h3") == (
        responses[["payload_bytes", "overhead_bytes", "transport_bytes"]].sum().sum()
        - UDP_IP_BYTES * sum(datagrams)
    )
    assert proxy_bytes(transfers, "h3") < sent
