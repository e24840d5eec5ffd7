"""Long polling: the server holds each request until it has an update or a timeout passes.

Sequence, for each client::

    client                                 server
      | == TCP (+TLS) set-up ================ |   at t = 0 (transport/)
      | -- lp-request (GET, headers) -------> |   held while nothing is queued
      |                                       |   ... an update is created
      | <-- lp-response (queued updates) ---- |   at once
      | -- lp-request ----------------------> |   at once, or after reconnect_delay_s
      |                                       |   ... hold_timeout_s without an update
      | <-- lp-response (empty) ------------- |

Timing assumed: every client sends its first request at time 0, then a new one as soon
as a response arrives (after ``reconnect_delay_s``). The server serves each request
(server.py), then answers at once with every update queued for that client, or holds
it. A held request is answered as soon as an update for that client is created, or
empty after ``hold_timeout_s``. Updates created while no request is held (a response
or a request is on its way) are queued and go out together in the next response, which
makes batching visible: one response, several deliveries. If the connection closes (an
idle timeout shorter than the hold, for example), the server drops the held request and
the client asks again on a new connection.

Closed forms (analytic.py): with one-way latency ``L``, no server time and Poisson
updates at ``rate`` per client, the mean latency is
``L + rate * B**2 / 2 / (rate * B + exp(-rate * B) * (1 - exp(-rate * H)))`` with
``B = 2 L + reconnect_delay_s`` and ``H = hold_timeout_s``, and a fraction
``exp(-rate * (B + H))`` of responses is empty.
"""

from __future__ import annotations

from dataclasses import dataclass

import simpy

from ..messages import DOWN, UP, Message, Update
from ..schema import param
from ..transport import Connection
from .base import Strategy
from .context import StrategyContext
from .http_client import HttpClient

__all__ = ["LongPolling", "LongPollingParams"]


@dataclass(frozen=True)
class LongPollingParams:
    hold_timeout_s: float = param(
        30.0,
        "how long the server holds a request before answering it empty",
        unit="s",
        gt=0,
        source="30 s, the hanging-GET timeout of Firebase's long-polling transport",
        allow_inf=True,  # inf: never
    )
    reconnect_delay_s: float = param(
        0.0,
        "pause between receiving a response and sending the next request",
        unit="s",
        ge=0,
        source="re-request at once, as RFC 6202 section 2.1 describes",
    )


class _Poller:
    """One client's long poll, at both ends."""

    __slots__ = ("answered", "held", "queued", "waiting_on")

    def __init__(self) -> None:
        self.queued: list[Update] = []  # server: updates for this client not yet sent
        self.held: Message | None = None  # server: the request it holds (a timer is running)
        self.waiting_on: Connection | None = None  # client: where its request went
        self.answered: simpy.Event | None = None  # client: fires with the response (or None)


class LongPolling(Strategy):
    name = "long-polling"
    Params = LongPollingParams
    needs_uplink = True
    summary = "server holds each request until an update exists or hold_timeout_s passes"
    http_heads = (("lp-request", "http-post"), ("lp-response", "http-post-response"))

    def __init__(self, context: StrategyContext, params: LongPollingParams):
        super().__init__(context, params)
        self.http_client = HttpClient(
            self.context,
            self.channels,
            self._on_response,
            self._on_request,
            on_close=self._on_connection_closed,
        )
        self._pollers = [_Poller() for _ in range(self.clients)]

    def pending_updates(self) -> int:
        return sum(len(poller.queued) for poller in self._pollers) + self.http_client.waiting

    # -- client ----------------------------------------------------------------------------

    def start(self) -> None:
        for client in range(self.clients):
            self.env.process(self._client(client))

    def _client(self, client: int):
        env = self.env
        pool = self.http_client.pools[client]
        header = self.http.request_header_bytes
        delay = self.params.reconnect_delay_s
        poller = self._pollers[client]
        while True:
            connection = yield pool.acquire()
            answered = poller.answered = env.event()
            poller.waiting_on = connection
            connection.send(Message(client, UP, "lp-request", 0, header, request=True))
            response = yield answered
            poller.waiting_on = poller.answered = None
            if response is not None:
                pool.release(connection)
                self.deliver(response)
            if delay > 0:
                yield env.timeout(delay)

    def _on_response(self, response: Message) -> None:
        if self.http_client.handle_post_response(response):
            return
        poller = self._pollers[response.client]
        if poller.answered is not None and poller.waiting_on is response.connection:
            poller.answered.succeed(response)

    def _on_connection_closed(self, connection: Connection, reason: str) -> None:
        poller = self._pollers[connection.client]
        if poller.held is not None and poller.held.connection is connection:
            self._release_hold(poller)
        if poller.answered is not None and poller.waiting_on is connection:
            self.reconnects += 1
            poller.answered.succeed(None)  # ask again, on a new connection

    # -- server ----------------------------------------------------------------------------

    def _on_request(self, request: Message) -> None:
        if not self.http_client.handle_post(request):
            self.server.serve(request, self._answer_or_hold)

    def _answer_or_hold(self, request: Message) -> None:
        if request.connection.closed:
            return
        poller = self._pollers[request.client]
        if poller.queued:
            self._respond(request, self._take(poller))
            return
        timer = self.env.timeout(self.params.hold_timeout_s, request)
        timer.callbacks.append(self._hold_expired)
        poller.held = request
        self.server.hold()

    def _hold_expired(self, event) -> None:
        request = event.value
        poller = self._pollers[request.client]
        if poller.held is request:
            self._release_hold(poller)
            self._respond(request, [])

    def _release_hold(self, poller: _Poller) -> None:
        poller.held = None
        self.server.release()

    def push(self, update: Update, client: int) -> None:
        poller = self._pollers[client]
        poller.queued.append(update)
        held = poller.held
        if held is not None:
            self._release_hold(poller)
            self._respond(held, self._take(poller))

    def _take(self, poller: _Poller) -> list[Update]:
        updates, poller.queued = poller.queued, []
        return updates

    def _respond(self, request: Message, updates: list[Update]) -> None:
        response = Message(
            request.client,
            DOWN,
            "lp-response",
            sum(update.payload_bytes for update in updates),
            self.http.response_header_bytes,
            updates,
            response=True,
            empty=not updates,
        )
        request.connection.send(response)

    def client_send(self, update: Update) -> None:
        self.http_client.post(update)
