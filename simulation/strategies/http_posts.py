"""Client messages over HTTP: one POST per message, on a connection from the client's pool.

Sequence::

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

__all__ = ["HttpPosts"]


class HttpPosts:
    """Mixin for strategies with ``self.pools``: ``client_send`` and its two handlers."""

    _posts_waiting = 0  # messages waiting for a connection

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
