"""How a connection is set up, as flights of ``(direction, kind, bytes)``: TCP then TLS for
HTTP/1.1 and HTTP/2, one QUIC handshake for HTTP/3.

Sequences (times in round trips, RTT = twice the one-way latency)::

    TCP + TLS 1.3 (HTTP/1.1, HTTP/2)        QUIC (HTTP/3, TLS 1.3 inside)
    -> tcp-syn                              -> quic-initial     (ClientHello, 1,200 B)
    <- tcp-syn-ack                          <- quic-handshake   (ServerHello ... Finished)
    -> tls-client-hello                     -> quic-finished    with the first request
    <- tls-server-hello (+ h2-settings)        (1 RTT; with 0-RTT the request goes with
    -> tls-client-finished + h2-preface         the Initial: 0 RTT)
       with the first request (2 RTT)

HTTP/2 adds its connection preface and SETTINGS exchange (``h2-preface`` from the client
with its first data, ``h2-settings`` from the server with its last handshake flight, as a
TLS 1.3 server sends it before the client's Finished: RFC 9113 section 3.4); HTTP/3 its
control and QPACK streams (``h3-settings``). Neither costs a round trip. A QUIC server
may send at most three times what it received before the client's address is validated
(RFC 9000 section 8.1): a larger first flight waits for the client's next packet
(``quic-ack``), one more round trip.

Once the server has the client's Finished it sends what follows the handshake
(:func:`post_handshake`): a TLS 1.3 server its session tickets (``tls-session-ticket``),
a QUIC server HANDSHAKE_DONE with its tickets (``quic-handshake-done``). Neither holds
anything back.
"""

from __future__ import annotations

from ..protocols import tls as tls_protocol
from ..protocols.wire import quic
from .params import TransportParams

__all__ = ["flights", "post_handshake"]

Flight = tuple[str, str, int]


def flights(params: TransportParams, http: str) -> list[Flight]:
    """The handshake after TCP's (HTTP/1.1 and 2: TLS, if any) or all of it (HTTP/3)."""
    if http == "3":
        return _quic_flights(params)
    if params.tls == "none":
        return []
    return tls_protocol.handshake_flights(
        params.tls,
        params.tls_certificate_bytes,
        params.tls_client_hello_bytes,
        params.tls_key_share,
        params.tls_session_tickets,
        params.tls_signature_bytes,
    )


def _quic_flights(params: TransportParams) -> list[Flight]:
    shake = quic.handshake(
        params.tls_certificate_bytes,
        zero_rtt=params.quic_0rtt,
        client_hello_bytes=params.tls_client_hello_bytes,
        key_share=params.tls_key_share,
        signature_bytes=params.tls_signature_bytes,
    )
    client, server = sum(shake.client_first), sum(shake.server_first)
    limit = quic.AMPLIFICATION_FACTOR * client
    result: list[Flight] = [("up", "quic-initial", client)]
    if server > limit and not params.quic_0rtt:  # wait for the client's ACK to send more
        ack = quic.packet_overhead_bytes("initial") + quic.ACK_FRAME_BYTES
        result += [("down", "quic-handshake", limit), ("up", "quic-ack", ack)]
        server -= limit
    result += [("down", "quic-handshake", server)]
    return [*result, ("up", "quic-finished", sum(shake.client_second))]


def post_handshake(params: TransportParams, http: str) -> Flight | None:
    """What the server sends once it has the client's Finished, if anything: TLS 1.3
    session tickets in their records, or QUIC's HANDSHAKE_DONE packet (RFC 9000 section
    19.20) with its spare connection ids (NEW_CONNECTION_ID frames) and the tickets in a
    CRYPTO frame (RFC 9001 section 4.1.3). (The client's spare ids ride in the padding of
    its second datagram: no bytes.)"""
    tickets = params.tls_session_tickets
    if http == "3":
        ticket_bytes = tickets * tls_protocol.SESSION_TICKET_BYTES
        size = quic.packet_overhead_bytes("1rtt") + quic.HANDSHAKE_DONE_BYTES
        spare = quic.spare_connection_ids(quic.CLIENT_TRANSPORT_PARAMETERS)
        size += spare * quic.NEW_CONNECTION_ID_FRAME_BYTES
        if ticket_bytes:
            size += quic.crypto_frame_header_bytes(0, ticket_bytes) + ticket_bytes
        return ("down", "quic-handshake-done", size)
    size = tls_protocol.session_tickets_bytes(params.tls, tickets)
    return ("down", "tls-session-ticket", size) if size else None
