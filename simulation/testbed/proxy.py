"""An asyncio TCP proxy on 127.0.0.1 that adds one-way latency, serialization and TCP's
connection set-up to real traffic, and counts the bytes in each direction.

Kernel ``netem`` needs privileges that this testbed does not assume. On a machine with
them, ``tc qdisc add dev lo root netem delay 50ms`` inside a network namespace
(``ip netns``) gives the same effect at the kernel level, and the proxy can be skipped.

Timing model, per direction (the same as rtsim's Link, channel.py): a chunk read from one
socket at time ``t`` starts sending at ``max(t, free_at)``, takes ``len * 8 /
bandwidth_bps`` seconds to serialize, then arrives a one-way latency later, drawn per
chunk from an rtsim :class:`~simulation.distributions.Distribution`. Like TCP, a later
chunk never overtakes an earlier one. Units: seconds, bytes, bits per second.

Connection set-up: the client's ``connect()`` to the proxy returns at once on loopback,
but over a real path the first data byte can leave only after the SYN / SYN-ACK round
trip. The proxy therefore holds the client's data until one round trip (a draw of each
direction's latency) after the connection was accepted; the server side connects at
once, as a server's accept queue makes no difference here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from dataclasses import dataclass

from ..distributions import Constant, Distribution
from ..rng import RandomStreams, Sampler

__all__ = ["DirectionCounters", "LatencyProxy"]

logger = logging.getLogger(__name__)

_READ_SIZE = 65536
_EOF = b""


@dataclass
class DirectionCounters:
    """Bytes and chunks that crossed one direction of the proxy."""

    bytes: int = 0
    chunks: int = 0


@dataclass
class _Direction:
    """One direction's link: its latency sampler, rate and the time it is next free."""

    latency: Sampler
    bandwidth_bps: float
    counters: DirectionCounters
    free_at: float = 0.0

    def schedule(self, now: float, size: int, last_arrival: float) -> float:
        """When a chunk of ``size`` bytes offered at ``now`` arrives (never before
        ``last_arrival``, the previous chunk of the same connection)."""
        start = max(now, self.free_at)
        if math.isfinite(self.bandwidth_bps):
            start += size * 8 / self.bandwidth_bps
        self.free_at = start
        return max(start + float(self.latency()), last_arrival)


def path_directions(
    latency_up: Distribution | float,
    latency_down: Distribution | float | None,
    bandwidth_bps: float,
    seed: int,
) -> tuple[_Direction, _Direction]:
    """A proxy's two directions, each with its latency and counters (``latency_down``
    defaults to ``latency_up``), checked: never negative, and a positive bandwidth. The
    latencies draw from streams ``testbed.latency.up`` and ``.down`` of ``seed``."""
    up = latency_up if isinstance(latency_up, Distribution) else Constant(float(latency_up))
    if latency_down is None:
        down = up
    elif isinstance(latency_down, Distribution):
        down = latency_down
    else:
        down = Constant(float(latency_down))
    for name, value in (("latency_up", up), ("latency_down", down)):
        if value.support()[0] < 0:
            raise ValueError(f"{name} must not be negative, got {value!r}")
    if not bandwidth_bps > 0:
        raise ValueError(f"bandwidth_bps must be > 0, got {bandwidth_bps!r}")
    streams = RandomStreams(seed)
    return (
        _Direction(streams.sampler(up, "testbed.latency.up"), bandwidth_bps, DirectionCounters()),
        _Direction(
            streams.sampler(down, "testbed.latency.down"), bandwidth_bps, DirectionCounters()
        ),
    )


