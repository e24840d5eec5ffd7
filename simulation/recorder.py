"""Append-only columnar records of one run, turned into pandas DataFrames once at the end.

No Python object is kept per row. Rows written once (updates, transfers, deliveries) are
packed with :mod:`struct` into one bytearray per table; connection rows, which are filled
in as a connection opens and closes, are :mod:`array` columns. Text columns such as a
message's kind are stored as small integer codes and become pandas categoricals. Four
tables are kept:

* ``updates``: one row per update created by the workload;
* ``transfers``: one row per message offered to a channel (lost or not);
* ``deliveries``: one row per update delivered to one client;
* ``connections``: one row per connection a client asked for.

Bounds of the packed fields, and what keeps values within them: sizes (``payload_bytes``,
``overhead_bytes``, ``transport_bytes``) are signed 64-bit (``q``); scenario validation
caps every size at :data:`~simulation.inputs.MAX_BYTES` (1e12 bytes), and the workload
caps payload draws there, so sums over millions of messages stay exact. Ids, clients and
sequence numbers are ``q`` too, far beyond any run the budget check
(:mod:`simulation.budget`) lets start. ``updates`` per message and ``attempt`` are 32-bit
(``i``): within that budget a message never carries 2**31 updates, nor is it resent
2**31 times (each resend is a message on the wire, which the budget counts). ``kind``
is a 16-bit code (``h``) for the fixed set of message kinds; ``direction`` and ``flags``
are 8-bit (``b``).
"""

from __future__ import annotations

import math
import struct
from array import array
from typing import Any

import numpy as np
import pandas as pd

from .messages import Message, Update

__all__ = ["Recorder"]

NO_TARGET = -1


class PackedRows:
    """An append-only table whose rows are packed by :mod:`struct` into one bytearray.

    ``fields`` are ``(name, struct code)`` pairs, in order; codes are little-endian with
    standard sizes and no padding, so a row of ``b``, ``q`` and ``d`` takes 17 bytes.
    Writing a row is one ``pack`` and one bytearray extend, several times faster than one
    append per column. Read back, integer columns are int64 and doubles float64.
    """

    __slots__ = ("_dtype", "fields", "pack", "row_bytes", "rows")

    def __init__(self, fields: tuple[tuple[str, str], ...]):
        self.fields = fields
        layout = struct.Struct("<" + "".join(code for _name, code in fields))
        self.pack = layout.pack
        self.row_bytes = layout.size
        self._dtype = np.dtype([(name, "<" + code) for name, code in fields])
        self.rows = bytearray()

    def __len__(self) -> int:
        return len(self.rows) // self.row_bytes

    def columns(self) -> dict[str, np.ndarray]:
        """One contiguous numpy array per field."""
        rows = np.frombuffer(self.rows, dtype=self._dtype)
        return {
            name: rows[name].astype(np.float64 if code == "d" else np.int64)
            for name, code in self.fields
        }


class _Codes:
    """Maps text values to small integers, in order of first use."""

    def __init__(self):
        self.codes: dict[str, int] = {}

    def __call__(self, text: str) -> int:
        code = self.codes.get(text)
        if code is None:
            code = self.codes[text] = len(self.codes)
        return code

    def categorical(self, codes) -> pd.Categorical:
        return pd.Categorical.from_codes(np.asarray(codes, dtype=np.int16), list(self.codes))


