"""Engine.IO v4 and Socket.IO v5 wire formats; sizes are counted from the encoded text.

Engine.IO packets are a type digit and data (protocol v4): ``0`` open, ``1`` close, ``2``
ping, ``3`` pong, ``4`` message, ``5`` upgrade, ``6`` noop. Over HTTP long-polling several
packets share one body, separated by the record separator ``\\x1e``. Socket.IO packets
ride in Engine.IO messages: ``<type>[<namespace>,][<ack id>][<JSON data>]`` with types
``0`` CONNECT, ``1`` DISCONNECT, ``2`` EVENT, ``3`` ACK. For example, an event on the main
namespace is the Engine.IO message ``42["chat","hello"]``. (Engine.IO and Socket.IO
protocol documents, github.com/socketio.)
"""

from __future__ import annotations

import json

SID = "x" * 20  # a session id: Engine.IO issues 20 URL-safe characters
RECORD_SEPARATOR = "\x1e"

OPEN, CLOSE, PING, PONG, MESSAGE, UPGRADE, NOOP = "0123456"
CONNECT, DISCONNECT, EVENT, ACK = "0123"

# Engine.IO's HTTP answer to a polling POST is the text "ok".
POST_OK_BODY_BYTES = 2


def open_packet(
    ping_interval_s: float, ping_timeout_s: float, max_payload_bytes: int, upgrades: list[str]
) -> str:
    """The handshake data the server sends first (its ``0{...}`` open packet)."""
    data = {
        "sid": SID,
        "upgrades": upgrades,
        "pingInterval": round(ping_interval_s * 1000),
        "pingTimeout": round(ping_timeout_s * 1000),
        "maxPayload": max_payload_bytes,
    }
    return OPEN + json.dumps(data, separators=(",", ":"))


def socketio_packet(
    kind: str, namespace: str = "/", ack_id: int | None = None, data: str = ""
) -> str:
    """A Socket.IO packet as the text of an Engine.IO message packet (``4`` prefix)."""
    prefix = "" if namespace == "/" else f"{namespace},"
    ack = "" if ack_id is None else str(ack_id)
    return MESSAGE + kind + prefix + ack + data


def event_data(event: str, payload_bytes: int) -> str:
    """``["event","<payload>"]`` with a payload of ``payload_bytes`` plain characters."""
    return json.dumps([event, "p" * payload_bytes], separators=(",", ":"))


def event_overhead_bytes(event: str, namespace: str = "/", ack_id: int | None = None) -> int:
    """Bytes an EVENT packet adds around its payload (type digits, name, JSON quoting)."""
    return len(socketio_packet(EVENT, namespace, ack_id, event_data(event, 0)).encode())


def connect_packets(namespace: str = "/") -> tuple[str, str]:
    """The client's CONNECT and the server's answer with the socket id (protocol v5)."""
    client = socketio_packet(CONNECT, namespace)
    server = socketio_packet(
        CONNECT, namespace, data=json.dumps({"sid": SID}, separators=(",", ":"))
    )
    return client, server


def ack_packet(ack_id: int, namespace: str = "/") -> str:
    """An empty acknowledgement, ``43<id>[]``."""
    return socketio_packet(ACK, namespace, ack_id, "[]")


def polling_body_bytes(packets: list[str]) -> int:
    """Bytes of a long-polling body carrying ``packets`` (record separators between)."""
    return len(RECORD_SEPARATOR.join(packets).encode())


# Message kinds this protocol puts on the wire, and their category (protocols.kinds):
# Engine.IO's handshake and upgrade, and Socket.IO's CONNECT, are handshakes
KINDS = {
    "eio-handshake": "handshake",
    "eio-open": "handshake",
    "eio-probe": "handshake",
    "eio-upgrade": "handshake",
    "eio-noop": "handshake",
    "sio-connect": "handshake",
    "eio-ping": "heartbeat",
    "eio-pong": "heartbeat",
    "eio-poll": "data",
    "eio-poll-response": "data",
    "eio-post": "data",
    "eio-post-ok": "data",
    "sio-event": "data",
    "sio-ack": "data",
}
