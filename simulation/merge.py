"""One part of a run split by client, and the merge of the parts into one :class:`Result`.

:func:`run_part` simulates one :class:`~simulation.sharding.ClientRange` and returns a
:class:`PartOutput`; :func:`merge` joins the parts of a run. A merged run's tables are in
the canonical order of :func:`canonical`, which any run's result can be put in; the
canonical tables of a run split by client are those of the same run in one piece.

Canonical order and ids (the same for a whole run and a merged one):

* ``updates``: by ``update_id``. Update ids are the whole run's in every part (the
  workload numbers the other parts' updates too), so they are kept as they are.
* ``connections``: by ``requested_at``, then ``client``, then the order of the client's
  own connections; ``connection_id`` is the row number in this order.
* ``transfers``: by ``sent_at``, then ``client``, then the client's own order;
  ``message_id`` is the row number in this order, and ``connection_id`` the canonical one.
* ``deliveries``: by ``delivered_at``, then ``client``, then the client's own order;
  ``message_id`` is the canonical one (at the ``deliveries`` level, which has no
  transfers, the rank of the delivering messages by ``sent_at``, client and the
  client's own order).
* categorical columns (``kind``, ``close_reason``) have their categories sorted.

A client's own events happen in the same order whether its part runs alone or with the
others (its clients do not interact with the rest), which is what makes these orders the
same in both.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .model import Model
from .result import Result
from .run_stats import RunStats, StrategyStats
from .scenario import Scenario
from .sharding import ClientRange
from .sketch import ValueSketch
from .tallies import COUNT_COLUMNS, FLAG_BITS, DeliveryTally, Tallies, UpdateTally

__all__ = ["PartOutput", "canonical", "merge", "recorded_updates", "run_part"]

SHARD = "_shard"  # the part a row came from, while the tables are being merged


@dataclass
class PartOutput:
    """What one part of a split run sends back: its tables (its clients numbered from
    0), tallies, counters, and the changes of its open connections and held requests."""

    part: ClientRange
    end_s: float
    wall_s: float
    frames: dict[str, pd.DataFrame]
    tallies: Tallies | None
    stats: RunStats
    recorded_updates: int
    server_series: tuple[np.ndarray, np.ndarray, np.ndarray]  # time, connections, held
    client_series: tuple[np.ndarray, np.ndarray, np.ndarray] | None = field(default=None)


def run_part(scenario: Scenario, seed: int, part: ClientRange) -> PartOutput:
    """Simulate the clients of ``part`` of ``scenario`` (in a worker process)."""
    started = time.perf_counter()
    model = Model(scenario, seed, part)
    end_s = model.run()
    model.streams.check()  # type: ignore[attr-defined]
    recorder = model.recorder
    frames = recorder.dataframes(end_s)
    tallies = recorder.tallies(end_s)
    assert model.server.series is not None
    series = getattr(recorder, "series", None)
    return PartOutput(
        part=part,
        end_s=end_s,
        wall_s=time.perf_counter() - started,
        frames=frames,
        tallies=tallies,
        stats=model.stats(),
        recorded_updates=recorder.recorded_updates(),
        server_series=tuple(np.asarray(column) for column in model.server.series),  # type: ignore[arg-type]
        client_series=None if series is None else tuple(np.asarray(c) for c in series),  # type: ignore[arg-type]
    )


# -- canonical order ---------------------------------------------------------------------


def _stable_order(frame: pd.DataFrame, time_column: str) -> np.ndarray:
    """Rows by time, then client, keeping the order of rows of one client."""
    return np.lexsort((frame["client"].to_numpy(), frame[time_column].to_numpy()))


def _id_maps(frame: pd.DataFrame, id_column: str) -> dict[int, np.ndarray]:
    """Per part: old id -> new id, where the new id is the (sorted) row number."""
    maps = {}
    for shard, rows in frame.groupby(SHARD, sort=True).indices.items():
        old = frame[id_column].to_numpy().astype(np.int64)[rows]
        mapping = np.full(int(old.max()) + 1 if old.size else 0, -1, dtype=np.int64)
        mapping[old] = rows
        maps[int(shard)] = mapping
    return maps


def _remap(frame: pd.DataFrame, column: str, maps: dict[int, np.ndarray]) -> np.ndarray:
    old = frame[column].to_numpy().astype(np.int64)
    shards = frame[SHARD].to_numpy()
    new = old.copy()
    for shard, mapping in maps.items():
        rows = (shards == shard) & (old >= 0)
        new[rows] = mapping[old[rows]]
    return new


def _sorted_categories(frame: pd.DataFrame) -> pd.DataFrame:
    for column in ("kind", "close_reason"):
        if column in frame:
            values = frame[column].astype(str)
            frame[column] = pd.Categorical(values, categories=sorted(set(values)))
    return frame


def _canonical_frames(frames: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The tables in canonical order (each with a ``_shard`` column, dropped here)."""
    out = {}
    if "updates" in frames:
        updates = frames["updates"]
        order = np.argsort(updates["update_id"].to_numpy(), kind="stable")
        out["updates"] = updates.iloc[order].drop(columns=SHARD).reset_index(drop=True)
    connection_maps: dict[int, np.ndarray] = {}
    if "connections" in frames:
        connections = frames["connections"]
        connections = connections.iloc[_stable_order(connections, "requested_at")]
        connections = connections.reset_index(drop=True)
        connection_maps = _id_maps(connections, "connection_id")
        connections["connection_id"] = np.arange(len(connections), dtype=np.int64)
        out["connections"] = _sorted_categories(connections.drop(columns=SHARD))
    message_maps = None
    if "transfers" in frames:
        transfers = frames["transfers"]
        transfers = transfers.iloc[_stable_order(transfers, "sent_at")].reset_index(drop=True)
        message_maps = _id_maps(transfers, "message_id")
        transfers["message_id"] = np.arange(len(transfers), dtype=np.int64)
        transfers["connection_id"] = _remap(transfers, "connection_id", connection_maps)
        out["transfers"] = _sorted_categories(transfers.drop(columns=SHARD))
    if "deliveries" in frames:
        deliveries = frames["deliveries"]
        if message_maps is None:  # no transfers: rank the delivering messages
            keys = ["sent_at", "client", "message_id", SHARD]
            messages = deliveries[keys].drop_duplicates().sort_values(keys[:3], kind="stable")
            messages = messages.reset_index(drop=True)
            message_maps = _id_maps(messages, "message_id")
        deliveries = deliveries.iloc[_stable_order(deliveries, "delivered_at")]
        deliveries = deliveries.reset_index(drop=True)
        deliveries["message_id"] = _remap(deliveries, "message_id", message_maps)
        out["deliveries"] = deliveries.drop(columns=SHARD)
    return out


