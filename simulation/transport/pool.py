"""Connection pools: a client's HTTP connections to the server.

On HTTP/1.1 a :class:`ConnectionPool` holds at most ``max_connections_per_host``
connections at once, one request at a time on each. On HTTP/2 and HTTP/3 it holds one
connection and up to ``max_concurrent_streams`` requests (streams) on it at once. Either
way a request that finds no room waits, first come first served, for a release.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING

import simpy

from ..messages import Message

if TYPE_CHECKING:
    from .connection import Connection
    from .transport import Transport

__all__ = ["ConnectionPool"]


class ConnectionPool:
    """A client's HTTP/1.1 connections: at most ``limit``, one request at a time on each.

    ``acquire()`` returns an event whose value is an established connection reserved for
    one request; ``release(connection)`` returns it after the response (closing it when
    keep-alive is off). Waiting requests are served first come, first served.

    There is one pool per client, mostly idle: slots, and the queue of waiting requests
    exists only while a request waits.
    """

    __slots__ = (
        "_handlers",
        "_idle",
        "_on_close",
        "_shared",
        "_streams",
        "_waiting",
        "channel",
        "env",
        "keep_alive",
        "kind",
        "limit",
        "multiplexed",
        "open_count",
        "transport",
    )

    def __init__(
        self,
        transport: Transport,
        channel,
        limit: int,
        keep_alive: bool,
        on_client_message: Callable[[Message], None],
        on_server_message: Callable[[Message], None],
        on_close: Callable[[Connection, str], None] | None = None,
        kind: str = "http",
    ):
        self.transport = transport
        self.env = transport.env
        self.channel = channel
        self.limit = limit
        self.keep_alive = keep_alive
        self.kind = kind
        self._handlers = (on_client_message, on_server_message)
        self._on_close = on_close
        self._idle: list[Connection] = []
        self._waiting: deque[simpy.Event] | None = None  # requests waiting, if any
        self.open_count = 0
        # HTTP/2 and HTTP/3: one shared connection, streams counted on it
        self.multiplexed = transport.multiplexed
        if self.multiplexed:
            self.limit = transport.params.max_concurrent_streams
        self._shared: Connection | None = None
        self._streams = 0

    def acquire(self) -> simpy.Event:
        request = self.env.event()
        if self.multiplexed:
            if self._streams < self.limit:
                self._open_stream(request)
            else:
                self._wait(request)
            return request
        while self._idle:
            connection = self._idle.pop()
            if not connection.closed:
                request.succeed(connection)
                return request
        if self.open_count < self.limit:
            self._open_for(request)
        else:
            self._wait(request)
        return request

    def take_ready(self) -> Connection | None:
        """A connection :meth:`acquire` would grant at once (an idle one, or a free stream
        on the established shared connection), reserved as it would; None if a request
        would have to wait for one or open one (then call :meth:`acquire`)."""
        if self.multiplexed:
            connection = self._shared
            if (
                self._streams < self.limit
                and connection is not None
                and not connection.closed
                and connection.established.triggered
            ):
                self._streams += 1
                return connection
            return None
        while self._idle:
            connection = self._idle.pop()
            if not connection.closed:
                return connection
        return None

    def _wait(self, request: simpy.Event) -> None:
        if self._waiting is None:
            self._waiting = deque()
        self._waiting.append(request)

    def _next_waiting(self) -> simpy.Event:
        """The longest-waiting request, taken from the queue (dropped once empty)."""
        waiting = self._waiting
        assert waiting  # only called while a request waits
        request = waiting.popleft()
        if not waiting:
            self._waiting = None
        return request

    def release(self, connection: Connection) -> None:
        if self.multiplexed:
            if connection is self._shared and not connection.closed:
                self._streams -= 1
                if self._waiting:
                    self._open_stream(self._next_waiting())
            return
        if connection.closed:
            return
        if not self.keep_alive:
            connection.close("request-done")
            self._forget(connection)
            return
        if self._waiting:
            self._next_waiting().succeed(connection)
        else:
            self._idle.append(connection)

    def detach(
        self,
        connection: Connection,
        on_client_message: Callable[[Message], None],
        on_server_message: Callable[[Message], None],
        on_close: Callable[[Connection, str], None] | None,
    ) -> None:
        """Take a connection out of the pool for good, handing its messages to new
        handlers (an HTTP connection upgraded to a WebSocket, for example)."""
        connection.rebind(on_client_message, on_server_message, on_close)
        self._forget(connection)

    def _open_stream(self, request: simpy.Event) -> None:
        """A stream on the shared connection (opened when there is none)."""
        self._streams += 1
        connection = self._shared
        if connection is None or connection.closed:
            connection = self._shared = self.transport.connect(
                self.channel, self.kind, *self._handlers, on_close=self._closed
            )
        if connection.established.triggered:
            request.succeed(connection)
        else:
            connection.established.callbacks.append(lambda event: request.succeed(event.value))

    def _open_for(self, request: simpy.Event) -> None:
        self.open_count += 1
        connection = self.transport.connect(
            self.channel, self.kind, *self._handlers, on_close=self._closed
        )
        connection.established.callbacks.append(lambda event: request.succeed(event.value))

    def _closed(self, connection: Connection, reason: str) -> None:
        if self.multiplexed:  # every stream went with it; waiting requests get a new one
            if connection is self._shared:
                self._shared, self._streams = None, 0
                while self._waiting and self._streams < self.limit:
                    self._open_stream(self._next_waiting())
        else:
            self._forget(connection)
        if self._on_close is not None:
            self._on_close(connection, reason)

    def _forget(self, connection: Connection) -> None:
        if connection in self._idle:
            self._idle.remove(connection)
        self.open_count -= 1
        if self._waiting and self.open_count < self.limit:
            self._open_for(self._next_waiting())
