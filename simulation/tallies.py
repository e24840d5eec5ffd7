"""What the lighter record levels keep instead of tables, and the summary metrics they give.

``[record] level = "deliveries"`` folds the transfers into :attr:`Tallies.transfer_counts`
(one row per client group, direction, kind and flag combination, with message counts and
byte sums), the SYN arrivals per second and the few rows the recovery metric needs.
``"summary"`` also folds updates, deliveries and connections into per-group counters and
:class:`~simulation.sketch.ValueSketch` es. :mod:`simulation.metrics` reads either; each
function here gives the same numbers :mod:`simulation.metrics` gets from the tables (see
``docs/record-levels.md``).

Groups are numbered in scenario order (one group, number 0, without ``[[groups]]``);
``group=None`` means the whole run.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .protocols.kinds import category_of
from .sketch import ValueSketch

__all__ = ["COUNT_COLUMNS", "DeliveryTally", "Tallies", "UpdateTally"]

# the flag columns of transfer_counts, bit by bit as the light recorders pack them
FLAG_BITS = ("request", "response", "empty", "lost", "dropped", "first", "warm")
COUNT_COLUMNS = ("messages", "payload_bytes", "overhead_bytes", "transport_bytes")


@dataclass
class DeliveryTally:
    """One group's deliveries at the summary level (created at or after the warm-up)."""

    down: ValueSketch = field(default_factory=ValueSketch)  # latency of each delivery
    up: ValueSketch = field(default_factory=ValueSketch)  # latency of each client message
    age: ValueSketch = field(default_factory=ValueSketch)  # one value per message
    duplicates: int = 0


@dataclass
class UpdateTally:
    """One group's updates at the summary level (created at or after the warm-up).

    ``updates`` and ``expected`` count only updates meant for this group's clients alone
    (targeted ones); updates meant for every client are in :attr:`Tallies.everyone`.
    """

    updates: int = 0
    expected: int = 0
    up_messages: int = 0


def counts_frame(counts: dict[tuple[int, str, str, int], list[int]]) -> pd.DataFrame:
    """``transfer_counts`` from the light recorders' dict: (group, direction, kind, flag
    bits) -> [messages, payload, overhead, transport]."""
    keys = list(counts)
    bits = np.array([key[3] for key in keys], dtype=np.int64)
    frame: dict[str, object] = {
        "group": np.array([key[0] for key in keys], dtype=np.int64),
        "direction": pd.Categorical([key[1] for key in keys], categories=["down", "up"]),
        "kind": pd.Categorical([key[2] for key in keys]),
    }
    for bit, name in enumerate(FLAG_BITS):
        frame[name] = (bits >> bit & 1).astype(bool)
    sums = np.array([counts[key] for key in keys], dtype=np.int64).reshape(-1, 4)
    for column, name in enumerate(COUNT_COLUMNS):
        frame[name] = sums[:, column]
    return pd.DataFrame(frame)


def transfer_values(counts: pd.DataFrame) -> dict[str, int]:
    """The transfer metrics of :func:`simulation.metrics.summarize` from counts already
    restricted to the measured rows (``warm``) and the group asked for."""
    first = counts["first"]
    n = counts["messages"]
    on_wire = counts["payload_bytes"] + counts["overhead_bytes"] + counts["transport_bytes"]
    handshake = counts["kind"].astype(str).map(category_of) == "handshake"
    return {
        "messages": int(n.sum()),
        "requests": int(n[counts["request"] & first].sum()),
        "responses": int(n[counts["response"] & first].sum()),
        "empty_responses": int(n[counts["empty"] & first].sum()),
        "payload_bytes": int(counts["payload_bytes"].sum()),
        "overhead_bytes": int(counts["overhead_bytes"].sum()),
        "transport_bytes": int(counts["transport_bytes"].sum()),
        "handshake_bytes": int(on_wire[handshake].sum()),
        "lost_messages": int(n[counts["lost"] & ~counts["dropped"]].sum()),
        "dropped_messages": int(n[counts["dropped"]].sum()),
        "retransmissions": int(n[~first].sum()),
        "retransmitted_bytes": int(on_wire[~first].sum()),
    }


