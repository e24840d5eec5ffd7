"""Record levels: how much of a run is kept, in a ``[record]`` table::

    [record]
    level = "summary"     # "full" (the default), "deliveries" or "summary"

* ``full``: every table (:class:`~simulation.recorder.Recorder`);
* ``deliveries``: the updates, deliveries and connections tables; each transfer is
  folded into counters as it happens (:class:`DeliveriesRecorder`);
* ``summary``: no table; updates, deliveries and connections are folded too, latencies
  into sketches whose quantiles are within 0.5% (:class:`SummaryRecorder`).

``summary()`` gives the same metrics at every level (``docs/record-levels.md``). The
recorder class is chosen once per run, so the full level's per-message work is unchanged;
each light recorder's methods replace the full one's whole.
"""

from __future__ import annotations

import math
from array import array
from bisect import bisect_left
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .messages import Message, Update
from .protocols.kinds import TRANSPORT_HANDSHAKE_KINDS
from .recorder import Recorder
from .schema import param
from .sketch import CHUNK
from .tallies import DeliveryTally, Tallies, UpdateTally, counts_frame

__all__ = ["LEVELS", "TABLE_LEVELS", "DeliveriesRecorder", "RecordParams", "SummaryRecorder"]

LEVELS = ("full", "deliveries", "summary")
# the levels that keep each table
TABLE_LEVELS = {
    "transfers": ("full",),
    "updates": ("full", "deliveries"),
    "deliveries": ("full", "deliveries"),
    "connections": ("full", "deliveries"),
}


@dataclass(frozen=True)
class RecordParams:
    """The ``[record]`` table."""

    level: str = param(
        "full",
        "what a run keeps: 'full' every table; 'deliveries' the updates, deliveries and "
        "connections tables, with transfers folded into per-kind counters and byte sums; "
        "'summary' no table, only counters and latency sketches (quantiles within 0.5%). "
        "summary() gives the same metrics at every level; see docs/record-levels.md",
        choices=LEVELS,
        source="every table, as before levels existed; lighter levels save memory",
    )


@dataclass(frozen=True)
class RecordSetup:
    """What a light recorder needs to know of its scenario."""

    warmup_s: float
    end_s: float  # the run's end: later arrivals are still in flight
    groups: tuple[tuple[int, int], ...]  # (first client, clients); one group without groups
    fault_ends: tuple[float, ...]  # when recovery starts (faults known before the run)

    @property
    def clients(self) -> int:
        return sum(count for _first, count in self.groups)


