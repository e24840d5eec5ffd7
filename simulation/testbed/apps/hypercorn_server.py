"""Hypercorn serving the testbed's ASGI app over HTTP/2 (h2c with prior knowledge, or h2
with TLS) or HTTP/3 (QUIC, with hypercorn's aioquic support), on 127.0.0.1.

Sockets are bound by the caller to ports the operating system chooses and handed to
hypercorn as ``fd://`` binds. TLS (h2 and HTTP/3) uses a self-signed certificate made at
run time (:mod:`..certs`) in a temporary directory removed at :meth:`stop`.

Response headers: hypercorn adds ``date`` (as every rtsim response has); its ``server``
header and the ``alt-svc`` it would advertise next to a QUIC socket are left out, as
rtsim's header lists (:mod:`simulation.protocols.wire.headers`) carry neither. The keep-
alive timeout is an hour: rtsim closes no idle connection unless asked to. On HTTP/3,
datagrams wait for hypercorn in a queue as large as the socket's receive buffer, not in
hypercorn's queue of ten (:mod:`.udp_receive`); ``datagrams_dropped`` counts any it
still drops.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import tempfile
from pathlib import Path

from hypercorn.asyncio import serve
from hypercorn.config import Config

from ..certs import Certificate, self_signed
from .udp_receive import ReceiveQueue, receive_queue_for_hypercorn

__all__ = ["PROTOCOLS", "HypercornServer", "serve_lifespan", "serve_until_gone"]

# testbed protocol -> (rtsim's [transport] http, tls)
PROTOCOLS = {"h2c": ("2", "none"), "h2": ("2", "1.3"), "h3": ("3", "1.3")}
_KEEP_ALIVE_S = 3600.0
_GRACE_S = 0.5  # at the end of a run, held requests and streams are simply cut
_START_TIMEOUT_S = 5.0


async def serve_lifespan(receive, send) -> None:
    """An ASGI app's ``lifespan`` scope: nothing to start or stop, so say so at once."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


async def serve_until_gone(work, receive, disconnect: str) -> None:
    """Run the coroutine ``work`` until it ends or the client goes (an ASGI message of
    type ``disconnect``), so that hypercorn's tasks end with their connections rather
    than be cancelled when the run ends."""
    serving = asyncio.ensure_future(work)
    gone = asyncio.ensure_future(_gone(receive, disconnect))
    await asyncio.wait({serving, gone}, return_when=asyncio.FIRST_COMPLETED)
    for task in (serving, gone):
        task.cancel()
    await asyncio.gather(serving, gone, return_exceptions=True)


async def _gone(receive, disconnect: str) -> None:
    while (await receive())["type"] != disconnect:
        pass


class _Config(Config):
    def response_headers(self, protocol: str) -> list[tuple[bytes, bytes]]:
        return [header for header in super().response_headers(protocol) if header[0] == b"date"]


class HypercornServer:
    """Serves ``app`` (ASGI) over ``protocol`` (a key of :data:`PROTOCOLS`)."""

    def __init__(self, app, protocol: str) -> None:
        if protocol not in PROTOCOLS:
            raise ValueError(f"unknown protocol {protocol!r} (allowed: {', '.join(PROTOCOLS)})")
        self.app = app
        self.protocol = protocol
        self.port = 0
        self.certificate: Certificate | None = None
        self._directory: tempfile.TemporaryDirectory | None = None
        self._shutdown: asyncio.Event | None = None
        self._task: asyncio.Task | None = None
        self.receive_queue: ReceiveQueue | None = None  # HTTP/3's, once started

    @property
    def tls(self) -> bool:
        return self.protocol != "h2c"

    async def start(self) -> int:
        config = _Config()
        config.include_server_header = False
        config.keep_alive_timeout = _KEEP_ALIVE_S
        config.graceful_timeout = _GRACE_S
        config.accesslog = None
        config.errorlog = None
        kind = socket.SOCK_DGRAM if self.protocol == "h3" else socket.SOCK_STREAM
        sock = socket.socket(socket.AF_INET, kind)
        sock.bind(("127.0.0.1", 0))
        receive_buffer_bytes = sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
        if kind == socket.SOCK_STREAM:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.port = sock.getsockname()[1]
        bind = f"fd://{sock.detach()}"
        if self.tls:
            self._directory = tempfile.TemporaryDirectory(prefix="rtsim-testbed-")
            self.certificate = self_signed(Path(self._directory.name))
            config.certfile = str(self.certificate.certfile)
            config.keyfile = str(self.certificate.keyfile)
            config.ciphers = "ECDHE+AESGCM"
        if self.protocol == "h3":
            config.bind = []  # hypercorn binds its TCP sockets from this list
            config.quic_bind = [bind]
        else:
            config.bind = [bind]
            config.alpn_protocols = ["h2"]
        self._shutdown = asyncio.Event()
        if self.protocol == "h3":
            self.receive_queue = ReceiveQueue(receive_buffer_bytes)
            with receive_queue_for_hypercorn(self.receive_queue) as built:
                await self._serve(config)
                await self._until(built)
        else:
            await self._serve(config)
        assert self._task is not None
        if self._task.done():
            self._task.result()  # raises what stopped it
        return self.port

    async def _serve(self, config: Config) -> None:
        loop = asyncio.get_running_loop()
        self._task = loop.create_task(serve(self.app, config, shutdown_trigger=self._wait))
        await asyncio.sleep(0.05)  # hypercorn's lifespan start-up and listen

    async def _until(self, built: asyncio.Event) -> None:
        """Wait until hypercorn has built its UDP server, or stopped trying."""
        assert self._task is not None
        waiting = asyncio.ensure_future(built.wait())
        await asyncio.wait(
            {self._task, waiting}, timeout=_START_TIMEOUT_S, return_when=asyncio.FIRST_COMPLETED
        )
        waiting.cancel()
        await asyncio.gather(waiting, return_exceptions=True)

    @property
    def datagrams_dropped(self) -> int:
        """Datagrams the HTTP/3 server read and dropped, its receive queue full."""
        return self.receive_queue.dropped if self.receive_queue is not None else 0

    async def _wait(self) -> None:
        assert self._shutdown is not None
        await self._shutdown.wait()

    async def stop(self) -> None:
        if self._shutdown is not None:
            self._shutdown.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(self._task, 5.0)
            self._task = None
        if self._directory is not None:
            self._directory.cleanup()
            self._directory = None
