"""Connection pools: a client's HTTP/1.1 connections to the server.

A :class:`ConnectionPool` holds at most ``max_connections_per_host`` connections at once,
one request at a time on each. A request that finds every connection busy waits, first
come first served, for one to be released.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING

import simpy

from ..messages import Message

if TYPE_CHECKING:
    from .connection import Connection, Transport

__all__ = ["ConnectionPool"]


class ConnectionPool:
    """A client's HTTP/1.1 connections: at most ``limit``, one request at a time on each.

    ``acquire()`` returns an event whose value is an established connection reserved for
    one request; ``release(connection)`` returns it after the response (closing it when
    keep-alive is off). Waiting requests are served first come, first served.
    """

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
        self._waiting: deque[simpy.Event] = deque()
        self.open_count = 0

    def acquire(self) -> simpy.Event:
        request = self.env.event()
        while self._idle:
            connection = self._idle.pop()
            if not connection.closed:
                request.succeed(connection)
                return request
        if self.open_count < self.limit:
            self._open_for(request)
        else:
            self._waiting.append(request)
        return request

    def release(self, connection: Connection) -> None:
        if connection.closed:
            return
        if not self.keep_alive:
            connection.close("request-done")
            self._forget(connection)
            return
        if self._waiting:
            self._waiting.popleft().succeed(connection)
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

    def _open_for(self, request: simpy.Event) -> None:
        self.open_count += 1
        connection = self.transport.connect(
            self.channel, self.kind, *self._handlers, on_close=self._closed
        )
        connection.established.callbacks.append(lambda event: request.succeed(event.value))

    def _closed(self, connection: Connection, reason: str) -> None:
        self._forget(connection)
        if self._on_close is not None:
            self._on_close(connection, reason)

    def _forget(self, connection: Connection) -> None:
        if connection in self._idle:
            self._idle.remove(connection)
        self.open_count -= 1
        if self._waiting and self.open_count < self.limit:
            self._open_for(self._waiting.popleft())
