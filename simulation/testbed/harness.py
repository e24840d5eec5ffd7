"""Runs one strategy's real server and clients through the latency proxy, on 127.0.0.1,
for the schedule's duration, and returns what was measured.

Sequence of a run: the server starts on a free port; each client gets a proxy of its own
in front of it, all sharing one path (its latency draws, bandwidth and byte counts); at
t = 0 the harness starts appending updates at their scheduled times and starts each
client at its scheduled start; at ``duration_s`` it cancels every client, closes the
proxies and stops the server. Nothing outlives the run: no threads, no child processes,
no open sockets.

An update is delivered when the bytes that complete it reach the client's socket: the
last write of that client's proxy before the client's library handed the update over
(the moment rtsim's ``delivered_at`` stands for, as rtsim's clients take no time to parse
what arrives); the hand-over itself is kept as ``app_at``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import gc
import logging
import math
from dataclasses import dataclass

import pandas as pd

from ..distributions import Distribution
from .apps import APPS
from .context import Testbed
from .feed import RealUpdate
from .measurements import Measurements, SocketTimes
from .proxy import LatencyProxy, path_directions
from .schedule import Schedule
from .udp_proxy import UdpLatencyProxy

__all__ = ["TestbedRun", "run_testbed"]

logger = logging.getLogger(__name__)

_LEAD_S = 0.05  # time between setting up and t = 0, so that t = 0 is not late


@dataclass
class TestbedRun:
    """The measurements of one run, with the path's byte and connection counts (all the
    clients' proxies together)."""

    kind: str
    deliveries: pd.DataFrame
    measurements: Measurements
    bytes_up: int
    bytes_down: int
    connections_opened: int
    duration_s: float
    server_port: int
    proxy_ports: tuple[int, ...]  # one proxy per client, in the clients' order
    protocol: str = "1.1"  # "1.1", or HTTP/2 and 3's "h2c", "h2", "h3" (PROTOCOLS)
    certificate_bytes: int = 0  # the TLS Certificate message's body, 0 without TLS
    packets_up: int = 0  # chunks read (TCP) or datagrams (UDP), client to server
    packets_down: int = 0
    server_datagrams_dropped: int = 0  # HTTP/3: read by the server, dropped before QUIC


def run_testbed(
    kind: str,
    schedule: Schedule,
    latency_s: Distribution | float,
    params: dict | None = None,
    bandwidth_bps: float = math.inf,
    seed: int = 0,
    protocol: str = "1.1",
) -> TestbedRun:
    """Run strategy ``kind`` (a key of ``APPS``) on the real stack; see the module doc.

    ``latency_s`` is the one-way latency of each direction; ``params`` are the strategy's
    keys as in a scenario's ``[strategy]`` table (those the real app understands), and for
    HTTP/2 and 3 the ``[http]`` header sizes too. ``protocol`` is "1.1" (aiohttp and the
    other HTTP/1.1 apps) or "h2c", "h2" or "h3" (hypercorn with httpx or aioquic clients,
    :mod:`.apps.multiplexed`, or for WebSocket the h2 and aioquic clients of
    :mod:`.apps.ws_multiplexed`; HTTP/3 goes through a UDP proxy).
    """
    if protocol == "1.1" and kind not in APPS:
        raise ValueError(f"unknown testbed strategy {kind!r} (allowed: {', '.join(APPS)})")
    coroutine = _run(kind, schedule, latency_s, params or {}, bandwidth_bps, seed, protocol)
    # The objects this process already holds (rtsim's results, pandas, ...) are frozen
    # out of the garbage collector for the run: a real server would not carry them, and a
    # full collection scanning them stalled the event loop for about 50 ms mid-run.
    gc.collect()
    gc.freeze()
    try:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(coroutine)
        # called from a running event loop (a Jupyter kernel): run on a thread of its own
        with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="rtsim-testbed") as pool:
            return pool.submit(asyncio.run, coroutine).result()
    finally:
        gc.unfreeze()


