"""An asyncio UDP proxy on 127.0.0.1 that delays every datagram, for QUIC (HTTP/3).

The latency model is the TCP proxy's (:mod:`.proxy`), applied per datagram: a datagram
read at time ``t`` starts sending at ``max(t, free_at)``, takes ``len * 8 /
bandwidth_bps`` seconds to serialize and arrives a one-way latency later, drawn per
datagram. Datagrams keep their order within a direction unless ``reorder`` is true (then
each arrives when its own draw says, as on a path with several routes). Nothing is lost
and no handshake is emulated: QUIC's handshake is real datagrams, delayed like any other.

Each client address gets its own upstream socket, so the server sees one peer per
client. ``up`` and ``down`` count UDP payload bytes (QUIC packets, without the 8-byte
UDP and 20-byte IPv4 headers) and datagrams (``chunks``). Units: seconds, bytes, bits
per second.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math

from ..distributions import Distribution
from .proxy import _Direction, path_directions

__all__ = ["UdpLatencyProxy"]

logger = logging.getLogger(__name__)


class _Relay(asyncio.DatagramProtocol):
    """One socket's receiving end: hands every datagram to ``forward``."""

    def __init__(self, forward) -> None:
        self.forward = forward
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr) -> None:
        self.forward(data, addr)

    def error_received(self, exc: Exception) -> None:  # e.g. the server already gone
        logger.debug("udp proxy: %s", exc)


class UdpLatencyProxy:
    """Forwards datagrams from ``127.0.0.1:<port>`` to ``127.0.0.1:<target_port>`` and back.

    Arguments as :class:`~simulation.testbed.proxy.LatencyProxy`'s (``directions``
    included); ``connections`` counts client addresses seen; ``to_client``,
    ``from_server``, ``to_server`` and ``from_client`` are the proxy's send and read times
    of each direction's datagrams, as the TCP proxy's.
    Use as ``async with UdpLatencyProxy(...) as proxy:``.
    """

    def __init__(
        self,
        target_port: int,
        latency_up: Distribution | float = 0.0,
        latency_down: Distribution | float | None = None,
        bandwidth_bps: float = math.inf,
        seed: int = 0,
        reorder: bool = False,
        directions: tuple[_Direction, _Direction] | None = None,
    ) -> None:
        self.target_port = target_port
        self.reorder = reorder
        self.connections = 0
        if directions is None:
            directions = path_directions(latency_up, latency_down, bandwidth_bps, seed)
        self._up, self._down = directions
        self.up, self.down = self._up.counters, self._down.counters
        self.to_client: list[float] = []  # loop times of every datagram sent to a client
        self.from_server: list[float] = []  # ... and when each was read from the server
        self.to_server: list[float] = []  # loop times of every datagram sent to the server
        self.from_client: list[float] = []  # ... and when each was read from the client
        self._listener: asyncio.DatagramTransport | None = None
        self._upstream: dict[tuple, asyncio.DatagramTransport | None] = {}
        self._last: dict[tuple, float] = {}  # (direction, client) -> last arrival
        self._queues: dict[tuple, asyncio.Queue] = {}
        self._ready: dict[tuple, asyncio.Event] = {}  # client -> its upstream is open
        self._tasks: set[asyncio.Task] = set()
        self.port = 0

    async def __aenter__(self) -> UdpLatencyProxy:
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: _Relay(self._from_client), local_addr=("127.0.0.1", 0)
        )
        self._listener = transport
        self.port = transport.get_extra_info("sockname")[1]
        return self

    async def __aexit__(self, *exc_info) -> None:
        await self.close()

    async def close(self) -> None:
        """Drop every datagram still travelling and close every socket."""
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, OSError):
                await task
        for transport in self._upstream.values():
            if transport is not None:
                transport.close()
        self._upstream.clear()
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        await asyncio.sleep(0)  # let the transports finish closing

    def _from_client(self, data: bytes, client: tuple) -> None:
        if client not in self._upstream:
            self.connections += 1
            self._upstream[client] = None  # being opened: datagrams wait in its queue
            self._spawn(self._open(client))
        self._schedule(self._up, ("up", client), data)

    async def _open(self, client: tuple) -> None:
        loop = asyncio.get_running_loop()
        upstream, _ = await loop.create_datagram_endpoint(
            lambda: _Relay(lambda data, _addr: self._from_server(client, data)),
            remote_addr=("127.0.0.1", self.target_port),
        )
        self._upstream[client] = upstream
        self._ready[client].set()

    def _from_server(self, client: tuple, data: bytes) -> None:
        if self._listener is not None:
            self._schedule(self._down, ("down", client), data)

    def _send(self, key: tuple, data: bytes, read_at: float) -> None:
        direction, client = key
        now = asyncio.get_running_loop().time()
        with contextlib.suppress(OSError):
            upstream = self._upstream.get(client)
            if direction == "up" and upstream is not None:
                self.from_client.append(read_at)
                self.to_server.append(now)
                upstream.sendto(data)
            elif direction == "down" and self._listener is not None:
                self.from_server.append(read_at)
                self.to_client.append(now)
                self._listener.sendto(data, client)

    def _spawn(self, coroutine) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _schedule(self, direction: _Direction, key: tuple, data: bytes) -> None:
        read_at = asyncio.get_running_loop().time()
        last = 0.0 if self.reorder else self._last.get(key, 0.0)
        arrives_at = direction.schedule(read_at, len(data), last)
        self._last[key] = arrives_at
        direction.counters.bytes += len(data)
        direction.counters.chunks += 1
        if key[1] not in self._ready:
            self._ready[key[1]] = asyncio.Event()
        if self.reorder:
            self._spawn(self._deliver_at(key, arrives_at, data, read_at))
            return
        queue = self._queues.get(key)
        if queue is None:
            queue = self._queues[key] = asyncio.Queue()
            self._spawn(self._pump(key, queue))
        queue.put_nowait((arrives_at, data, read_at))

    async def _deliver_at(self, key: tuple, arrives_at: float, data: bytes, read_at: float) -> None:
        await asyncio.sleep(max(0.0, arrives_at - asyncio.get_running_loop().time()))
        await self._ready[key[1]].wait()
        self._send(key, data, read_at)

    async def _pump(self, key: tuple, queue: asyncio.Queue) -> None:
        """Send one direction's datagrams of one client in order, each at its time."""
        loop = asyncio.get_running_loop()
        while True:
            arrives_at, data, read_at = await queue.get()
            delay = arrives_at - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            await self._ready[key[1]].wait()
            self._send(key, data, read_at)
