"""The outcome of one run: its scenario, seed, DataFrames and summary."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import pandas as pd

from .errors import ScenarioError
from .groups import group_names_of
from .metrics import summarize, summarize_groups
from .record import TABLE_LEVELS
from .recorder import Recorder
from .run_stats import RunStats
from .scenario import Scenario
from .tallies import Tallies

__all__ = ["RecordLevelError", "Result"]


class RecordLevelError(ScenarioError):
    """A table or plot needs more than the run's ``[record] level`` kept."""


def missing_table(name: str, level: str, what: str = "") -> RecordLevelError:
    """The error for table ``name``, not kept at ``level`` (``what`` needs it)."""
    levels = " or ".join(repr(level) for level in TABLE_LEVELS[name])
    return RecordLevelError(
        f"{what or f'result.{name}'}: the {name} table is not kept at [record] level = "
        f"{level!r}; it is kept at level {levels} (set [record] level in the scenario, "
        f"or scenario.replace({{'record.level': {TABLE_LEVELS[name][-1]!r}}}))"
    )


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

    Which tables exist depends on the scenario's ``[record] level`` (:attr:`level`):
    ``"full"`` keeps all four, ``"deliveries"`` all but ``transfers``, ``"summary"`` none;
    reading one that was not kept raises :class:`RecordLevelError`. ``summary()`` works
    at every level (``docs/record-levels.md``).
    """

    scenario: Scenario
    seed: int
    end_s: float
    wall_s: float
    recorder: Recorder | None = field(repr=False)
    stats: RunStats = field(default_factory=RunStats)

    @classmethod
    def of_parts(
        cls,
        scenario: Scenario,
        seed: int,
        end_s: float,
        wall_s: float,
        frames: dict[str, pd.DataFrame],
        tallies: Tallies | None,
        stats: RunStats,
    ) -> Result:
        """A result from tables and tallies built already (a merged or canonical run)."""
        result = cls(scenario, seed, end_s, wall_s, None, stats)
        frames = dict(frames)
        if scenario.groups:
            for name in ("deliveries", "transfers", "connections"):
                if name in frames and "group" not in frames[name]:
                    frame = frames[name] = frames[name].copy()
                    frame["group"] = group_names_of(scenario.groups, frame["client"])
        result.__dict__["_kept"] = (frames, tallies)
        return result

    @property
    def level(self) -> str:
        """The scenario's ``[record] level``: what this run kept."""
        return self.scenario.record.level

    @cached_property
    def _kept(self) -> tuple[dict[str, pd.DataFrame], Tallies | None]:
        assert self.recorder is not None, "the frames are built once, from the recorder"
        frames = self.recorder.dataframes(self.end_s)
        tallies = self.recorder.tallies(self.end_s)
        self.recorder = None  # the columns now live in the DataFrames
        if self.scenario.groups:  # each per-client row says which group its client is in
            for name in ("deliveries", "transfers", "connections"):
                if name in frames:
                    frame = frames[name]
                    frame["group"] = group_names_of(self.scenario.groups, frame["client"])
        return frames, tallies

    @property
    def _frames(self) -> dict[str, pd.DataFrame]:
        return self._kept[0]

    @property
    def tallies(self) -> Tallies | None:
        """What a ``"deliveries"`` or ``"summary"`` level kept instead of tables (None at
        ``"full"``): see :class:`simulation.tallies.Tallies`."""
        return self._kept[1]

    def table(self, name: str, what: str = "") -> pd.DataFrame:
        """Table ``name``; :class:`RecordLevelError`, naming the level that keeps it and
        ``what`` needs it, if this run's level did not keep it."""
        frames = self._frames
        if name not in frames:
            raise missing_table(name, self.level, what)
        return frames[name]

    @property
    def deliveries(self) -> pd.DataFrame:
        return self.table("deliveries")

    @property
    def transfers(self) -> pd.DataFrame:
        return self.table("transfers")

    @property
    def connections(self) -> pd.DataFrame:
        return self.table("connections")

    @property
    def updates(self) -> pd.DataFrame:
        return self.table("updates")

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