@dataclass
class Tallies:
    """Everything a light record level keeps of one run (see the module docstring)."""

    level: str
    groups: tuple[tuple[int, int], ...]  # (first client, clients) of each group
    transfer_counts: pd.DataFrame
    syn_seconds: dict[tuple[int, int], int]  # (group, whole second) -> SYNs arriving
    recovery_clients: np.ndarray  # down application messages that may end a recovery ...
    recovery_handed: np.ndarray  # ... when their transport handed them on (NaN: never)
    # the summary level only (None at "deliveries": the tables have them)
    deliveries: list[DeliveryTally] | None = None
    updates: list[UpdateTally] | None = None
    everyone: int = 0  # updates meant for every client (each group gets them all)
    everyone_expected: int = 0  # their audience, summed
    rooms: int = 0  # updates meant for a room (Socket.IO): in the whole run's counts only
    rooms_expected: int = 0
    in_rooms: bool = False  # some update went to a room: audience not split by group
    connections_opened: list[int] | None = None  # per group
    peak_connections: list[int] | None = None  # per group, then the whole run last

    def counts(self, group: int | None) -> pd.DataFrame:
        """The measured (``warm``) transfer counts of ``group`` (None: every group)."""
        counts = self.transfer_counts
        keep = counts["warm"]
        if group is not None:
            keep = keep & (counts["group"] == group)
        return counts[keep]

    def storm_peak(self, group: int | None) -> int:
        per_second: dict[int, int] = {}
        for (g, second), n in self.syn_seconds.items():
            if group is None or g == group:
                per_second[second] = per_second.get(second, 0) + n
        return max(per_second.values(), default=0)

    def recovery(self, fault_ends: Sequence[float], end_s: float, group: int | None) -> float:
        """:func:`simulation.metrics._recovery` from the rows kept for it."""
        fault_ends = [end for end in fault_ends if end < end_s]
        if not fault_ends:
            return math.nan
        first, count = self._range(group)
        clients, handed = self.recovery_clients, self.recovery_handed
        mine = (clients >= first) & (clients < first + count) & ~np.isnan(handed)
        clients, handed = clients[mine], handed[mine]
        worst = 0.0
        for end in fault_ends:
            after = pd.Series(handed[handed >= end]).groupby(clients[handed >= end]).min()
            if len(after) < count:
                return math.inf
            worst = max(worst, float(after.max()) - end)
        return worst

    def _range(self, group: int | None) -> tuple[int, int]:
        if group is None:
            return 0, sum(count for _first, count in self.groups)
        return self.groups[group]

    # -- the summary level -----------------------------------------------------------------

    def delivery(self, group: int | None) -> DeliveryTally:
        """``group``'s delivery tally, or every group's merged."""
        assert self.deliveries is not None
        if group is not None:
            return self.deliveries[group]
        if len(self.deliveries) == 1:
            return self.deliveries[0]
        whole = DeliveryTally()
        for part in self.deliveries:
            whole.down.merge(part.down)
            whole.up.merge(part.up)
            whole.age.merge(part.age)
            whole.duplicates += part.duplicates
        return whole

    def update_counts(self, group: int | None) -> tuple[int, int, int]:
        """(updates, expected deliveries, client messages) meant for ``group``."""
        assert self.updates is not None
        parts = self.updates if group is None else [self.updates[group]]
        updates = self.everyone + sum(p.updates for p in parts)
        if group is None:
            updates += self.rooms
            expected = self.everyone_expected + self.rooms_expected
        else:
            expected = self.everyone * self.groups[group][1]
        expected += sum(p.expected for p in parts)
        return updates, expected, sum(p.up_messages for p in parts)

    def connection_counts(self, group: int | None) -> tuple[int, int]:
        """(connections asked for, most open at once) of ``group``."""
        assert self.connections_opened is not None and self.peak_connections is not None
        if group is None:
            return sum(self.connections_opened), self.peak_connections[-1]
        return self.connections_opened[group], self.peak_connections[group]