class Recorder:
    """Collects the rows of one run; see the module docstring for the tables.

    This is ``[record] level = "full"``; lighter levels are in :mod:`simulation.record`.
    """

    level = "full"
    tables: tuple[str, ...] = ("updates", "transfers", "deliveries", "connections")

    def __init__(self):
        self._kinds = _Codes()
        self._directions = _Codes()
        self._reasons = _Codes()
        self._reasons("")  # code 0: not closed
        self._directions("down")  # fixed codes, so both categories always exist
        self._directions("up")
        # the code tables themselves, read on every transfer
        self._kind_codes = self._kinds.codes
        self._direction_codes = self._directions.codes
        self.updates = PackedRows(
            (
                ("update_id", "q"),
                ("created_at", "d"),
                ("payload_bytes", "q"),
                ("target", "q"),
                ("direction", "b"),
                ("origin", "q"),
                ("audience", "q"),
            )
        )
        # message_id is the row number
        self.transfers = PackedRows(
            (
                ("client", "q"),
                ("direction", "b"),
                ("kind", "h"),
                ("flags", "b"),  # request, response, empty, lost, dropped: one bit each
                ("updates", "i"),
                ("sent_at", "d"),
                ("started_at", "d"),
                ("received_at", "d"),
                ("payload_bytes", "q"),
                ("overhead_bytes", "q"),
                ("transport_bytes", "q"),
                ("connection_id", "q"),
                ("seq", "q"),
                ("attempt", "i"),
            )
        )
        # len(self.transfers) too, but counted: len() is a Python call on the hot path
        self._transfer_count = 0
        # handed_at is received_at except where these say otherwise (a message that waited
        # behind a lost one, or one never handed on: NaN); few messages, so a dict
        self._handed: dict[int, float] = {}
        self.deliveries = PackedRows(
            (
                ("direction", "b"),
                ("update_id", "q"),
                ("client", "q"),
                ("message_id", "q"),
                ("created_at", "d"),
                ("sent_at", "d"),
                ("delivered_at", "d"),
            )
        )
        self.connections: dict[str, array[Any]] = {
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
        updates = self.updates
        updates.rows += updates.pack(
            update.id,
            update.created_at,
            update.payload_bytes,
            NO_TARGET if update.target is None else update.target,
            self._directions(update.direction),
            update.origin,
            audience,
        )

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
        directly (a message's direction is always ``"down"`` or ``"up"``), the five flags
        share one number and the row is written in one call.
        """
        message.id = count = self._transfer_count
        self._transfer_count = count + 1
        kind = self._kind_codes.get(message.kind)
        if kind is None:
            kind = self._kinds(message.kind)
        connection = message.connection
        transfers = self.transfers
        transfers.rows += transfers.pack(
            message.client,
            self._direction_codes[message.direction],
            kind,
            message.request | message.response << 1 | message.empty << 2 | lost << 3 | dropped << 4,
            len(message.updates),
            message.sent_at,
            started_at,
            math.nan if received_at is None else received_at,
            message.payload_bytes,
            message.overhead_bytes,
            message.transport_bytes,
            -1 if connection is None else connection.id,
            message.seq,
            message.attempt,
        )

    def handed(self, message: Message, at: float) -> None:
        """The receiver's transport handed ``message`` on at ``at`` (NaN: never)."""
        if at != message.received_at:
            self._handed[message.id] = at

    def deliveries_of(self, message: Message, updates, at: float) -> None:
        """Record every update in ``updates`` as delivered by ``message`` at ``at``.

        ``at`` is the message's arrival, or later when the transport held it back for an
        earlier message that had to be retransmitted (head-of-line blocking). One call per
        message keeps the per-update work to one packed row.
        """
        deliveries = self.deliveries
        pack = deliveries.pack
        rows = deliveries.rows
        codes = self._directions.codes
        client, message_id, sent_at = message.client, message.id, message.sent_at
        for update in updates:
            code = codes.get(update.direction)
            rows += pack(
                code if code is not None else self._directions(update.direction),
                update.id,
                client,
                message_id,
                update.created_at,
                sent_at,
                at,
            )

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

    def recorded_updates(self) -> int:
        """Updates (and client messages) recorded so far."""
        return len(self.updates)

    def tallies(self, end_s: float) -> Any:
        """The counters lighter levels keep instead of tables (none at this level)."""
        return None

    def dataframes(self, end_s: float) -> dict[str, pd.DataFrame]:
        """The four tables as DataFrames, as seen at simulated time ``end_s``.

        A message still travelling at ``end_s`` has ``received_at`` NaN and ``in_flight``
        True; a connection still open has ``closed_at`` NaN.
        """
        return {
            "updates": self._updates_frame(),
            "transfers": self._transfers_frame(end_s),
            "deliveries": self._deliveries_frame(),
            "connections": self._connections_frame(),
        }

    def _updates_frame(self) -> pd.DataFrame:
        updates = pd.DataFrame(self.updates.columns())
        updates["direction"] = self._directions.categorical(updates["direction"])
        return updates

    def _transfers_frame(self, end_s: float) -> pd.DataFrame:
        t = {"message_id": np.arange(len(self.transfers), dtype=np.int64)}
        t.update(self.transfers.columns())
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
        t["direction"] = self._directions.categorical(t["direction"])
        t["kind"] = self._kinds.categorical(t["kind"])
        return pd.DataFrame(t)

    def _deliveries_frame(self) -> pd.DataFrame:
        deliveries = pd.DataFrame(self.deliveries.columns())
        deliveries["direction"] = self._directions.categorical(deliveries["direction"])
        deliveries["latency_s"] = deliveries["delivered_at"] - deliveries["created_at"]
        return deliveries

    def _connections_frame(self) -> pd.DataFrame:
        c = {name: np.asarray(col) for name, col in self.connections.items()}
        c["kind"] = self._kinds.categorical(self.connections["kind"])
        c["close_reason"] = self._reasons.categorical(self.connections["close_reason"])
        return pd.DataFrame(c)