def canonical(result: Result) -> Result:
    """``result`` with its tables in canonical order and ids (see the module docstring);
    the tallies and counters are shared with ``result``."""
    frames = {
        name: result.table(name)
        for name in ("updates", "transfers", "deliveries", "connections")
        if _kept(result, name)
    }
    frames = {name: frame.assign(**{SHARD: 0}) for name, frame in frames.items()}
    return Result.of_parts(
        result.scenario,
        result.seed,
        result.end_s,
        result.wall_s,
        _canonical_frames(frames),
        result.tallies,
        result.stats,
    )


def _kept(result: Result, name: str) -> bool:
    return name in result._frames


# -- merging -----------------------------------------------------------------------------


def _shifted(output: PartOutput, name: str) -> pd.DataFrame:
    """Table ``name`` of one part with the whole run's client numbers."""
    frame = output.frames[name].copy()
    first = output.part.first
    for column in ("client", "target", "origin"):
        if column in frame:
            values = frame[column].to_numpy()
            frame[column] = np.where(values >= 0, values + first, values)
    frame[SHARD] = output.part.index
    return frame


def _merged_updates(outputs: list[PartOutput]) -> pd.DataFrame:
    """Updates meant for every client appear in every part, each part's copy with its own
    clients as audience: one copy is kept, with the audiences added."""
    frames = [_shifted(output, "updates") for output in outputs]
    shared = [(f["target"] < 0) & (f["origin"] < 0) for f in frames]
    first = frames[0][shared[0]].copy()
    for frame, mine in zip(frames[1:], shared[1:], strict=True):
        other = frame[mine]
        if not np.array_equal(other["update_id"].to_numpy(), first["update_id"].to_numpy()):
            raise RuntimeError("the parts of a split run created different updates")
        first["audience"] = first["audience"].to_numpy() + other["audience"].to_numpy()
    own = [frame[~mine] for frame, mine in zip(frames, shared, strict=True)]
    return pd.concat([first, *own], ignore_index=True)


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    for frame in frames:  # categories differ between parts: join them as text
        for column in ("kind", "close_reason"):
            if column in frame:
                frame[column] = frame[column].astype(str)
    merged = pd.concat(frames, ignore_index=True)
    if "direction" in merged:
        merged["direction"] = pd.Categorical(merged["direction"], categories=["down", "up"])
    return merged