class DeliveriesRecorder(Recorder):
    """Keeps updates, deliveries and connections; folds each transfer into counters."""

    level = "deliveries"
    tables: tuple[str, ...] = ("updates", "deliveries", "connections")

    def __init__(self, setup: RecordSetup):
        super().__init__()
        self.setup = setup
        self._warmup = setup.warmup_s
        self._end = setup.end_s
        self._group_of = [g for g, (_first, count) in enumerate(setup.groups) for _ in range(count)]
        self._counts: dict[tuple[int, str, str, int], list[int]] = {}
        self._syn: dict[tuple[int, int], int] = {}
        ends = [end for end in setup.fault_ends if end < setup.end_s]
        self._recovery_from = min(ends) if ends else math.inf
        self._candidate_ids = array("q")  # increasing: message ids are
        self._candidate_clients = array("q")
        self._candidate_at = array("d")
        self._overrides: dict[int, tuple[int, float]] = {}

    def transfer(
        self,
        message: Message,
        started_at: float,
        received_at: float | None,
        lost: bool,
        dropped: bool,
    ) -> None:
        message.id = self._transfer_count
        self._transfer_count += 1
        group = self._group_of[message.client]
        kind = message.kind
        warm = message.sent_at >= self._warmup
        key = (
            group,
            message.direction,
            kind,
            message.request
            | message.response << 1
            | message.empty << 2
            | lost << 3
            | dropped << 4
            | (message.attempt == 0) << 5
            | warm << 6,
        )
        counts = self._counts.get(key)
        if counts is None:
            counts = self._counts[key] = [0, 0, 0, 0]
        counts[0] += 1
        counts[1] += message.payload_bytes
        counts[2] += message.overhead_bytes
        counts[3] += message.transport_bytes
        if received_at is None or received_at > self._end:
            return
        if kind == "tcp-syn" and warm:
            second = (group, math.floor(received_at))
            self._syn[second] = self._syn.get(second, 0) + 1
        if (
            received_at >= self._recovery_from
            and message.direction == "down"
            and kind not in TRANSPORT_HANDSHAKE_KINDS
        ):
            self._candidate_ids.append(message.id)
            self._candidate_clients.append(message.client)
            self._candidate_at.append(received_at)

    def handed(self, message: Message, at: float) -> None:
        if (
            at != message.received_at
            and self._recovery_from < math.inf
            and message.direction == "down"
            and message.kind not in TRANSPORT_HANDSHAKE_KINDS
        ):
            self._overrides[message.id] = (message.client, at)

    def dataframes(self, end_s: float) -> dict[str, pd.DataFrame]:
        return {
            "updates": self._updates_frame(),
            "deliveries": self._deliveries_frame(),
            "connections": self._connections_frame(),
        }

    def tallies(self, end_s: float) -> Tallies:
        if end_s != self._end:
            raise ValueError(f"the run ended at {end_s} s, not at {self._end} s as planned")
        ids = np.frombuffer(self._candidate_ids, dtype=np.int64)
        clients = np.frombuffer(self._candidate_clients, dtype=np.int64).copy()
        handed = np.frombuffer(self._candidate_at, dtype=np.float64).copy()
        extra_clients, extra_at = [], []
        for message_id, (client, at) in self._overrides.items():
            index = bisect_left(self._candidate_ids, message_id)
            if index < len(ids) and ids[index] == message_id:
                handed[index] = at
            else:  # received before recovery could start, handed on after
                extra_clients.append(client)
                extra_at.append(at)
        return Tallies(
            level=self.level,
            groups=self.setup.groups,
            transfer_counts=counts_frame(self._counts),
            syn_seconds=dict(self._syn),
            recovery_clients=np.concatenate([clients, np.array(extra_clients, dtype=np.int64)]),
            recovery_handed=np.concatenate([handed, np.array(extra_at, dtype=np.float64)]),
        )


