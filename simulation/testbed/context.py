"""What the real servers and clients of one run share: the schedule, the update feed, the
measurements, the clock, and each client's place in the feed."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from .feed import RealUpdate, UpdateFeed
from .measurements import Measurements
from .schedule import ALL_CLIENTS, Schedule, parse_update_ids, payload_text

__all__ = ["Testbed"]


@dataclass
class Testbed:
    """One run's shared state. ``origin`` is the event-loop time of the run's t = 0."""

    schedule: Schedule
    origin: float = 0.0
    feed: UpdateFeed = field(default_factory=UpdateFeed)
    measurements: Measurements = field(default_factory=Measurements)
    cursors: dict[int, int] = field(default_factory=dict)

    def now(self) -> float:
        """Seconds since the run's start."""
        return asyncio.get_running_loop().time() - self.origin

    def take(self, client: int) -> list[RealUpdate]:
        """The updates for ``client`` appended since the last call for it."""
        start = self.cursors.get(client, 0)
        updates = self.feed.updates[start:]
        self.cursors[client] = start + len(updates)
        return [u for u in updates if u.target in (ALL_CLIENTS, client)]

    def skip(self, client: int) -> list[RealUpdate]:
        """Move ``client``'s cursor to the end of the feed (a new subscriber); returns []."""
        self.cursors[client] = len(self.feed.updates)
        return []

    def after(self, client: int, last_id: int) -> list[RealUpdate]:
        """The updates for ``client`` with ids above ``last_id`` (a replay), and moves the
        client's cursor to the end of the feed."""
        self.cursors[client] = len(self.feed.updates)
        return [
            u
            for u in self.feed.updates
            if u.update_id > last_id and u.target in (ALL_CLIENTS, client)
        ]

    @staticmethod
    def body(updates: list[RealUpdate]) -> str:
        """The payloads of ``updates`` written back to back."""
        return "".join(payload_text(u.update_id, u.payload_bytes) for u in updates)

    def received(self, client: int, text: str) -> None:
        """Record, at this moment, the receipt of every update whose payload is in ``text``."""
        now = self.now()
        for update_id in parse_update_ids(text):
            self.measurements.receive(update_id, client, now)