def _peaks(times: np.ndarray, *changes: np.ndarray) -> list[np.ndarray]:
    """The levels (cumulative changes) after all the changes at each distinct time."""
    if times.size == 0:
        return [np.zeros(0, dtype=np.int64) for _ in changes]
    order = np.argsort(times, kind="stable")
    times = times[order]
    last = np.flatnonzero(np.r_[times[1:] != times[:-1], True])
    return [np.cumsum(change[order].astype(np.int64))[last] for change in changes]


def _peak(level: np.ndarray) -> int:
    return int(max(0, level.max())) if level.size else 0


def _merged_stats(scenario: Scenario, outputs: list[PartOutput]) -> RunStats:
    stats = [output.stats for output in outputs]
    series = [output.server_series for output in outputs]
    connections, held = _peaks(*(np.concatenate(column) for column in zip(*series, strict=True)))
    params = scenario.server
    memory = (
        connections * params.memory_per_connection_bytes
        + held * params.memory_per_held_request_bytes
    )
    starts = np.sort(np.concatenate([np.asarray(s.server_busy_starts) for s in stats]))
    ends = np.sort(np.concatenate([np.asarray(s.server_busy_ends) for s in stats]))
    service = params.service_time_s.constant_value() or 0.0
    # one constant service time per request, added one at a time as the whole run does
    busy_s = float(np.cumsum(np.full(starts.size, service))[-1]) if starts.size else 0.0
    counts = [s.strategy for s in stats]
    if any(count.metrics for count in counts):
        raise RuntimeError("a strategy with metrics of its own cannot be split by client")
    strategy = StrategyStats(
        **{
            name: sum(getattr(count, name) for count in counts)
            for name in (
                "reconnects",
                "missed_updates",
                "pending_updates",
                "replayed_updates",
                "replay_lost_updates",
                "acks",
            )
        }
    )
    return RunStats(
        server_requests=sum(s.server_requests for s in stats),
        server_busy_s=busy_s,
        server_workers=stats[0].server_workers,
        server_peak_queue=max(s.server_peak_queue for s in stats),
        peak_open_connections=_peak(connections),
        peak_memory_bytes=_peak(memory),
        server_busy_starts=starts.tolist(),
        server_busy_ends=ends.tolist(),
        fault_ends=stats[0].fault_ends,
        strategy=strategy,
    )


