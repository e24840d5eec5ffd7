"""The outcome of one run: its scenario, seed, DataFrames and summary."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import pandas as pd

from .metrics import summarize
from .recorder import Recorder
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

    Times are seconds of simulated time, sizes bytes.
    """

    scenario: Scenario
    seed: int
    end_s: float
    wall_s: float
    recorder: Recorder = field(repr=False)
    stats: dict = field(default_factory=dict)

    @cached_property
    def _frames(self) -> dict[str, pd.DataFrame]:
        frames = self.recorder.dataframes(self.end_s)
        self.recorder = None  # the columns now live in the DataFrames
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

    def summary(self) -> pd.Series:
        """Summary metrics (see :data:`simulation.metrics.SUMMARY_METRICS`)."""
        return summarize(self)
