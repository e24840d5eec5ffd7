"""Update sources: server updates (``[workload]``) and client messages (``[workload.up]``).

Arrival kinds, each from ``start_s`` on:

* ``periodic``: every ``1 / rate_per_s`` seconds;
* ``poisson``: exponential gaps of mean ``1 / rate_per_s``;
* ``bursty``: on/off. During an "on" period (length drawn from ``on_s``) arrivals are
  Poisson at ``rate_per_s``; during an "off" period (length drawn from ``off_s``) none.
* ``trace``: the rows of a CSV file (``trace_csv``, relative to the scenario file) with
  columns ``time_s``, ``payload_bytes`` and optionally ``client``, replayed in time order
  (rows need not be sorted). Times and sizes must be finite and >= 0, sizes at most
  ``MAX_BYTES``; a trace needs at least one row, and a row's client must exist.

Each server update has a payload drawn from ``payload_bytes`` (rounded to whole bytes,
and capped at :data:`~simulation.inputs.MAX_BYTES`, 1 TB, for unbounded distributions)
and an audience: every client (``"all"``) or one client drawn uniformly (``"one"``); a
trace row's ``client`` names its target, and an empty cell means every client. Client
messages are generated for each client independently at ``rate_per_s`` (a periodic client
starts at a uniform random phase); a trace row's ``client`` names the sender.

Random streams used: ``workload.arrivals``, ``workload.payload``, ``workload.audience``,
``workload.on`` and ``workload.off``; for client messages ``workload.up.<client>`` (and
``.on``, ``.off``), ``workload.up.payload`` and ``workload.up.phase``.

A workload given ``shard = (first, count)`` is one part of a run split by client
(:mod:`simulation.sharding`): it draws everything as the whole run does and numbers the
updates as the whole run does (it counts the client messages of the other parts' clients
without creating them), but hands on, and records, only the updates of its own clients,
renumbered from 0 (``first`` is client 0 here). Updates meant for every client are
recorded by every part, each with its own clients as audience.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import simpy

from .distributions import Constant, Distribution
from .errors import ScenarioError
from .inputs import MAX_BYTES, csv_number, read_csv
from .messages import DOWN, UP, Update
from .recorder import Recorder
from .rng import RandomStreams, Sampler
from .schema import param

__all__ = [
    "WORKLOAD_KINDS",
    "ArrivalParams",
    "Trace",
    "UpWorkloadParams",
    "Workload",
    "WorkloadParams",
    "load_trace",
]

WORKLOAD_KINDS = ("poisson", "periodic", "bursty", "trace")
AUDIENCES = ("all", "one")


@dataclass(frozen=True)
class Trace:
    """Rows of a workload trace: times (s), clients (-1: all) and payload sizes (bytes).

    ``lines`` holds each row's line number in the file, for error messages.
    """

    times: tuple[float, ...]
    clients: tuple[int, ...]
    payload_bytes: tuple[int, ...]
    source: str
    lines: tuple[int, ...] = ()

    def __repr__(self) -> str:
        return f"Trace({len(self.times)} rows from {self.source!r})"


def load_trace(path: Path, where: str) -> Trace:
    """Read a workload trace CSV, with errors that name the file, line and column."""
    rows = []
    for row in read_csv(path, where, ("time_s", "payload_bytes")):
        time = csv_number(row, "time_s", where, path, minimum=0)
        size = int(csv_number(row, "payload_bytes", where, path, minimum=0, maximum=MAX_BYTES))
        client = -1
        if (row.cells.get("client") or "").strip():
            number = csv_number(row, "client", where, path, minimum=-1)
            if not number.is_integer():
                raise ScenarioError(
                    f"{where}: {str(path)!r} line {row.line}, column 'client': a client "
                    f"number (0, 1, ...; empty for every client), got {row.cells['client']!r}"
                )
            client = int(number)
        rows.append((time, client, size, row.line))
    if not rows:
        raise ScenarioError(f"{where}: {str(path)!r} has no rows: a trace needs at least one")
    rows.sort(key=lambda row: row[0])
    times, clients, sizes, lines = zip(*rows, strict=True)
    return Trace(tuple(times), tuple(clients), tuple(sizes), str(path), tuple(lines))


@dataclass(frozen=True)
class ArrivalParams:
    """Keys shared by ``[workload]`` and ``[workload.up]``: when data is created, how big."""

    kind: str = param(
        "poisson",
        "how times are drawn: poisson, periodic, bursty (on/off) or a CSV trace",
        choices=WORKLOAD_KINDS,
        source="Poisson arrivals: the usual model of independent events",
    )
    rate_per_s: float = param(
        1.0,
        "updates created per second (while on, for bursty)",
        unit="1/s",
        gt=0,
        source="round number",
    )
    payload_bytes: Distribution = param(
        Constant(100.0),
        "application payload of each (rounded to whole bytes)",
        unit="bytes",
        ge=0,
        source="a small JSON object; round number",
    )
    start_s: float = param(0.0, "when creation starts", unit="s", ge=0, source="from t = 0")
    on_s: Distribution = param(
        Constant(1.0),
        "bursty only: length of each 'on' period",
        unit="s",
        ge=0,
        source="round number",
    )
    off_s: Distribution = param(
        Constant(1.0),
        "bursty only: length of each 'off' period",
        unit="s",
        ge=0,
        source="round number",
    )
    trace_csv: str = param(
        "",
        "trace only: CSV file with time_s, payload_bytes and optional client columns",
        source="-",
    )
    trace: Trace | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class WorkloadParams(ArrivalParams):
    """The ``[workload]`` table: updates created at the server."""

    audience: str = param(
        "all",
        "who receives each update: every client, or one client chosen at random",
        choices=AUDIENCES,
        source="a broadcast feed (prices, scores)",
    )


@dataclass(frozen=True)
class UpWorkloadParams(ArrivalParams):
    """The ``[workload.up]`` table: messages each client sends to the server."""

    rate_per_s: float = param(
        1.0,
        "messages each client sends per second (while on, for bursty)",
        unit="1/s",
        gt=0,
        source="round number",
    )


def _arrival_times(params: ArrivalParams, rng, on_off, first: float) -> Iterator[float]:
    """Absolute arrival times (s) for one arrival process, from ``first`` on."""
    period = 1.0 / params.rate_per_s
    if params.kind == "periodic":
        k = 0
        while True:
            yield first + k * period
            k += 1
    if params.kind == "poisson":
        t = first
        while True:
            for gap in rng.exponential(period, 256).tolist():
                t += gap
                yield t
    if params.kind == "bursty":
        on, off = on_off
        t = first
        while True:
            on_end = t + on()
            while True:
                t += rng.exponential(period)
                if t >= on_end:
                    break
                yield t
            t = on_end + off()
    raise ValueError(f"no arrival process for kind {params.kind!r}")


class Workload:
    """Creates server updates and client messages and hands each to the strategy.

    ``publish(update)`` is called at the server when an update is created;
    ``client_send(update)`` at the client when a client message is created. ``up`` is the
    ``[workload.up]`` of every client, or a list with each client's (client groups).
    """

    def __init__(
        self,
        env: simpy.Environment,
        params: WorkloadParams,
        up: UpWorkloadParams | list[UpWorkloadParams | None] | None,
        clients: int,
        streams: RandomStreams,
        recorder: Recorder,
        publish: Callable[[Update], None],
        client_send: Callable[[Update], None],
        audience_of: Callable[[Update], int] | None = None,
        shard: tuple[int, int] | None = None,
    ):
        self.env = env
        self.params = params
        self.up = up
        self.clients = clients
        self.streams = streams
        self.recorder = recorder
        self.publish = publish
        self.client_send = client_send
        self.audience_of = audience_of or (lambda u: clients if u.target is None else 1)
        self.created = 0
        # the clients simulated here: (first, count); clients are numbered from first
        self.first, self.count = shard if shard is not None else (0, clients)

    def _local(self, client: int) -> int | None:
        """Client ``client``'s number in this part of the run (None: another part's)."""
        local = client - self.first
        return local if 0 <= local < self.count else None

    def start(self) -> None:
        env, params = self.env, self.params
        if params.trace is not None:  # kind "trace"
            env.process(self._replay(params.trace, DOWN))
        else:
            env.process(self._server_updates())
        ups = self.up if isinstance(self.up, list) else [self.up] * self.clients
        if all(up is None for up in ups):
            return
        if ups[0] is not None and ups[0].trace is not None:  # kind "trace"
            env.process(self._replay(ups[0].trace, UP))
            return
        # phases in units of each client's period: uniform(0, 1/rate) is 1/rate * U(0, 1)
        phases = self.streams.generator("workload.up.phase").uniform(0.0, 1.0, self.clients)
        payloads: dict[UpWorkloadParams, Sampler] = {}
        for client, up in enumerate(ups):
            if up is None:
                continue
            if up not in payloads:  # the first kind of client keeps the stream's old name
                suffix = f".{len(payloads)}" if payloads else ""
                payloads[up] = self.streams.sampler(
                    up.payload_bytes, f"workload.up.payload{suffix}"
                )
            phase = phases[client] * (1.0 / up.rate_per_s) if up.kind == "periodic" else 0.0
            if self._local(client) is None:  # another part's: its messages are only counted
                env.process(self._count_messages(client, up, up.start_s + phase))
            else:
                env.process(self._client_messages(client, up, up.start_s + phase, payloads[up]))

    def _new_update(self, size: float, target: int | None, direction: str, origin: int) -> Update:
        size = min(size, MAX_BYTES)  # an unbounded distribution's rare huge draw
        update = Update(self.created, self.env.now, max(0, round(size)), target)
        update.direction = direction
        update.origin = origin
        self.created += 1
        self.recorder.update(update, self.audience_of(update) if direction == DOWN else 1)
        return update

    def relay(self, original: Update, target: int) -> Update:
        """A copy of client message ``original`` that the server forwards to ``target``.

        It keeps the original's creation time, so its latency is the whole way from the
        sender to this recipient; ``origin`` stays the sender.
        """
        update = Update(self.created, original.created_at, original.payload_bytes, target)
        update.direction = DOWN
        update.origin = original.origin
        self.created += 1
        self.recorder.update(update, 1)
        return update

    def _server_updates(self):
        env, params = self.env, self.params
        rng = self.streams.generator("workload.arrivals")
        on_off = (
            self.streams.sampler(params.on_s, "workload.on"),
            self.streams.sampler(params.off_s, "workload.off"),
        )
        payload = self.streams.sampler(params.payload_bytes, "workload.payload")
        audience = self.streams.generator("workload.audience") if params.audience == "one" else None
        for at in _arrival_times(params, rng, on_off, params.start_s):
            if at > env.now:
                yield env.timeout(at - env.now)
            target = None if audience is None else int(audience.integers(0, self.clients))
            size = payload()
            if target is not None:
                target = self._local(target)
                if target is None:  # meant for another part's client
                    self.created += 1
                    continue
            self.publish(self._new_update(size, target, DOWN, -1))

    def _client_messages(self, client: int, up: UpWorkloadParams, first: float, payload: Sampler):
        env = self.env
        rng = self.streams.generator(f"workload.up.{client}")
        on_off = (
            self.streams.sampler(up.on_s, f"workload.up.{client}.on"),
            self.streams.sampler(up.off_s, f"workload.up.{client}.off"),
        )
        local = self._local(client)
        assert local is not None, "a client of another part sends nothing here"
        for at in _arrival_times(up, rng, on_off, first):
            if at > env.now:
                yield env.timeout(at - env.now)
            self.client_send(self._new_update(payload(), None, UP, local))

    def _count_messages(self, client: int, up: UpWorkloadParams, first: float):
        """Another part's client: its messages take update numbers, nothing else."""
        env = self.env
        rng = self.streams.generator(f"workload.up.{client}")
        on_off = (
            self.streams.sampler(up.on_s, f"workload.up.{client}.on"),
            self.streams.sampler(up.off_s, f"workload.up.{client}.off"),
        )
        for at in _arrival_times(up, rng, on_off, first):
            if at > env.now:
                yield env.timeout(at - env.now)
            self.created += 1

    def _replay(self, trace: Trace, direction: str):
        env = self.env
        for time, client, size in zip(trace.times, trace.clients, trace.payload_bytes, strict=True):
            if client >= self.clients:
                continue  # a trace recorded with more clients than this scenario has
            if time > env.now:
                yield env.timeout(time - env.now)
            local = self._local(client) if client >= 0 else -1
            if local is None:  # another part's client
                self.created += 1
            elif direction == DOWN:
                self.publish(self._new_update(size, None if local < 0 else local, DOWN, -1))
            elif local >= 0:
                self.client_send(self._new_update(size, None, UP, local))
