"""What the real stack replays: when each update is created, how big it is, who gets it,
when each client starts and when it sends its own messages, taken from an rtsim run of
the same scenario.

Replaying rtsim's own arrival times and client start times (rather than drawing new ones)
means the measurement and the simulation differ only in what the model leaves out, not in
the luck of the draw. Times are seconds from the start of the run; sizes are bytes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pandas as pd

__all__ = ["Schedule", "parse_update_ids", "payload_text"]

ALL_CLIENTS = -1
CLIENT_MESSAGE_COLUMNS = ("update_id", "created_at", "payload_bytes", "origin")


@dataclass(frozen=True)
class Schedule:
    """Updates (``update_id``, ``created_at``, ``payload_bytes``, ``target``; a target of
    -1 means every client), one start time per client, over ``duration_s`` seconds, and
    the clients' own messages that rtsim delivered (``update_id``, ``created_at``,
    ``payload_bytes``, ``origin``: the client sending it)."""

    updates: pd.DataFrame
    client_starts: tuple[float, ...]
    duration_s: float
    client_messages: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame({name: [] for name in CLIENT_MESSAGE_COLUMNS})
    )

    @property
    def clients(self) -> int:
        return len(self.client_starts)

    @classmethod
    def from_result(cls, result) -> Schedule:
        """The server updates and client start times of an rtsim :class:`Result`.

        A client starts when it first asks for a connection (its phase, for polling).
        """
        scenario = result.scenario
        server = (result.updates["direction"] == "down") & (result.updates["origin"] < 0)
        updates = result.updates[server]  # not the server's relays of client messages
        updates = updates[["update_id", "created_at", "payload_bytes", "target"]]
        # the client messages rtsim delivered (not those due before their client connected)
        deliveries = result.deliveries
        delivered = deliveries.loc[deliveries["direction"] == "up", "update_id"]
        up = (result.updates["direction"] == "up") & result.updates["update_id"].isin(delivered)
        messages = result.updates.loc[up, list(CLIENT_MESSAGE_COLUMNS)]
        starts = result.connections.groupby("client")["requested_at"].min()
        client_starts = tuple(float(starts.get(c, 0.0)) for c in range(scenario.clients))
        return cls(
            updates.reset_index(drop=True),
            client_starts,
            scenario.duration_s,
            messages.reset_index(drop=True),
        )


_RECORD = re.compile(r"(\d+);p*")


def payload_text(update_id: int, payload_bytes: int) -> str:
    """The payload of update ``update_id``: its id, ``;``, then ``p`` up to
    ``payload_bytes`` characters (all ASCII, so characters are bytes, and nothing a JSON
    string, an SSE data line or a WebSocket frame would escape)."""
    head = f"{update_id};"
    if payload_bytes < len(head):
        raise ValueError(f"a payload of {payload_bytes} bytes cannot carry id {update_id}")
    return head + "p" * (payload_bytes - len(head))


def parse_update_ids(text: str) -> list[int]:
    """The update ids in ``text``: one payload, or several written back to back."""
    return [int(match) for match in _RECORD.findall(text)]
