"""Short polling: the client asks every ``interval_s`` seconds, the server answers at once.

Sequence, for each client::

    client                              server
      | == TCP (+TLS) set-up ============= |   before the first request (transport/)
      | -- poll-request (GET, headers) --> |   every interval_s, first at the client's phase
      | <-- poll-response (all queued) --- |   after service; empty if nothing was queued

Timing assumed: the first request is due at the client's phase (uniform on
``[0, interval_s)`` unless ``phase_s`` says otherwise, drawn from stream ``clients.phase``),
then one every ``interval_s`` whether or not the previous response arrived (a
``setInterval`` poller). Each request takes a connection from the client's pool (opening
one, or waiting for one when ``max_connections_per_host`` are busy) and gives it back when
the response arrives. The server answers when a worker has served the request (server.py).
Requests carry only headers; a response carries ``[http] response_header_bytes`` plus the
payloads of every update queued for that client since its previous response was written.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..distributions import Distribution
from ..messages import DOWN, UP, Message, Update
from ..rng import Sampler
from ..schema import param
from .base import Strategy
from .context import StrategyContext
from .http_client import HttpClient
from .timers import call_later, call_soon, nothing_due_now

__all__ = ["ShortPolling", "ShortPollingParams"]


@dataclass(frozen=True)
class ShortPollingParams:
    interval_s: float = param(
        1.0,
        "time between two requests of one client",
        unit="s",
        gt=0,
        source="a one-second refresh; round number",
    )
    phase_s: Distribution | None = param(
        None,
        "when each client sends its first request; default: uniform on [0, interval_s)",
        unit="s",
        ge=0,
        source="independent clients have independent phases",
    )


class _Inbox:
    """What the server holds for one client: how far it has read the broadcast log, and
    the updates meant for it alone (a list only once there is one)."""

    __slots__ = ("cursor", "targeted")

    def __init__(self) -> None:
        self.cursor = 0
        self.targeted: list[Update] | None = None


class ShortPolling(Strategy):
    name = "short-polling"
    Params = ShortPollingParams
    needs_uplink = True
    summary = "client requests every interval_s; server answers at once, empty or not"
    pushes = False  # clients fetch updates: [server] push_time_s does not apply
    http_heads = (("poll-request", "http-post"), ("poll-response", "http-post-response"))

    def __init__(self, context: StrategyContext, params: ShortPollingParams):
        super().__init__(context, params)
        generator = context.streams.generator("clients.phase")
        if params.phase_s is None:
            self.phases = generator.uniform(0.0, params.interval_s, self.clients).tolist()
        else:
            draw = Sampler(params.phase_s, generator)
            self.phases = [draw() for _ in range(self.clients)]
        # Broadcast updates go to one shared log, read through a cursor per client, so that
        # publishing to every client costs O(1) instead of O(clients).
        self._broadcast: list[Update] = []
        self._inboxes = [_Inbox() for _ in range(self.clients)]
        self.http_client = HttpClient(
            self.context, self.channels, self._on_response, self._on_request
        )
        self._poll_callback = self._poll  # bound once: every client's pending timer shares it
        self._send_callback = self._send_request
        self._pools = self.http_client.pools
        self._interval_s = params.interval_s

    def start(self) -> None:
        # each client's polls run on one timer at a time (timers.py), not a process
        call_soon(self.env, self._first_polls)

    def _first_polls(self, _event) -> None:
        for client in range(self.clients):
            call_later(self.env, self.phases[client], self._poll_callback, client)

    def _poll(self, event) -> None:
        """Client ``event.value`` sends a request now, and the next in ``interval_s``.

        The request goes on a connection from the pool, granted by the pool's event. A
        connection free now, with nothing else due at this instant, is sent on at once,
        after the next poll is set: where that event would have run it."""
        client = event.value
        env = self.env
        pool = self._pools[client]
        connection = pool.take_ready()
        if connection is None:
            pool.acquire().callbacks.append(self._send_callback)
        elif not nothing_due_now(env):  # granted as acquire() grants it
            env.event().succeed(connection).callbacks.append(self._send_callback)
            connection = None
        call_later(env, self._interval_s, self._poll_callback, client)
        if connection is not None:
            self._send_on(connection)

    def _send_request(self, event) -> None:
        self._send_on(event.value)

    def _send_on(self, connection) -> None:
        header = self.http.request_header_bytes
        connection.send(Message(connection.client, UP, "poll-request", 0, header, request=True))

    def publish(self, update: Update) -> None:
        if update.target is None:
            self._broadcast.append(update)
        else:
            inbox = self._inboxes[update.target]
            if inbox.targeted is None:
                inbox.targeted = []
            inbox.targeted.append(update)

    def _take_queued(self, client: int) -> list[Update]:
        log, inbox = self._broadcast, self._inboxes[client]
        queued = log[inbox.cursor :]
        inbox.cursor = len(log)
        if inbox.targeted:
            queued = sorted(queued + inbox.targeted, key=lambda update: update.id)
            inbox.targeted = None
        return queued

    def _on_request(self, request: Message) -> None:
        if not self.http_client.handle_post(request):
            self.server.serve(request, self._answer)

    def pending_updates(self) -> int:
        inboxes = self._inboxes
        waiting = len(self._broadcast) * self.clients - sum(inbox.cursor for inbox in inboxes)
        targeted = sum(len(inbox.targeted) for inbox in inboxes if inbox.targeted)
        return waiting + targeted + self.http_client.waiting

    def _answer(self, request: Message) -> None:
        client = request.client
        connection = request.connection
        if connection.closed:
            return  # nobody to answer: the updates stay queued for the next request
        updates = self._take_queued(client)
        payload = sum(update.payload_bytes for update in updates) if updates else 0
        response = Message(
            client,
            DOWN,
            "poll-response",
            payload,
            self.http.response_header_bytes,
            updates,
            response=True,
            empty=not updates,
        )
        connection.send(response)

    def _on_response(self, response: Message) -> None:
        if self.http_client.handle_post_response(response):
            return
        self._pools[response.client].release(response.connection)
        self.deliver(response)

    def client_send(self, update: Update) -> None:
        self.http_client.post(update)
