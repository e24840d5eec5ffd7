"""Server-Sent Events: one long-lived response that streams an event per update.

Sequence, for each client::

    client                                       server
      | == TCP (+TLS) set-up ===================== |   at t = 0 (transport/)
      | -- GET, Accept: text/event-stream ------> |
      | <-- 200 OK, Content-Type: text/event-stream |  headers; the stream is open
      | <-- id: 41 / data: ... (chunk) ---------- |   one event per update, at once
      | <-- : (comment, chunk) ------------------ |   every comment_interval_s, if set
      |         ... stream breaks (connection closed, or max_stream_s reached)
      |         ... client waits retry_s
      | -- GET, Last-Event-ID: 41 --------------> |   on a kept-alive or new connection
      | <-- 200 OK + missed events 42, 43, ... -- |   replayed from the history

Timing assumed: the stream request takes a connection from the client's pool, so it
counts against ``max_connections_per_host`` and holds that connection while the stream
lasts. The server serves the request (server.py) and then keeps the response open,
writing each update meant for the client as an event the moment it is created. The
event's id is the update id. A stream breaks when its connection closes (a proxy's idle
timeout, for example: ``comment_interval_s`` keeps it busy) or after ``max_stream_s``,
when the server ends the response. The client then waits ``retry_s`` and asks again with
the last id it received. The server replays the events after that id that are still
among the last ``history_size`` updates; older ones are lost and counted.

Client messages (``[workload.up]``) go as separate POSTs (http_client.py) through the same
pool, so with ``max_connections_per_host`` streams open a client cannot send at all. With
``other_tabs`` set, that many streams of other tabs of the same browser take their
connections first and keep them; with six of them under HTTP/1.1's limit of six, this
tab's stream never opens.

Sizes: the request is ``[http] request_header_bytes`` (plus a ``Last-Event-ID`` line on a
reconnect); the response starts with ``[http] response_header_bytes``. Each event is the
text ``id: <id>\\ndata: <payload>\\n\\n``, counted from the actual field text, inside one
HTTP/1.1 chunk (chunk size line and CRLF).
"""

from __future__ import annotations

import bisect
import dataclasses
import math
import operator
from dataclasses import dataclass

from ..messages import DOWN, UP, Message, Update
from ..protocols import http
from ..protocols import sse as sse_format
from ..run_stats import StrategyStats
from ..schema import param
from ..transport import Connection
from .base import Strategy
from .context import StrategyContext
from .http_client import HttpClient

__all__ = ["ServerSentEvents", "ServerSentEventsParams"]

_COMMENT = ":\n\n"  # an empty comment line, the usual keep-alive


@dataclass(frozen=True)
class ServerSentEventsParams:
    retry_s: float = param(
        3.0,
        "how long the client waits before reconnecting a broken stream",
        unit="s",
        ge=0,
        source="WHATWG HTML: a user-agent default 'in the region of a few seconds'",
    )
    history_size: int = param(
        1000,
        "updates the server keeps to replay after a reconnect (Last-Event-ID)",
        ge=0,
        source="round number",
    )
    max_stream_s: float = param(
        math.inf,
        "the server ends each stream after this long (a platform's response limit)",
        unit="s",
        gt=0,
        source="no limit unless asked for",
    )
    comment_interval_s: float = param(
        math.inf,
        "the server sends a keep-alive comment this often (defeats idle timeouts)",
        unit="s",
        gt=0,
        source="no keep-alive comments unless asked for",
    )
    other_tabs: int = param(
        0,
        "event streams other tabs of the same browser hold open to the host, from t = 0",
        ge=0,
        source="one tab unless asked for",
    )


class _Stream:
    """One open event stream: its connection and the event the client waits on."""

    __slots__ = ("connection", "done", "open_at_server", "settled_through")

    def __init__(self, connection: Connection, done):
        self.connection = connection
        self.done = done
        self.open_at_server = False
        # server: the last update id its Last-Event-ID replay settled (sent, or counted
        # lost); a push of one of those still under way when the stream opened is dropped
        self.settled_through = -1


