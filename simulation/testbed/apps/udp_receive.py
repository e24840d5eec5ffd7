"""The HTTP/3 server's receive queue: datagrams read from the UDP socket and waiting for
hypercorn's QUIC code, bounded in bytes as a socket's receive buffer is.

hypercorn 0.18 puts every datagram it reads into an ``asyncio.Queue(10)`` and drops the
eleventh waiting one ("Just throw the data away, is UDP", ``hypercorn/asyncio/
udp_server.py``). On the testbed, ten long-polling clients that each get a response at
the same broadcast send their next requests and ACKs within a millisecond; the datagrams
beyond ten were dropped, and aioquic then recovered losses on a path that loses nothing
(in a 20 s cell at 1 update/s, 53 of the clients' 808 datagrams; those with data were
sent again a probe timeout later). rtsim's path is lossless unless ``loss`` is set, and
a server reading straight from its socket has the kernel's receive buffer
(``SO_RCVBUF``, set by Linux's ``net.core.rmem_default``: 212,992 bytes on the machine
measured) to hold a burst. So, while hypercorn starts, its UDP server is given a
:class:`ReceiveQueue` of the socket's ``SO_RCVBUF`` bytes instead; whatever it still
drops is counted, and the harness reports it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator

import hypercorn.asyncio.run as hypercorn_run
from hypercorn.asyncio.udp_server import UDPServer

__all__ = ["ReceiveQueue", "receive_queue_for_hypercorn"]

_HYPERCORN_SERVER = "UDPServer"  # the name hypercorn.asyncio.run builds its UDP server by


class ReceiveQueue(asyncio.Queue):
    """An asyncio queue of hypercorn's ``RawData`` events holding at most
    ``capacity_bytes`` of datagrams: one that would not fit is refused with
    ``asyncio.QueueFull`` (which hypercorn catches and drops) and counted in ``dropped``.
    ``received`` counts every datagram offered."""

    def __init__(self, capacity_bytes: int) -> None:
        if capacity_bytes <= 0:
            raise ValueError(f"capacity_bytes must be > 0, got {capacity_bytes}")
        super().__init__()
        self.capacity_bytes = capacity_bytes
        self.queued_bytes = 0
        self.received = 0
        self.dropped = 0

    def put_nowait(self, item) -> None:
        self.received += 1
        size = len(item.data)
        if self.queued_bytes + size > self.capacity_bytes:
            self.dropped += 1
            raise asyncio.QueueFull
        self.queued_bytes += size
        super().put_nowait(item)

    def get_nowait(self):
        item = super().get_nowait()
        self.queued_bytes -= len(item.data)
        return item


@contextlib.contextmanager
def receive_queue_for_hypercorn(queue: ReceiveQueue) -> Iterator[asyncio.Event]:
    """While open, every UDP server hypercorn builds takes its datagrams from ``queue``;
    the event yielded is set once one has. Keep it open until then (hypercorn builds its
    server at start-up) and no longer."""
    built = asyncio.Event()

    class _Server(UDPServer):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self.protocol_queue = queue
            built.set()

    built_by = getattr(hypercorn_run, _HYPERCORN_SERVER)
    setattr(hypercorn_run, _HYPERCORN_SERVER, _Server)
    try:
        yield built
    finally:
        setattr(hypercorn_run, _HYPERCORN_SERVER, built_by)
