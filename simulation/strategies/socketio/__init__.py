"""Socket.IO (protocol v5) over Engine.IO (protocol v4), in two layers.

* :mod:`.engineio`: Engine.IO sessions: the handshake, HTTP long polling, the upgrade to
  a WebSocket and its probe, heartbeats, reconnection; it decides whether a packet is
  queued for a GET or framed, and hands Socket.IO packets up.
* :mod:`.namespace`: Socket.IO on top (the strategy): CONNECT, events and acks, rooms and
  broadcast fan-out, connection state recovery, and its metrics.
* :mod:`.params`: the ``[strategy]`` keys and rooms.

Sequence with the default ``transports = ["polling", "websocket"]``, for each client::

    client                                              server
      | -- GET /socket.io/?EIO=4&transport=polling ----> |   (a pooled HTTP connection)
      | <-- 0{"sid":...,"pingInterval":25000,...} ------ |   Engine.IO open
      | -- POST 40 ------------------------------------> |   Socket.IO CONNECT to "/"
      | <-- ok ----------------------------------------- |
      | -- GET (long poll) -----------------------------> |   held until packets are queued
      | == WebSocket: TCP, GET ...&transport=websocket&sid, 101 ==  (a second connection)
      | -- 2probe (frame) ------------------------------> |
      | <-- 3probe -------------------------------------- |
      | -- 5 (upgrade) ---------------------------------> |   from now on: the WebSocket
      | <-- 6 (noop, answers the held GET) ------------- |
      | <-- 40{"sid":...} (queued CONNECT answer) ------ |
      | <-- 42["update","..."] ------------------------- |   one event per update
      | <-- 2 (ping) every ping_interval_s -------------- |
      | -- 3 (pong) -----------------------------------> |
      | -- 421["message","..."] (client emit, ack 1) --> |
      | <-- 431[] --------------------------------------- |   the acknowledgement

With ``client_library = "python-socketio"`` the client instead upgrades at once on the
handshake's kept-alive connection (no POST, no held GET, no second connection), sends
CONNECT over the WebSocket after ``5``, and numbers its acks from 1 instead of 0.

With ``["polling"]`` the session stays on long polling: the server's packets go in
responses to held GETs (several joined by the record separator), the client's in POSTs.
With ``["websocket"]`` the client opens the WebSocket directly and the server sends the
open packet as its first frame.

Timing assumed: the server serves every request and frame (server.py). It queues packets
for a polling client and flushes them into the next GET, at once if one is held. It
pings ``ping_interval_s`` after the session opens and after each pong, and drops a
session whose pong has not come ``ping_timeout_s`` after a ping. A client that hears
nothing for ``ping_interval_s + ping_timeout_s``, or whose connection closes (a proxy, a
restart), drops the session too and reconnects after a backoff (socket.io-client's
defaults). A reconnected client starts over with a new session: events emitted to it
meanwhile are missed. Client messages (``[workload.up]``) are emitted as events asking
for an acknowledgement (``ack_client_messages``); the time from emit to ack is the ack RTT.
"""

from .namespace import SocketIO
from .params import Room, SocketIOParams

__all__ = ["Room", "SocketIO", "SocketIOParams"]
