"""The outcome of one run: its scenario, seed, DataFrames and summary."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import pandas as pd

from .groups import group_names_of
from .metrics import summarize, summarize_groups
from .recorder import Recorder
from .run_stats import RunStats
from .scenario import Scenario

__all__ = ["Result"]


@dataclass
class Result:
    """Everything one run produced.

    DataFrames (built once, on first access):

    * ``deliveries``: update_id, client, message_id, created_at, sent_at, delivered_at,
      latency_s; one row per update delivered to one client.
    * ``transfers``: message_id, client, direction ("up" client -> server, "down" server ->
      client), kind, request, response, empty, updates (how many it carried), sent_at
      (offered to the channel), started_at (first bit on the medium; NaN if dropped),
      received_at (NaN if lost or still in flight), handed_at (when the receiver's
      transport handed it on: later than received_at behind a lost message, NaN if
      never), payload_bytes, overhead_bytes
      (application protocol), transport_bytes (IP/TCP headers, TLS records),
      connection_id (-1 without a connection), seq (its sequence number on that
      connection and direction, -1 without one), attempt (0, or n for the n-th
      retransmission), lost, dropped (by a full queue; dropped messages are also lost),
      in_flight.
    * ``connections``: connection_id, client, kind, requested_at, opened_at (set-up done),
      ready_at (application protocol ready), closed_at (NaN while open), close_reason.
    * ``updates``: update_id, created_at, payload_bytes, target (-1 for every client),
      direction, origin (the sending client of a client message), audience (how many
      clients it is meant for).

    With client groups, ``deliveries``, ``transfers`` and ``connections`` also have a
    ``group`` column (categorical: the group of the row's client).

    Times are seconds of simulated time, sizes bytes.
    """

    scenario: Scenario
    seed: int
    end_s: float
    wall_s: float
    recorder: Recorder | None = field(repr=False)
    stats: RunStats = field(default_factory=RunStats)

    @cached_property
    def _frames(self) -> dict[str, pd.DataFrame]:
        assert self.recorder is not None, "the frames are built once, from the recorder"
        frames = self.recorder.dataframes(self.end_s)
        self.recorder = None  # the columns now live in the DataFrames
        if self.scenario.groups:  # each per-client row says which group its client is in
            for name in ("deliveries", "transfers", "connections"):
                frame = frames[name]
                frame["group"] = group_names_of(self.scenario.groups, frame["client"])
        return frames

    @property
    def deliveries(self) -> pd.DataFrame:
        return self._frames["deliveries"]

    @property
    def transfers(self) -> pd.DataFrame:
        return self._frames["transfers"]

    @property
    def connections(self) -> pd.DataFrame:
        return self._frames["connections"]

    @property
    def updates(self) -> pd.DataFrame:
        return self._frames["updates"]

    def summary(self, by: str | None = None) -> pd.Series | pd.DataFrame:
        """Summary metrics (see :data:`simulation.metrics.SUMMARY_METRICS`).

        ``by="group"``: a DataFrame with one row per client group (one row, ``all``, for a
        scenario without groups) and the same metrics, computed from that group's rows.
        Counters the server keeps for the whole run (server work, memory, Socket.IO
        fan-out and acks, reconnects) are NaN in those rows.
        """
        if by is None:
            return summarize(self)
        if by != "group":
            raise ValueError(f"summary(by=...) groups by 'group' only, got {by!r}")
        return summarize_groups(self)