def _app(kind: str, protocol: str, testbed: Testbed, params: dict):
    if protocol == "1.1":
        return APPS[kind](testbed, params)
    if kind == "websocket":
        from .apps.ws_multiplexed import WebSocketOverHttpApp  # needs hypercorn, h2, aioquic

        return WebSocketOverHttpApp(protocol, testbed, params)
    from .apps.multiplexed import MultiplexedApp  # needs hypercorn, httpx and aioquic

    return MultiplexedApp(kind, protocol, testbed, params)


async def _run(kind, schedule, latency_s, params, bandwidth_bps, seed, protocol) -> TestbedRun:
    loop = asyncio.get_running_loop()
    testbed = Testbed(schedule)
    app = _app(kind, protocol, testbed, params)
    port = await app.start_server()
    proxy_class = UdpLatencyProxy if protocol == "h3" else LatencyProxy
    path = path_directions(latency_s, None, bandwidth_bps, seed)
    proxies = [proxy_class(port, directions=path) for _ in schedule.client_starts]
    try:
        async with contextlib.AsyncExitStack() as stack:
            for proxy in proxies:
                await stack.enter_async_context(proxy)
            testbed.origin = loop.time() + _LEAD_S
            tasks = [loop.create_task(_publish(testbed))]
            for index, (start, proxy) in enumerate(
                zip(schedule.client_starts, proxies, strict=True)
            ):
                tasks.append(loop.create_task(_client(app, testbed, index, start, proxy.port)))
            await asyncio.sleep(max(0.0, testbed.origin + schedule.duration_s - loop.time()))
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
    finally:
        await app.stop_server()
    measurements = testbed.measurements

    def since_origin(times: list[float]) -> list[float]:
        return [at - testbed.origin for at in times]

    for index, proxy in enumerate(proxies):
        measurements.sockets[index] = SocketTimes.of(
            since_origin(proxy.to_client),
            since_origin(proxy.from_server),
            since_origin(proxy.from_client),
            since_origin(proxy.to_server),
        )
    dropped = _server_datagrams_dropped(app)
    if dropped:  # a loss the path did not make, which rtsim's lossless path does not have
        measurements.errors.append(f"the server dropped {dropped} datagrams, its queue full")
    for error in measurements.errors:
        logger.warning("%s testbed: %s", kind, error)
    up, down = path[0].counters, path[1].counters
    return TestbedRun(
        kind,
        measurements.deliveries(),
        measurements,
        up.bytes,
        down.bytes,
        sum(proxy.connections for proxy in proxies),
        schedule.duration_s,
        port,
        tuple(proxy.port for proxy in proxies),
        protocol,
        _certificate_bytes(app),
        up.chunks,
        down.chunks,
        dropped,
    )


def _server_datagrams_dropped(app) -> int:
    return getattr(getattr(app, "server", None), "datagrams_dropped", 0)


def _certificate_bytes(app) -> int:
    server = getattr(app, "server", None)
    certificate = getattr(server, "certificate", None)
    return certificate.chain_bytes if certificate is not None else 0


async def _publish(testbed: Testbed) -> None:
    rows = testbed.schedule.updates.itertuples(index=False)
    for update_id, created_at, payload_bytes, target in rows:
        await _sleep_until(testbed, created_at)
        now = testbed.now()
        testbed.measurements.created[int(update_id)] = now
        testbed.feed.append(RealUpdate(int(update_id), now, int(payload_bytes), int(target)))


async def _sleep_until(testbed: Testbed, at: float) -> None:
    delay = at - testbed.now()
    if delay > 0:
        await asyncio.sleep(delay)


async def _client(app, testbed: Testbed, index: int, start: float, port: int) -> None:
    await _sleep_until(testbed, start)
    try:
        await app.client(index, port)
    except asyncio.CancelledError:
        raise
    except Exception as error:  # a real client failing is a finding, not a crash
        testbed.measurements.errors.append(f"client {index}: {type(error).__name__}: {error}")
