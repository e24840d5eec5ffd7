"""What the HTTP strategies share: a connection pool per client, and POSTs.

Each client's requests go through its :class:`~simulation.transport.ConnectionPool`
(``[transport] max_connections_per_host``, ``keep_alive``). Client messages
(``[workload.up]``) go as one POST each. Sequence::

    client                                server
      | -- http-post (headers + message) --> |   when a connection is free
      | <-- http-post-response (204) ------- |   after service; the connection is released

Timing assumed: a POST waits for a free connection like any request, so a client whose
connections are all held (by event streams, for example) cannot send until one frees up:
HTTP/1.1's per-host limit. The message counts as delivered when the POST arrives at the
server; the response carries only headers.
"""

from __future__ import annotations

from ..messages import DOWN, UP, Message, Update
from ..transport import Connection, ConnectionPool
from .context import Handler, StrategyContext

__all__ = ["HttpClient"]


class HttpClient:
    """The HTTP side of a strategy: a connection pool per client, and POSTs.

    ``on_client_message`` and ``on_server_message`` get every message of every connection
    (POSTs and their responses too: pass them to :meth:`handle_post` and
    :meth:`handle_post_response` first).
    """

    def __init__(
        self,
        context: StrategyContext,
        channels: list,
        on_client_message: Handler,
        on_server_message: Handler,
        on_close=None,
    ):
        self.context = context
        self.waiting = 0  # client messages waiting for a free connection
        params = context.transport_params
        self.pools = [
            ConnectionPool(
                context.transport,
                channel,
                params.max_connections_per_host,
                params.keep_alive,
                on_client_message,
                on_server_message,
                on_close=on_close,
            )
            for channel in channels
        ]

    def post(self, update: Update) -> None:
        """Client ``update.origin`` sends ``update`` as a POST once a connection is free."""
        self.waiting += 1
        self.pools[update.origin].acquire().callbacks.append(
            lambda event, update=update: self._post(event.value, update)
        )

    def _post(self, connection: Connection, update: Update) -> None:
        self.waiting -= 1
        header = self.context.http.request_header_bytes
        post = Message(
            update.origin, UP, "http-post", update.payload_bytes, header, (update,), request=True
        )
        connection.send(post)

    def handle_post(self, message: Message) -> bool:
        """At the server: serve a POST and answer it; False if ``message`` is no POST."""
        if message.kind != "http-post":
            return False
        self.context.server.serve(message, self._answer_post)
        return True

    def _answer_post(self, post: Message) -> None:
        context = self.context
        context.recorder.deliveries_of(post, post.updates, context.env.now)
        header = context.http.response_header_bytes
        post.connection.send(Message(post.client, DOWN, "http-post-response", 0, header))

    def handle_post_response(self, message: Message) -> bool:
        """At the client: release the connection; False if ``message`` is something else."""
        if message.kind != "http-post-response":
            return False
        self.pools[message.client].release(message.connection)
        return True