class LatencyProxy:
    """Forwards TCP connections from ``127.0.0.1:<port>`` to ``127.0.0.1:<target_port>``.

    ``latency_up`` applies from client to server, ``latency_down`` from server to client;
    ``seed`` seeds their random streams (named ``testbed.latency.up`` / ``.down``).
    ``connections`` counts accepted connections; ``up`` and ``down`` count bytes;
    ``to_client`` lists the event-loop times at which bytes reached a client's socket and
    ``from_server`` when the proxy read each of those chunks from the server (the same
    index); ``from_client`` and ``to_server`` the same of the client's bytes.
    Proxies given the same ``directions`` (from :func:`path_directions`; the latency
    arguments and ``seed`` are then unused) share one path: its latency draws, its
    bandwidth and its counters.
    Use as ``async with LatencyProxy(...) as proxy:``; it listens on a port the operating
    system chooses (``proxy.port``) and closes every connection on exit.
    """

    def __init__(
        self,
        target_port: int,
        latency_up: Distribution | float = 0.0,
        latency_down: Distribution | float | None = None,
        bandwidth_bps: float = math.inf,
        seed: int = 0,
        emulate_handshake: bool = True,
        directions: tuple[_Direction, _Direction] | None = None,
    ) -> None:
        self.target_port = target_port
        self.emulate_handshake = emulate_handshake
        self.connections = 0
        if directions is None:
            directions = path_directions(latency_up, latency_down, bandwidth_bps, seed)
        self._up, self._down = directions
        self.up, self.down = self._up.counters, self._down.counters
        self.to_client: list[float] = []  # loop times of every write to a client
        self.from_server: list[float] = []  # ... and when each was read from the server
        self.to_server: list[float] = []  # loop times of every write to the server
        self.from_client: list[float] = []  # ... and when each was read from the client
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task] = set()
        self.port = 0

    async def __aenter__(self) -> LatencyProxy:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        logger.debug("proxy 127.0.0.1:%d -> 127.0.0.1:%d", self.port, self.target_port)
        return self

    async def __aexit__(self, *exc_info) -> None:
        await self.close()

    async def close(self) -> None:
        """Stop listening and drop every connection still open."""
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, OSError):
                await task
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    def _spawn(self, coroutine) -> asyncio.Task:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _accept(self, client_reader, client_writer) -> None:
        loop = asyncio.get_running_loop()
        accepted_at = loop.time()
        self.connections += 1
        ready_at = accepted_at
        if self.emulate_handshake:  # SYN up, SYN-ACK down: data may leave one RTT later
            ready_at += float(self._up.latency()) + float(self._down.latency())
        try:
            server_reader, server_writer = await asyncio.open_connection(
                "127.0.0.1", self.target_port
            )
        except OSError as error:
            logger.warning("proxy: cannot reach 127.0.0.1:%d: %s", self.target_port, error)
            client_writer.close()
            return
        up = self._spawn(
            self._forward(
                client_reader,
                server_writer,
                self._up,
                ready_at,
                (self.from_client, self.to_server),
            )
        )
        down = self._spawn(
            self._forward(
                server_reader, client_writer, self._down, 0.0, (self.from_server, self.to_client)
            )
        )
        try:
            await asyncio.gather(up, down)
        except asyncio.CancelledError:  # the proxy is closing
            pass
        finally:
            for writer in (client_writer, server_writer):
                writer.close()

    async def _forward(
        self,
        reader,
        writer,
        direction: _Direction,
        ready_at: float,
        times: tuple[list[float], list[float]],
    ) -> None:
        """Read chunks, stamp their arrival times, and let one pump write them in order
        (appending each written chunk's read and write times to ``times``)."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue = asyncio.Queue()
        pump = self._spawn(self._pump(queue, writer, times))
        last_arrival = 0.0
        try:
            while True:
                try:
                    data = await reader.read(_READ_SIZE)
                except (ConnectionError, OSError):
                    data = _EOF
                read_at = loop.time()
                last_arrival = direction.schedule(max(read_at, ready_at), len(data), last_arrival)
                if data:
                    direction.counters.bytes += len(data)
                    direction.counters.chunks += 1
                queue.put_nowait((last_arrival, data, read_at))
                if not data:
                    break
            await pump
        finally:
            pump.cancel()

    @staticmethod
    async def _pump(queue: asyncio.Queue, writer, times: tuple[list[float], list[float]]) -> None:
        loop = asyncio.get_running_loop()
        read, written = times
        while True:
            arrives_at, data, read_at = await queue.get()
            delay = arrives_at - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            if not data:
                with contextlib.suppress(OSError, RuntimeError):
                    if writer.can_write_eof():
                        writer.write_eof()
                return
            try:
                # recorded before the write: the reader may be quicker
                read.append(read_at)
                written.append(loop.time())
                writer.write(data)
                await writer.drain()
            except (ConnectionError, OSError, RuntimeError):
                return