class SummaryRecorder(DeliveriesRecorder):
    """Keeps no table: updates, deliveries and connections are folded into counters too."""

    level = "summary"
    tables: tuple[str, ...] = ()

    def __init__(self, setup: RecordSetup):
        super().__init__(setup)
        groups = len(setup.groups)
        self._clients = setup.clients
        self._update_count = 0
        self._update_tallies = [UpdateTally() for _ in range(groups)]
        self._everyone = [0, 0]  # updates meant for every client, their audience
        self._rooms = [0, 0]
        self._in_rooms = False
        self._delivery_tallies = [DeliveryTally() for _ in range(groups)]
        # who got each down update so far: a client, a set, then a bitmap of clients
        self._seen: dict[int, int | set[int] | bytearray] = {}
        self._set_limit = max(8, self._clients >> 9)  # a set's bytes ~ a bitmap's
        self._age_message = -1  # the message whose deliveries are being recorded
        self._age_group = 0
        self._age_newest = -math.inf
        self._age_at = -math.inf
        self._connection_count = 0
        self._opened = [0] * groups
        self._alive: dict[int, int] = {}  # connection id -> 2 * group + opened
        # most connections open at once, per group and for the whole run (last)
        self._level = [0] * (groups + 1)
        self._peak = [0] * (groups + 1)
        self._level_at = [math.nan] * (groups + 1)

    def recorded_updates(self) -> int:
        return self._update_count

    def update(self, update: Update, audience: int = 1) -> None:
        self._update_count += 1
        warm = update.created_at >= self._warmup
        target = update.target
        if update.direction == "up":
            if warm:
                self._update_tallies[self._group_of[update.origin]].up_messages += 1
            return
        if target is None:
            if audience == self._clients:
                counts = self._everyone
            else:
                self._in_rooms = True
                counts = self._rooms
            if warm:
                counts[0] += 1
                counts[1] += audience
        elif warm:
            tally = self._update_tallies[self._group_of[target]]
            tally.updates += 1
            tally.expected += audience

    def deliveries_of(self, message: Message, updates, at: float) -> None:
        client, warmup = message.client, self._warmup
        group = self._group_of[client]
        tally = self._delivery_tallies[group]
        newest = -math.inf
        for update in updates:
            created = update.created_at
            if created < warmup:
                continue
            if update.direction == "up":
                sketch = tally.up
            else:
                sketch = tally.down
                newest = created if created > newest else newest
                if self._duplicate(update.id, client):
                    tally.duplicates += 1
            sketch.pending.append(at - created)
            if len(sketch.pending) >= CHUNK:
                sketch.fold()
        if newest == -math.inf:
            return
        if message.id != self._age_message:  # age at delivery: one value per message
            self._flush_age()
            self._age_message, self._age_group = message.id, group
        self._age_newest = max(self._age_newest, newest)
        self._age_at = max(self._age_at, at)

    def _flush_age(self) -> None:
        if self._age_message >= 0:
            age = self._delivery_tallies[self._age_group].age
            age.pending.append(self._age_at - self._age_newest)
            if len(age.pending) >= CHUNK:
                age.fold()
        self._age_message = -1
        self._age_newest = self._age_at = -math.inf

    def _duplicate(self, update_id: int, client: int) -> bool:
        seen = self._seen.get(update_id)
        if seen is None:
            self._seen[update_id] = client
            return False
        if isinstance(seen, int):
            if seen == client:
                return True
            self._seen[update_id] = {seen, client}
            return False
        if isinstance(seen, set):
            if client in seen:
                return True
            seen.add(client)
            if len(seen) > self._set_limit:
                bitmap = bytearray((self._clients + 7) >> 3)
                for member in seen:
                    bitmap[member >> 3] |= 1 << (member & 7)
                self._seen[update_id] = bitmap
            return False
        byte, bit = client >> 3, 1 << (client & 7)
        if seen[byte] & bit:
            return True
        seen[byte] |= bit
        return False

    def open_connection(self, client: int, kind: str, requested_at: float) -> int:
        connection_id = self._connection_count
        self._connection_count += 1
        group = self._group_of[client]
        self._opened[group] += 1
        self._alive[connection_id] = 2 * group
        return connection_id

    def connection_opened(self, connection_id: int, at: float) -> None:
        state = self._alive.get(connection_id)
        if state is None or state & 1:
            return
        self._alive[connection_id] = state | 1
        self._step(state >> 1, at, 1)

    def connection_ready(self, connection_id: int, at: float) -> None:
        pass

    def connection_closed(self, connection_id: int, at: float, reason: str) -> None:
        state = self._alive.pop(connection_id, None)
        if state is not None and state & 1:
            self._step(state >> 1, at, -1)

    def _step(self, group: int, at: float, change: int) -> None:
        """Most open at once, with closes before opens at equal times: the level after
        every event at one time counts, not one in between."""
        for slot in (group, -1):
            if at != self._level_at[slot]:
                self._peak[slot] = max(self._peak[slot], self._level[slot])
                self._level_at[slot] = at
            self._level[slot] += change

    def dataframes(self, end_s: float) -> dict[str, pd.DataFrame]:
        return {}

    def tallies(self, end_s: float) -> Tallies:
        self._flush_age()
        for tally in self._delivery_tallies:
            for sketch in (tally.down, tally.up, tally.age):
                sketch.fold()
        tallies = super().tallies(end_s)
        tallies.level = self.level
        tallies.deliveries = self._delivery_tallies
        tallies.updates = self._update_tallies
        tallies.everyone, tallies.everyone_expected = self._everyone
        tallies.rooms, tallies.rooms_expected = self._rooms
        tallies.in_rooms = self._in_rooms
        tallies.connections_opened = list(self._opened)
        tallies.peak_connections = [max(p, v) for p, v in zip(self._peak, self._level, strict=True)]
        return tallies


def make_recorder(level: str, setup: RecordSetup) -> Recorder:
    """The recorder of ``level``: chosen once, before the run."""
    if level == "full":
        return Recorder()
    if level == "deliveries":
        return DeliveriesRecorder(setup)
    if level == "summary":
        return SummaryRecorder(setup)
    raise ValueError(f"[record] level: unknown level {level!r} (allowed: {', '.join(LEVELS)})")
