"""What every strategy shares: one channel per client and the delivery bookkeeping.

A strategy is a pair of behaviours, the client's and the server's, written as SimPy
processes and message handlers. ``on_up`` runs at the server when a message from a client
arrives, ``on_down`` at the client when a message from the server arrives, each at the
message's arrival time. ``publish`` runs at the server when the workload creates an update;
a strategy whose server pushes updates implements ``push(update, client)``, called for
each recipient once the server has spent its push time on it (``[server] push_time_s``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar

from ..messages import Message, Update
from ..run_stats import StrategyStats
from .context import StrategyContext

__all__ = ["Metric", "Strategy"]


@dataclass(frozen=True)
class Metric:
    """A summary metric a strategy computes itself (:meth:`Strategy.metric_values`): its
    meaning, and its value in runs of strategies without it (NaN, or 0 for a count)."""

    doc: str
    absent: float


class Strategy:
    """Base class. Subclasses set the class attributes below and the three hooks."""

    name: ClassVar[str]
    Params: ClassVar[type]
    needs_uplink: ClassVar[bool]
    uses_transport: ClassVar[bool] = True  # runs over TCP connections (transport/)
    sends_up: ClassVar[bool] = True  # can carry client messages ([workload.up])
    pushes: ClassVar[bool] = True  # its server pushes updates ([server] push_time_s applies)
    summary: ClassVar[str]
    metrics: ClassVar[dict[str, Metric]] = {}  # summary metrics of its own, by name
    # the message kinds of its HTTP requests and responses (how HTTP/2 and 3 size them)
    http_heads: ClassVar[tuple[tuple[str, ...], tuple[str, ...]]] = ((), ())

    def __init__(self, context: StrategyContext, params: Any):
        self.context = context
        self.env = context.env
        self.params = params
        self.recorder = context.recorder
        self.http = context.http
        self.clients = context.clients
        self.server = context.server
        self.transport = context.transport
        if self.uses_transport:  # the transport routes arrivals to their connections
            up = down = context.transport.arrive
        else:
            up, down = self.on_up, self.on_down
        self.channels = [context.open_channel(c, up, down) for c in range(self.clients)]
        self.reconnects = 0  # times a client set up again after losing its connection
        self.missed = 0  # (update, client) pairs that will never be delivered
        # Whether updates discarded with a closed connection are lost (True) or come back
        # another way, as SSE's replay does (False).
        self.discards_are_missed = True

    def pending_updates(self) -> int:
        """(update, client) pairs still waiting at the server or a client (messages not
        yet sent, client messages waiting for a connection) at the end of the run."""
        return 0

    def stats(self) -> StrategyStats:
        """Whole-run counters of this strategy, part of the run's statistics."""
        discarded = self.transport.discarded_updates if self.discards_are_missed else 0
        return StrategyStats(
            reconnects=self.reconnects,
            missed_updates=self.missed + discarded,
            pending_updates=(
                self.pending_updates()
                + self.transport.updates_in_transit()
                + self.server.updates_held
            ),
            metrics=self.metric_values(),
        )

    def metric_values(self) -> dict[str, float]:
        """This run's values of :attr:`metrics`, and any metrics named at run time (one
        per Socket.IO room), which the summary appends at its end."""
        return {}

    def start(self) -> None:
        """Start the client processes (called once, at time 0)."""

    def publish(self, update: Update) -> None:
        """The workload created ``update`` at the server, now: push it to each recipient,
        each after the server's push time (server.py). A strategy whose clients fetch
        updates (short polling) overrides this instead of :meth:`push`."""
        self.accept(update)
        push, server = self.push, self.server
        if not server.pushes_take_time:
            for client in self.recipients(update):
                push(update, client)
            return
        for client in self.recipients(update):
            server.push(update, client, push)

    def accept(self, update: Update) -> None:
        """Server bookkeeping once per update, at its creation (before any push)."""

    def recipients(self, update: Update) -> Iterable[int]:
        """The clients the server pushes ``update`` to."""
        return self.targets(update)

    def push(self, update: Update, client: int) -> None:
        """The server sends ``update`` to ``client`` now (its push time is spent)."""
        raise NotImplementedError

    def client_send(self, update: Update) -> None:
        """Client ``update.origin`` created a message for the server, now."""
        raise NotImplementedError(f"{self.name} cannot send client messages")

    def on_up(self, message: Message) -> None:
        raise NotImplementedError(f"{self.name}: unexpected message at the server: {message}")

    def on_down(self, message: Message) -> None:
        raise NotImplementedError(f"{self.name}: unexpected message at a client: {message}")

    def targets_of(self, update: Update) -> int:
        """How many clients an update is meant for (for the delivery accounting)."""
        return self.clients if update.target is None else 1

    def targets(self, update: Update) -> range | tuple[int]:
        return range(self.clients) if update.target is None else (update.target,)

    def deliver(self, message: Message) -> None:
        """Record every update ``message`` carried as delivered to its client, now."""
        self.recorder.deliveries_of(message, message.updates, self.env.now)
