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
from ..transport import ConnectionPool

__all__ = ["HttpClient"]


class HttpClient:
    """Mixin for HTTP strategies: ``make_pools``, ``client_send`` and the POST handlers."""

    _posts_waiting = 0  # messages waiting for a connection

    def make_pools(self, on_client_message, on_server_message, on_close=None) -> None:
        """One pool per client; the handlers get every message of every connection."""
        transport = self.model.scenario.transport
        self.pools = [
            ConnectionPool(
                self.transport,
                channel,
                transport.max_connections_per_host,
                transport.keep_alive,
                on_client_message,
                on_server_message,
                on_close=on_close,
            )
            for channel in self.channels
        ]

    def client_send(self, update: Update) -> None:
        self._posts_waiting += 1
        self.pools[update.origin].acquire().callbacks.append(
            lambda event, update=update: self._post(event.value, update)
        )

    def _post(self, connection, update: Update) -> None:
        self._posts_waiting -= 1
        header = self.http.request_header_bytes
        post = Message(
            update.origin, UP, "http-post", update.payload_bytes, header, (update,), request=True
        )
        connection.send(post)

    def handle_post(self, message: Message) -> bool:
        """At the server: serve a POST and answer it; False if ``message`` is no POST."""
        if message.kind != "http-post":
            return False
        self.server.serve(message, self._answer_post)
        return True

    def _answer_post(self, post: Message) -> None:
        self.deliver(post)
        reply = Message(post.client, DOWN, "http-post-response", 0, self.http.response_header_bytes)
        post.connection.send(reply)

    def handle_post_response(self, message: Message) -> bool:
        """At the client: release the connection; False if ``message`` is something else."""
        if message.kind != "http-post-response":
            return False
        self.pools[message.client].release(message.connection)
        return True