class _Subscriber:
    """One client's event stream state, at both ends."""

    __slots__ = ("awaiting", "last_id", "lost_through", "stream", "subscribed")

    def __init__(self) -> None:
        self.stream: _Stream | None = None  # the stream now open, if any
        self.last_id: int | None = None  # client: the last event id it received
        self.subscribed = False  # server: it had a stream open at least once
        self.lost_through = -1  # server: highest update id counted lost for it
        self.awaiting: list[Update] = []  # server: published while it had no stream


class ServerSentEvents(Strategy):
    name = "sse"
    Params = ServerSentEventsParams
    needs_uplink = True
    summary = "one long-lived event stream per client; reconnect with Last-Event-ID"
    http_heads = (("sse-request", "http-post"), ("sse-response", "http-post-response"))

    def __init__(self, context: StrategyContext, params: ServerSentEventsParams):
        super().__init__(context, params)
        self.http_client = HttpClient(
            self.context,
            self.channels,
            self._on_client_message,
            self._on_request,
            on_close=self._on_connection_closed,
        )
        self._subscribers = [_Subscriber() for _ in range(self.clients)]
        self._log: list[Update] = []  # every update, by id: the history is its tail
        self.replayed = 0
        self.replay_lost = 0
        self.discards_are_missed = False  # a broken stream's events come back by replay

    def pending_updates(self) -> int:
        # published while away (replay will settle them), and client POSTs not yet sent
        awaiting = sum(len(subscriber.awaiting) for subscriber in self._subscribers)
        return awaiting + self.http_client.waiting

    def stats(self) -> StrategyStats:
        return dataclasses.replace(
            super().stats(), replayed_updates=self.replayed, replay_lost_updates=self.replay_lost
        )

    # -- client ----------------------------------------------------------------------------

    def start(self) -> None:
        for client in range(self.clients):
            for _tab in range(self.params.other_tabs):
                self.http_client.pools[client].acquire().callbacks.append(self._open_other_tab)
            self.env.process(self._client(client))

    def _open_other_tab(self, event) -> None:
        """Another tab's stream: it takes a connection and keeps it (its events are not
        modelled; only the measured tab's deliveries count)."""
        connection = event.value
        header = self.http.request_header_bytes
        connection.send(Message(connection.client, UP, "sse-request-other-tab", 0, header))

    def _client(self, client: int):
        env = self.env
        pool = self.http_client.pools[client]
        subscriber = self._subscribers[client]
        first = True
        while True:
            connection = yield pool.acquire()
            stream = subscriber.stream = _Stream(connection, env.event())
            last_id = subscriber.last_id
            header = self.http.request_header_bytes
            if last_id is not None:
                header += len(f"Last-Event-ID: {last_id}\r\n")
            request = Message(client, UP, "sse-request", 0, header, request=True)
            request.meta = last_id
            connection.send(request)
            if not first:
                self.reconnects += 1
            first = False
            ended = yield stream.done
            subscriber.stream = None
            if ended == "ended":
                pool.release(connection)
            yield env.timeout(self.params.retry_s)

    def _on_client_message(self, message: Message) -> None:
        if self.http_client.handle_post_response(message):
            return
        subscriber = self._subscribers[message.client]
        stream = subscriber.stream
        if stream is None or stream.connection is not message.connection:
            return
        kind = message.kind
        if kind == "sse-event":
            subscriber.last_id = message.updates[-1].id
            self.deliver(message)
        elif kind == "sse-response":
            self.recorder.connection_ready(message.connection.id, self.env.now)
        elif kind == "sse-end":
            stream.done.succeed("ended")

    def _on_connection_closed(self, connection: Connection, reason: str) -> None:
        stream = self._subscribers[connection.client].stream
        if stream is not None and stream.connection is connection and not stream.done.triggered:
            stream.open_at_server = False
            stream.done.succeed("closed")

    # -- server ----------------------------------------------------------------------------

    def _on_request(self, request: Message) -> None:
        if request.kind == "sse-request-other-tab":
            return  # held open; the other tab's own events are not modelled
        if not self.http_client.handle_post(request):
            self.server.serve(request, self._open_stream)

    def _open_stream(self, request: Message) -> None:
        client = request.client
        subscriber = self._subscribers[client]
        stream = subscriber.stream
        connection = request.connection
        if connection.closed or stream is None or stream.connection is not connection:
            return
        stream.open_at_server = True
        subscriber.subscribed = True
        awaiting, subscriber.awaiting = subscriber.awaiting, []
        if request.meta is None:  # no Last-Event-ID: what came meanwhile cannot come back
            self.missed += len(awaiting)
        headers = Message(
            client, DOWN, "sse-response", 0, self.http.response_header_bytes, response=True
        )
        connection.send(headers)
        if request.meta is not None:
            self._replay(client, subscriber, stream, request.meta)
            stream.settled_through = self._log[-1].id if self._log else -1
        if math.isfinite(self.params.max_stream_s):
            timer = self.env.timeout(self.params.max_stream_s, stream)
            timer.callbacks.append(self._end_stream)
        if math.isfinite(self.params.comment_interval_s):
            self.env.process(self._keep_alive(client, stream))

    def _replay(self, client: int, subscriber: _Subscriber, stream: _Stream, last_id: int) -> None:
        """Send the events after ``last_id`` that the history still holds (its last
        ``history_size`` updates); count the older ones lost. The log is in id order, but
        its ids skip those of client messages (one counter for both directions)."""
        log = self._log
        oldest_kept = max(0, len(log) - self.params.history_size)  # a position in the log
        after = bisect.bisect_right(log, last_id, key=operator.attrgetter("id"))
        for position in range(after, len(log)):
            update = log[position]
            if update.target is not None and update.target != client:
                continue
            if position < oldest_kept:
                if update.id > subscriber.lost_through:  # count each loss once
                    subscriber.lost_through = update.id
                    self.replay_lost += 1
                    self.missed += 1
            else:
                self.replayed += 1
                self._send_event(stream, update)

    def _end_stream(self, event) -> None:
        stream = event.value
        if stream.open_at_server and not stream.connection.closed:
            stream.open_at_server = False
            end = Message(stream.connection.client, DOWN, "sse-end", 0, http.LAST_CHUNK_BYTES)
            stream.connection.send(end)

    def _keep_alive(self, client: int, stream: _Stream):
        text = len(_COMMENT)
        overhead = text + http.chunk_overhead_bytes(text)
        while True:
            yield self.env.timeout(self.params.comment_interval_s)
            if not stream.open_at_server or stream.connection.closed:
                return
            stream.connection.send(Message(client, DOWN, "sse-comment", 0, overhead))

    def accept(self, update: Update) -> None:
        self._log.append(update)

    def push(self, update: Update, client: int) -> None:
        subscriber = self._subscribers[client]
        stream = subscriber.stream
        if stream is not None and stream.open_at_server and not stream.connection.closed:
            if update.id > stream.settled_through:  # else the replay already sent it
                self._send_event(stream, update)
        elif subscriber.subscribed:
            subscriber.awaiting.append(update)  # the reconnect will replay or lose it
        else:
            self.missed += 1  # never subscribed: nothing will bring it back

    def _send_event(self, stream: _Stream, update: Update) -> None:
        fields = sse_format.event_overhead_bytes(event_id=str(update.id))
        chunk = update.payload_bytes + fields
        overhead = fields + http.chunk_overhead_bytes(chunk)
        event = Message(
            stream.connection.client, DOWN, "sse-event", update.payload_bytes, overhead, (update,)
        )
        stream.connection.send(event)

    def client_send(self, update: Update) -> None:
        self.http_client.post(update)