def _merged_tallies(scenario: Scenario, outputs: list[PartOutput]) -> Tallies | None:
    parts = [output.tallies for output in outputs]
    if parts[0] is None:
        return None
    tallies = [t for t in parts if t is not None]
    whole = tallies[0]
    counts = pd.concat(
        [t.transfer_counts.assign(kind=t.transfer_counts["kind"].astype(str)) for t in tallies],
        ignore_index=True,
    )
    keys = ["group", "direction", "kind", *FLAG_BITS]
    counts = counts.groupby(keys, observed=True, sort=True)[list(COUNT_COLUMNS)].sum()
    counts = counts.reset_index()
    counts["kind"] = pd.Categorical(counts["kind"], categories=sorted(set(counts["kind"])))
    counts["direction"] = pd.Categorical(counts["direction"], categories=["down", "up"])
    syn: dict[tuple[int, int], int] = {}
    for t in tallies:
        for key, n in t.syn_seconds.items():
            syn[key] = syn.get(key, 0) + n
    groups = tuple((g.first, g.count) for g in scenario.groups) or ((0, scenario.clients),)
    merged = Tallies(
        level=whole.level,
        groups=groups,
        transfer_counts=counts,
        syn_seconds=syn,
        recovery_clients=np.concatenate(
            [t.recovery_clients + o.part.first for t, o in zip(tallies, outputs, strict=True)]
        ),
        recovery_handed=np.concatenate([t.recovery_handed for t in tallies]),
    )
    if whole.deliveries is None:
        return merged
    deliveries = [t.deliveries or [] for t in tallies]
    updates = [t.updates or [] for t in tallies]
    opened = [t.connections_opened or [] for t in tallies]
    merged.deliveries = [_merged_delivery([d[g] for d in deliveries]) for g in range(len(groups))]
    merged.updates = [
        UpdateTally(
            updates=sum(u[g].updates for u in updates),
            expected=sum(u[g].expected for u in updates),
            up_messages=sum(u[g].up_messages for u in updates),
        )
        for g in range(len(groups))
    ]
    merged.everyone = whole.everyone  # every part counts each of them
    merged.everyone_expected = sum(t.everyone_expected for t in tallies)
    merged.connections_opened = [sum(o[g] for o in opened) for g in range(len(groups))]
    merged.peak_connections = _client_peaks(outputs, len(groups))
    return merged


def _merged_delivery(parts: list[DeliveryTally]) -> DeliveryTally:
    whole = DeliveryTally(down=ValueSketch(), up=ValueSketch(), age=ValueSketch())
    for part in parts:
        whole.down.merge(part.down)
        whole.up.merge(part.up)
        whole.age.merge(part.age)
        whole.duplicates += part.duplicates
    return whole


def _client_peaks(outputs: list[PartOutput], groups: int) -> list[int]:
    """Most connections open at once per group, then for the whole run, from the parts'
    changes (a peak of a sum is not the sum of the peaks)."""
    series = [output.client_series for output in outputs]
    assert all(s is not None for s in series)
    group, times, changes = (np.concatenate(c) for c in zip(*series, strict=True))
    peaks = []
    for g in range(groups):
        mine = group == g
        peaks.append(_peak(_peaks(times[mine], changes[mine])[0]))
    peaks.append(_peak(_peaks(times, changes)[0]))
    return peaks


def merge(scenario: Scenario, seed: int, outputs: list[PartOutput], wall_s: float) -> Result:
    """The result of the whole run from its parts (see the module docstring)."""
    outputs = sorted(outputs, key=lambda output: output.part.index)
    names = list(outputs[0].frames)
    frames = {}
    for name in names:
        if name == "updates":
            frames[name] = _merged_updates(outputs)
        else:
            frames[name] = _concat([_shifted(output, name) for output in outputs])
    if "updates" in frames:
        frames["updates"]["direction"] = pd.Categorical(
            frames["updates"]["direction"], categories=["down", "up"]
        )
    return Result.of_parts(
        scenario,
        seed,
        outputs[0].end_s,
        wall_s,
        _canonical_frames(frames),
        _merged_tallies(scenario, outputs),
        _merged_stats(scenario, outputs),
    )


def recorded_updates(outputs: list[PartOutput]) -> int:
    """Updates recorded by the parts (an update for every client counted once)."""
    return max((output.recorded_updates for output in outputs), default=0)
