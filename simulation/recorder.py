"""Append-only columnar records of one run, turned into pandas DataFrames once at the end.

Columns are :mod:`array` arrays (8 bytes or less per value, no Python object per row);
text columns such as a message's kind are stored as small integer codes and become pandas
categoricals. Four tables are kept:

* ``updates``: one row per update created by the workload;
* ``transfers``: one row per message offered to a channel (lost or not);
* ``deliveries``: one row per update delivered to one client;
* ``connections``: one row per connection a client asked for.
"""

from __future__ import annotations

import math
from array import array

import numpy as np
import pandas as pd

from .messages import Message, Update

__all__ = ["Recorder"]

NO_TARGET = -1


class _Codes:
    """Maps text values to small integers, in order of first use."""

    def __init__(self):
        self.codes: dict[str, int] = {}

    def __call__(self, text: str) -> int:
        code = self.codes.get(text)
        if code is None:
            code = self.codes[text] = len(self.codes)
        return code

    def categorical(self, codes: array) -> pd.Categorical:
        return pd.Categorical.from_codes(np.asarray(codes, dtype=np.int16), list(self.codes))


class Recorder:
    """Collects the rows of one run; see the module docstring for the tables."""

    def __init__(self):
        self._kinds = _Codes()
        self._directions = _Codes()
        self._reasons = _Codes()
        self._reasons("")  # code 0: not closed
        self._directions("down")  # fixed codes, so both categories always exist
        self._directions("up")
        self.updates = {
            "update_id": array("q"),
            "created_at": array("d"),
            "payload_bytes": array("q"),
            "target": array("q"),
            "direction": array("b"),
            "origin": array("q"),
            "audience": array("q"),
        }
        self.transfers = {
            "message_id": array("q"),
            "client": array("q"),
            "direction": array("b"),
            "kind": array("h"),
            "flags": array("b"),  # request, response, empty, lost, dropped: one bit each
            "updates": array("l"),
            "sent_at": array("d"),
            "started_at": array("d"),
            "received_at": array("d"),
            "payload_bytes": array("q"),
            "overhead_bytes": array("q"),
            "transport_bytes": array("q"),
            "connection_id": array("q"),
            "seq": array("q"),
            "attempt": array("l"),
        }
        # handed_at is received_at except where these say otherwise (a message that waited
        # behind a lost one, or one never handed on: NaN); few messages, so a dict
        self._handed: dict[int, float] = {}
        self.deliveries = {
            "direction": array("b"),
            "update_id": array("q"),
            "client": array("q"),
            "message_id": array("q"),
            "created_at": array("d"),
            "sent_at": array("d"),
            "delivered_at": array("d"),
        }
        self.connections = {
            "connection_id": array("q"),
            "client": array("q"),
            "kind": array("h"),
            "requested_at": array("d"),
            "opened_at": array("d"),
            "ready_at": array("d"),
            "closed_at": array("d"),
            "close_reason": array("h"),
        }

    # -- recording -------------------------------------------------------------------------

    def update(self, update: Update, audience: int = 1) -> None:
        """Record ``update``, meant for ``audience`` clients (1 for a client message)."""
        columns = self.updates
        columns["update_id"].append(update.id)
        columns["created_at"].append(update.created_at)
        columns["payload_bytes"].append(update.payload_bytes)
        columns["target"].append(NO_TARGET if update.target is None else update.target)
        columns["direction"].append(self._directions(update.direction))
        columns["origin"].append(update.origin)
        columns["audience"].append(audience)

    def transfer(
        self,
        message: Message,
        started_at: float,
        received_at: float | None,
        lost: bool,
        dropped: bool,
    ) -> None:
        """Record ``message`` as offered to a channel; this assigns ``message.id``.

        This runs for every message, so it is written for speed: codes are looked up
        directly and the five flags share one byte.
        """
        columns = self.transfers
        message.id = len(columns["message_id"])
        columns["message_id"].append(message.id)
        columns["client"].append(message.client)
        code = self._directions.codes.get(message.direction)
        columns["direction"].append(
            code if code is not None else self._directions(message.direction)
        )
        code = self._kinds.codes.get(message.kind)
        columns["kind"].append(code if code is not None else self._kinds(message.kind))
        columns["flags"].append(
            message.request | message.response << 1 | message.empty << 2 | lost << 3 | dropped << 4
        )
        columns["updates"].append(len(message.updates))
        columns["sent_at"].append(message.sent_at)
        columns["started_at"].append(started_at)
        columns["received_at"].append(math.nan if received_at is None else received_at)
        columns["payload_bytes"].append(message.payload_bytes)
        columns["overhead_bytes"].append(message.overhead_bytes)
        columns["transport_bytes"].append(message.transport_bytes)
        connection = message.connection
        columns["connection_id"].append(-1 if connection is None else connection.id)
        columns["seq"].append(message.seq)
        columns["attempt"].append(message.attempt)

    def handed(self, message: Message, at: float) -> None:
        """The receiver's transport handed ``message`` on at ``at`` (NaN: never)."""
        if at != message.received_at:
            self._handed[message.id] = at

    def deliveries_of(self, message: Message, updates, at: float) -> None:
        """Record every update in ``updates`` as delivered by ``message`` at ``at``.

        ``at`` is the message's arrival, or later when the transport held it back for an
        earlier message that had to be retransmitted (head-of-line blocking). One call per
        message keeps the per-update work to the appends alone.
        """
        columns = self.deliveries
        direction, update_id, client = (
            columns["direction"],
            columns["update_id"],
            columns["client"],
        )
        message_id, created_at = columns["message_id"], columns["created_at"]
        sent_at, delivered_at = columns["sent_at"], columns["delivered_at"]
        codes = self._directions.codes
        for update in updates:
            code = codes.get(update.direction)
            direction.append(code if code is not None else self._directions(update.direction))
            update_id.append(update.id)
            client.append(message.client)
            message_id.append(message.id)
            created_at.append(update.created_at)
            sent_at.append(message.sent_at)
            delivered_at.append(at)

    def open_connection(self, client: int, kind: str, requested_at: float) -> int:
        """Start a connection row; returns its id for the calls below."""
        columns = self.connections
        connection_id = len(columns["connection_id"])
        columns["connection_id"].append(connection_id)
        columns["client"].append(client)
        columns["kind"].append(self._kinds(kind))
        columns["requested_at"].append(requested_at)
        columns["opened_at"].append(math.nan)
        columns["ready_at"].append(math.nan)
        columns["closed_at"].append(math.nan)
        columns["close_reason"].append(0)
        return connection_id

    def connection_opened(self, connection_id: int, at: float) -> None:
        """The client may send on it (after TCP and TLS set-up)."""
        self.connections["opened_at"][connection_id] = at

    def connection_ready(self, connection_id: int, at: float) -> None:
        """The application protocol is ready (a WebSocket's 101, an SSE stream's headers)."""
        self.connections["ready_at"][connection_id] = at

    def connection_closed(self, connection_id: int, at: float, reason: str) -> None:
        self.connections["closed_at"][connection_id] = at
        self.connections["close_reason"][connection_id] = self._reasons(reason)

    # -- results ---------------------------------------------------------------------------

    def dataframes(self, end_s: float) -> dict[str, pd.DataFrame]:
        """The four tables as DataFrames, as seen at simulated time ``end_s``.

        A message still travelling at ``end_s`` has ``received_at`` NaN and ``in_flight``
        True; a connection still open has ``closed_at`` NaN.
        """
        updates = pd.DataFrame({name: np.asarray(col) for name, col in self.updates.items()})
        updates["direction"] = self._directions.categorical(self.updates["direction"])

        t = {name: np.asarray(col) for name, col in self.transfers.items()}
        flags = t.pop("flags")
        for bit, flag in enumerate(("request", "response", "empty", "lost", "dropped")):
            t[flag] = (flags >> bit & 1).astype(bool)
        handed = t["received_at"].copy()
        if self._handed:
            ids = np.fromiter(self._handed.keys(), dtype=np.int64, count=len(self._handed))
            handed[ids] = np.fromiter(self._handed.values(), dtype=float, count=len(ids))
        arrived = t["received_at"] <= end_s
        t["received_at"] = np.where(arrived, t["received_at"], np.nan)
        t["handed_at"] = np.where(handed <= end_s, handed, np.nan)
        t["in_flight"] = ~t["lost"] & ~arrived
        order = [
            "message_id",
            "client",
            "direction",
            "kind",
            "request",
            "response",
            "empty",
            "updates",
            "sent_at",
            "started_at",
            "received_at",
            "handed_at",
            "payload_bytes",
            "overhead_bytes",
            "transport_bytes",
            "connection_id",
            "seq",
            "attempt",
            "lost",
            "dropped",
            "in_flight",
        ]
        t = {name: t[name] for name in order}
        t["direction"] = self._directions.categorical(self.transfers["direction"])
        t["kind"] = self._kinds.categorical(self.transfers["kind"])
        transfers = pd.DataFrame(t)

        deliveries = pd.DataFrame({name: np.asarray(col) for name, col in self.deliveries.items()})
        deliveries["direction"] = self._directions.categorical(self.deliveries["direction"])
        deliveries["latency_s"] = deliveries["delivered_at"] - deliveries["created_at"]

        c = {name: np.asarray(col) for name, col in self.connections.items()}
        c["kind"] = self._kinds.categorical(self.connections["kind"])
        c["close_reason"] = self._reasons.categorical(self.connections["close_reason"])
        connections = pd.DataFrame(c)
        return {
            "updates": updates,
            "transfers": transfers,
            "deliveries": deliveries,
            "connections": connections,
        }
