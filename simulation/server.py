"""Server capacity: workers that serve requests, and memory held by connections.

Each client request (an HTTP request, a WebSocket upgrade, a client message that needs
work) is served by one of ``workers`` workers, first come first served, for
``service_time_s`` (drawn per request from stream ``server.service``); the strategy's
answer is sent when service ends. With unlimited workers and no service time (the
defaults) requests are answered the moment they arrive.

Pushes (an update the server sends without being asked for it at that moment: a held
long-poll request's response, an SSE event, a WebSocket frame, a Socket.IO event, a raw
stream's message) take ``push_time_s`` each, drawn per recipient from stream
``server.push``. With ``push_fanout = "serial"`` the server writes them one after the
other, as one event loop does: a broadcast to N clients leaves the last one about
``N * push_time_s`` after the update was created, the mean one ``(N + 1) / 2 *
push_time_s`` (a constant time). With ``"parallel"`` each recipient's push takes its own
draw from the update's creation, independently of the others. Either way a client's
pushes leave in the order of their updates. Push time counts as busy server time but does
not queue behind requests on the workers (an event loop's requests and pushes would share
it: a model of that is not attempted). Short polling pushes nothing: its responses are
requests, served in ``service_time_s``.

Memory is ``memory_per_connection_bytes`` per open connection plus
``memory_per_held_request_bytes`` per request the server is holding (long polling); the
server tracks the peak. Peaks count the level after every change at one instant, not one
in between (as the clients' ``peak_connections`` does), so they do not depend on the order
of events at equal times; a server made with ``series=True`` also keeps every change, so
that the peaks of runs split by client (sharded runs) can be merged from the sum of levels.
"""

from __future__ import annotations

import math
from array import array
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import simpy

from .distributions import Constant, Distribution
from .messages import Message, Update
from .rng import RandomStreams
from .schema import param

__all__ = ["Server", "ServerParams"]


@dataclass(frozen=True)
class ServerParams:
    """The ``[server]`` table."""

    workers: float = param(
        math.inf,
        "requests served at once (a whole number, or inf for no limit)",
        gt=0,
        source="unlimited unless asked for",
    )
    service_time_s: Distribution = param(
        Constant(0.0),
        "time a worker spends on one request",
        unit="s",
        ge=0,
        source="instant unless asked for",
    )
    push_time_s: Distribution = param(
        Constant(0.0),
        "time the server takes to push one update to one client",
        unit="s",
        ge=0,
        source="instant unless asked for",
    )
    push_fanout: str = param(
        "serial",
        "how a broadcast's pushes share the server's time",
        choices=("serial", "parallel"),
        source="serial: one event loop writes to one socket at a time (Node.js, asyncio)",
    )
    memory_per_connection_bytes: int = param(
        70 * 1024,
        "server memory per open connection",
        unit="bytes",
        ge=0,
        source="70 KiB: the Python websockets server's per-connection baseline (its docs)",
    )
    memory_per_held_request_bytes: int = param(
        0,
        "server memory per request it holds open (its connection is counted already)",
        unit="bytes",
        ge=0,
        source="none beyond the connection unless asked for",
    )

    def __post_init__(self):
        if not (math.isinf(self.workers) or float(self.workers).is_integer()):
            raise ValueError(f"workers must be a whole number or inf, got {self.workers}")

    @property
    def pushes_take_time(self) -> bool:
        """Whether a push may take any time (a random push time may, even if it draws 0)."""
        return self.push_time_s.constant_value() != 0


