"""Short polling: the client asks every ``interval_s`` seconds, the server answers at once.

Sequence, for each client::

    client                              server
      | -- poll-request (GET, headers) --> |   every interval_s, first at the client's phase
      | <-- poll-response (all queued) --- |   at once; empty if nothing was queued

Timing assumed: the first request leaves at the client's phase (uniform on
``[0, interval_s)`` unless ``phase_s`` says otherwise, drawn from stream ``clients.phase``),
then one request every ``interval_s`` whether or not the previous response arrived (a
``setInterval`` poller). The server takes no time to answer. Requests carry only headers;
a response carries ``[http] response_header_bytes`` plus the payloads of every update queued
for that client since its previous request arrived. All requests of a client reuse one
keep-alive connection, opened when the first request leaves.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..distributions import Distribution
from ..messages import DOWN, UP, Message, Update
from ..rng import Sampler
from ..schema import param
from .base import Strategy

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


class ShortPolling(Strategy):
    name = "short-polling"
    Params = ShortPollingParams
    needs_uplink = True
    summary = "client requests every interval_s; server answers at once, empty or not"

    def __init__(self, model, params: ShortPollingParams):
        super().__init__(model, params)
        generator = model.streams.generator("clients.phase")
        if params.phase_s is None:
            self.phases = generator.uniform(0.0, params.interval_s, self.clients).tolist()
        else:
            draw = Sampler(params.phase_s, generator)
            self.phases = [draw() for _ in range(self.clients)]
        # Broadcast updates go to one shared log, read through a cursor per client, so that
        # publishing to every client costs O(1) instead of O(clients).
        self._broadcast: list[Update] = []
        self._cursor = [0] * self.clients
        self._targeted: list[list[Update]] = [[] for _ in range(self.clients)]

    def start(self) -> None:
        for client in range(self.clients):
            self.env.process(self._client(client))

    def _client(self, client: int):
        env = self.env
        channel = self.channels[client]
        yield env.timeout(self.phases[client])
        connection = self.recorder.open_connection(client, "http", env.now)
        self.recorder.connection_opened(connection, env.now)
        header = self.http.request_header_bytes
        interval = self.params.interval_s
        while True:
            channel.send(Message(client, UP, "poll-request", 0, header, request=True))
            yield env.timeout(interval)

    def publish(self, update: Update) -> None:
        if update.target is None:
            self._broadcast.append(update)
        else:
            self._targeted[update.target].append(update)

    def _take_queued(self, client: int) -> list[Update]:
        log = self._broadcast
        queued = log[self._cursor[client] :]
        self._cursor[client] = len(log)
        if self._targeted[client]:
            queued = sorted(queued + self._targeted[client], key=lambda update: update.id)
            self._targeted[client] = []
        return queued

    def on_up(self, request: Message) -> None:
        client = request.client
        updates = self._take_queued(client)
        payload = sum(update.payload_bytes for update in updates)
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
        self.channels[client].send(response)

    def on_down(self, response: Message) -> None:
        self.deliver(response)
