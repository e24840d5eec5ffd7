"""What the testbed measures, as DataFrames with rtsim's column names where they mean the
same thing (``Result.deliveries``, ``summary()``).

Every time is read from the event loop's clock (``time.monotonic``), server, proxies and
clients alike, since they run in one process; times are seconds since the run's start.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = ["Measurements", "SocketTimes", "header_block_bytes"]


def header_block_bytes(start_line: str, headers) -> int:
    """Bytes of an HTTP/1.1 head as sent: start line, ``Name: value`` lines, blank line.

    ``headers`` is a sequence of (name, value) pairs, as str or bytes.
    """
    size = len(start_line.encode("latin-1")) + 2
    for name, value in headers:
        name = name if isinstance(name, bytes) else name.encode("latin-1")
        value = value if isinstance(value, bytes) else value.encode("latin-1")
        size += len(name) + 2 + len(value) + 2
    return size + 2


@dataclass(frozen=True)
class SocketTimes:
    """One client's proxy timeline, in s since the start, each ascending: every chunk
    toward the client, when the proxy read it from the server (``left_server``) and when
    it wrote it to the client's socket (``at_socket``); every chunk from the client, when
    the proxy read it (``left_client``) and when it wrote it to the server
    (``at_server``). The two times of a chunk share an index."""

    at_socket: np.ndarray
    left_server: np.ndarray
    left_client: np.ndarray
    at_server: np.ndarray

    @classmethod
    def of(cls, at_socket=(), left_server=(), left_client=(), at_server=()) -> SocketTimes:
        """From sequences of times; each chunk needs both of its times."""
        times = [
            np.asarray(t, dtype=float) for t in (at_socket, left_server, left_client, at_server)
        ]
        if times[0].size != times[1].size or times[2].size != times[3].size:
            raise ValueError("each chunk needs both of its times (a read and a write)")
        return cls(*times)


_NO_TIMES = SocketTimes.of()


@dataclass
class Measurements:
    """Appended to by the real servers and clients during one testbed run."""

    created: dict[int, float] = field(default_factory=dict)
    received: list[tuple[int, int, float]] = field(default_factory=list)
    requests: int = 0
    request_header_bytes: list[int] = field(default_factory=list)
    response_header_bytes: list[int] = field(default_factory=list)
    upgrade_request_header_bytes: list[int] = field(default_factory=list)
    upgrade_response_header_bytes: list[int] = field(default_factory=list)
    reconnects: int = 0
    # (client, emitted, acked): a client message's emit and its ack's hand-over (s)
    acks: list[tuple[int, float, float]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    # client -> its proxy's timeline, when known
    sockets: dict[int, SocketTimes] = field(default_factory=dict)
    # client -> when its library was asked for each request (long polling's clients)
    asked: dict[int, list[float]] = field(default_factory=dict)

    def receive(self, update_id: int, client: int, at: float) -> None:
        self.received.append((update_id, client, at))

    def ask(self, client: int, at: float) -> None:
        """Client ``client`` asks its library for a request now (``at``: s since the start)."""
        self.asked.setdefault(client, []).append(at)

    def ack(self, client: int, emitted: float, acked: float) -> None:
        """Client ``client``'s library acknowledged at ``acked`` the message it was asked
        to emit at ``emitted`` (s since the start)."""
        self.acks.append((client, emitted, acked))

    def ack_rtts(self) -> np.ndarray:
        """Each ack's RTT at the client library: from the emit to the ack's hand-over."""
        return np.asarray([acked - emitted for _, emitted, acked in self.acks], dtype=float)

    def ack_times(self) -> tuple[np.ndarray, np.ndarray]:
        """Each ack's RTT at the client's socket and the server's time to answer it (s).

        The message is the client's first bytes the proxy read at or after the emit, the
        ack the last bytes to reach the client's socket at or before its hand-over (the
        moment rtsim's ack RTT ends, as a delivery's does). The RTT runs from the one to
        the other; the server's time from the message's bytes reaching the server to the
        ack's leaving it. An ack without both is left out."""
        rtts, services = [], []
        for client, emitted, acked in self.acks:
            times = self.sockets.get(client, _NO_TIMES)
            first = np.searchsorted(times.left_client, emitted, side="left")
            last = np.searchsorted(times.at_socket, acked, side="right") - 1
            if first >= times.left_client.size or last < 0:
                continue
            if times.at_socket[last] <= times.left_client[first]:
                continue
            rtts.append(times.at_socket[last] - times.left_client[first])
            services.append(times.left_server[last] - times.at_server[first])
        return np.asarray(rtts, dtype=float), np.asarray(services, dtype=float)

    def push_delays(self, deliveries: pd.DataFrame) -> np.ndarray:
        """The server's push time of each pushed delivery of ``deliveries`` (as made by
        :meth:`deliveries`): from the update's creation until the bytes completing it left
        the server (the proxy read them). A delivery is pushed when the request it answers
        (the client's last bytes to reach the server before those) was there before the
        update was created: a held long poll, an SSE stream, a WebSocket. One answering a
        request that found the update already queued is no push, and not counted."""
        delays = []
        for client, mine in deliveries.groupby("client"):
            times = self.sockets.get(int(client), _NO_TIMES)
            written, requests = times.at_socket, times.at_server
            if not written.size or not requests.size:
                continue
            index = np.searchsorted(written, mine["delivered_at"].to_numpy(), side="left")
            index = np.clip(index, 0, written.size - 1)
            left = times.left_server[index]
            asked = np.searchsorted(requests, left, side="right") - 1
            created = mine["created_at"].to_numpy()
            pushed = (asked >= 0) & (requests[np.maximum(asked, 0)] < created)
            delays.extend((left - created)[pushed])
        return np.asarray(delays, dtype=float)

    def turnarounds(self) -> np.ndarray:
        """Each long-poll client's time from a response reaching its socket to its next
        request leaving it: for every request after a client's first, from the last bytes
        it received before asking (:meth:`ask`) to its first bytes the proxy read after."""
        gaps = []
        for client, asked in self.asked.items():
            times = self.sockets.get(client, _NO_TIMES)
            received, sent = times.at_socket, times.left_client
            for at in asked[1:]:
                before = np.searchsorted(received, at, side="right") - 1
                after = np.searchsorted(sent, at, side="left")
                if before >= 0 and after < sent.size:
                    gaps.append(sent[after] - received[before])
        return np.asarray(gaps, dtype=float)

    def deliveries(self) -> pd.DataFrame:
        """One row per update received by a client: ``direction``, ``update_id``,
        ``client``, ``created_at``, ``delivered_at``, ``latency_s`` (as rtsim's), and
        ``app_at``, ``app_latency_s``: when the client's library handed it over.

        ``delivered_at`` is the last time bytes reached the client's socket at or before
        ``app_at`` (its :attr:`SocketTimes.at_socket`), or ``app_at`` for a client
        without socket times.
        """
        ids = np.array([r[0] for r in self.received], dtype=np.int64)
        clients = np.array([r[1] for r in self.received], dtype=np.int64)
        handed = np.array([r[2] for r in self.received], dtype=float)
        delivered = handed.copy()
        for client, times in self.sockets.items():
            mine = np.flatnonzero(clients == client)
            if not times.at_socket.size or not mine.size:
                continue
            last = np.searchsorted(times.at_socket, handed[mine], side="right") - 1
            known = last >= 0
            delivered[mine[known]] = times.at_socket[last[known]]
        created = np.array([self.created.get(int(i), math.nan) for i in ids], dtype=float)
        return pd.DataFrame(
            {
                "direction": pd.Categorical(["down"] * len(ids), categories=["down", "up"]),
                "update_id": ids,
                "client": clients,
                "created_at": created,
                "delivered_at": delivered,
                "latency_s": delivered - created,
                "app_at": handed,
                "app_latency_s": handed - created,
            }
        )