class Server:
    """Serves requests with limited workers and tracks busy time and memory."""

    def __init__(
        self,
        env: simpy.Environment,
        params: ServerParams,
        streams: RandomStreams,
        series: bool = False,
    ):
        self.env = env
        self.params = params
        self._service = streams.sampler(params.service_time_s, "server.service")
        # None: every push leaves the moment its update is created
        self._push_time = (
            streams.sampler(params.push_time_s, "server.push") if params.pushes_take_time else None
        )
        self._serial = params.push_fanout == "serial"
        self._pushes_done_at = 0.0  # serial: when the pushes asked for so far are done
        self._last_push_at: dict[int, float] = {}  # parallel: each client's latest push
        self.instant = math.isinf(params.workers) and self._service.constant == 0
        self._free = params.workers
        self._queue: deque[tuple[Message, Callable[[Message], None]]] = deque()
        self.requests = 0
        self.updates_held = 0  # updates in messages queued or in service right now
        self.busy_s = 0.0
        self.busy_starts = array("d")  # one entry per service, for time series
        self.busy_ends = array("d")
        self.peak_queue = 0
        self._connections = 0
        self._held = 0
        self._peak_connections = 0
        self._peak_memory_bytes = 0
        self._changed_at = -math.inf
        # every change of the open connections and held requests, when asked for:
        # (time, change of connections, change of held requests)
        self.series: tuple[array[float], array[int], array[int]] | None = (
            (array("d"), array("b"), array("b")) if series else None
        )

    # -- work ------------------------------------------------------------------------------

    def serve(self, message: Message, answer: Callable[[Message], None]) -> None:
        """Serve ``message`` and call ``answer(message)`` when its service ends."""
        self.requests += 1
        if self.instant:
            answer(message)
            return
        self.updates_held += len(message.updates)
        if self._free > 0:
            self._start(message, answer)
        else:
            self._queue.append((message, answer))
            self.peak_queue = max(self.peak_queue, len(self._queue))

    def _start(self, message: Message, answer: Callable[[Message], None]) -> None:
        self._free -= 1
        duration = self._service()
        self.busy_s += duration
        self.busy_starts.append(self.env.now)
        self.busy_ends.append(self.env.now + duration)
        done = self.env.timeout(duration, (message, answer))
        done.callbacks.append(self._finish)

    def _finish(self, event: simpy.Event) -> None:
        message, answer = event.value
        self._free += 1
        self.updates_held -= len(message.updates)
        if self._queue:
            self._start(*self._queue.popleft())
        answer(message)

    @property
    def pushes_take_time(self) -> bool:
        return self._push_time is not None

    def push(self, update: Update, client: int, send: Callable[[Update, int], None]) -> None:
        """Call ``send(update, client)`` when the server has spent its push time on it
        (at once when pushes take no time); the update counts as held at the server until
        then."""
        draw = self._push_time
        if draw is None:
            send(update, client)
            return
        duration = draw()
        now = self.env.now
        if self._serial:
            done = self._pushes_done_at = max(now, self._pushes_done_at) + duration
        else:
            done = max(now + duration, self._last_push_at.get(client, 0.0))
            self._last_push_at[client] = done
        self.hold_updates(1, duration)
        pushed = self.env.timeout(done - now, (update, client, send))
        pushed.callbacks.append(self._pushed)

    def _pushed(self, event: simpy.Event) -> None:
        update, client, send = event.value
        self.release_update()
        send(update, client)

    def hold_updates(self, count: int, busy_s: float) -> None:
        """Work done outside :meth:`serve` (Socket.IO's broadcast fan-out): ``count``
        updates wait at the server until :meth:`release_update`, and ``busy_s`` of worker
        time is charged now."""
        self.updates_held += count
        self.busy_s += busy_s

    def release_update(self) -> None:
        """One update held by :meth:`hold_updates` has left the server."""
        self.updates_held -= 1

    # -- memory ----------------------------------------------------------------------------

    def connection_opened(self) -> None:
        self._change(1, 0)

    def connection_closed(self) -> None:
        self._change(-1, 0)

    def hold(self) -> None:
        self._change(0, 1)

    def release(self) -> None:
        self._change(0, -1)

    @property
    def memory_bytes(self) -> int:
        params = self.params
        return (
            self._connections * params.memory_per_connection_bytes
            + self._held * params.memory_per_held_request_bytes
        )

    @property
    def peak_connections(self) -> int:
        """Most connections open at once (the level after all changes at one instant)."""
        self._settle()
        return self._peak_connections

    @property
    def peak_memory_bytes(self) -> int:
        """:attr:`memory_bytes` at its peak (after all changes at one instant)."""
        self._settle()
        return self._peak_memory_bytes

    def _change(self, connections: int, held: int) -> None:
        now = self.env.now
        if now != self._changed_at:  # the level after the last instant's changes counts
            self._settle()
            self._changed_at = now
        self._connections += connections
        self._held += held
        if self.series is not None:
            times, connection_changes, held_changes = self.series
            times.append(now)
            connection_changes.append(connections)
            held_changes.append(held)

    def _settle(self) -> None:
        self._peak_connections = max(self._peak_connections, self._connections)
        self._peak_memory_bytes = max(self._peak_memory_bytes, self.memory_bytes)
