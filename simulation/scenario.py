"""Scenario parameters: TOML loading, validation and copies with changes.

A :class:`Scenario` is frozen and fully validated: every key is known, typed, in range and
consistent with the others (for example, a strategy that needs requests cannot run on a
simplex channel). Keys carry their unit: ``_s`` seconds, ``_bps`` bits per second,
``_bytes`` bytes, ``_per_s`` per second.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .channel import CHANNEL_MODES
from .distributions import Constant, Distribution
from .errors import ScenarioError, did_you_mean, unknown_key_message
from .faults import FaultParams
from .inputs import shown
from .protocols import http
from .protocols import websocket as ws_protocol
from .schema import describe_section, param, parse_section
from .server import ServerParams
from .strategies import STRATEGIES
from .transport import TransportParams
from .workload import UpWorkloadParams, WorkloadParams, load_trace

__all__ = [
    "HttpParams",
    "NetworkParams",
    "Scenario",
    "StrategyConfig",
    "load_scenario",
    "parse_scenario",
]


@dataclass(frozen=True)
class NetworkParams:
    """The ``[network]`` table: the channel between each client and the server."""

    mode: str = param(
        "full-duplex",
        "channel mode: simplex (server -> client only), half-duplex or full-duplex",
        choices=CHANNEL_MODES,
        source="what TCP over today's networks provides",
    )
    latency_s: Distribution = param(
        Constant(0.05),
        "one-way propagation delay of each message (number or distribution)",
        unit="s",
        ge=0,
        source=(
            "about a transatlantic path: New York-London is 56 ms round trip in fibre "
            "(Grigorik, High Performance Browser Networking, table 1-1)"
        ),
    )
    bandwidth_bps: float = param(
        math.inf,
        "transmission rate of each direction; a message takes size * 8 / bandwidth_bps",
        unit="bit/s",
        gt=0,
        source="no serialization delay unless asked for",
    )
    loss: float = param(
        0.0,
        "probability that a message is lost (TCP resends it; a stream does not)",
        ge=0,
        lt=1,
        source="a lossless network unless asked for",
    )
    jitter_s: float = param(
        0.0,
        "extra delay per message, uniform on [0, jitter_s]; order is kept",
        unit="s",
        ge=0,
        source="no jitter unless asked for",
    )
    turnaround_s: float = param(
        0.0,
        "half-duplex only: time to switch the medium's direction",
        unit="s",
        ge=0,
        source="an ideal switch unless asked for",
    )
    queue_bytes: float = param(
        math.inf,
        "bytes that may wait to be transmitted per direction; more are dropped (drop-tail)",
        unit="bytes",
        gt=0,
        source="an unbounded buffer unless asked for",
    )


@dataclass(frozen=True)
class HttpParams:
    """The ``[http]`` table: HTTP/1.1 header sizes."""

    request_header_bytes: int = param(
        http.DEFAULT_REQUEST_HEADER_BYTES,
        "bytes of request line and headers of each HTTP request",
        unit="bytes",
        ge=0,
        source="SPDY whitepaper: 'typical header sizes of 700-800 bytes'",
    )
    response_header_bytes: int = param(
        http.DEFAULT_RESPONSE_HEADER_BYTES,
        "bytes of status line and headers of each HTTP response",
        unit="bytes",
        ge=0,
        source="a lean API response; hereket.com measured 300 B at the small end",
    )
    upgrade_response_bytes: int = param(
        ws_protocol.UPGRADE_RESPONSE_BYTES,
        "bytes of the server's 101 Switching Protocols answer to a WebSocket upgrade",
        unit="bytes",
        ge=0,
        source="RFC 6455 section 1.2, the example handshake (no Date or Server lines)",
    )


@dataclass(frozen=True)
class StrategyConfig:
    """The ``[strategy]`` table: ``kind`` plus that strategy's own keys.

    Attribute access falls through to the strategy's parameters:
    ``scenario.strategy.interval_s``.
    """

    kind: str
    params: Any

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.params, name)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, **_section_to_dict(self.params)}


@dataclass(frozen=True)
class Scenario:
    """One validated scenario. Build it with :func:`load_scenario` or :func:`parse_scenario`."""

    name: str = param("", "short name shown in tables and plots; default: the file name")
    description: str = param("", "what the scenario shows, in a sentence or two")
    seed: int = param(
        0,
        "seed of the run's random streams (stored as a 64-bit signed integer)",
        ge=0,
        le=2**63 - 1,
        source="any fixed seed",
    )
    duration_s: float = param(
        60.0, "simulated time of a run", unit="s", gt=0, source="round number"
    )
    warmup_s: float = param(
        0.0,
        "rows created before this time are left out of summaries",
        unit="s",
        ge=0,
        source="no warm-up unless asked for",
    )
    clients: int = param(1, "number of clients, each with its own channel", ge=1)
    network: NetworkParams = field(default_factory=NetworkParams)
    strategy: StrategyConfig = field(
        default_factory=lambda: StrategyConfig(
            "short-polling", STRATEGIES["short-polling"].Params()
        )
    )
    workload: WorkloadParams = field(default_factory=WorkloadParams)
    http: HttpParams = field(default_factory=HttpParams)
    transport: TransportParams = field(default_factory=TransportParams)
    server: ServerParams = field(default_factory=ServerParams)
    faults: FaultParams = field(default_factory=FaultParams)
    workload_up: UpWorkloadParams | None = None  # the [workload.up] table, if any
    source: str = field(default="<dict>", compare=False)

    def to_dict(self) -> dict[str, Any]:
        """The scenario as a plain nested mapping that :func:`parse_scenario` accepts."""
        data = _section_to_dict(self)
        data["strategy"] = self.strategy.to_dict()
        for section in SECTIONS:
            data[section] = _section_to_dict(getattr(self, section))
        if self.workload_up is not None:
            data["workload"]["up"] = _section_to_dict(self.workload_up)
        return data

    def replace(self, changes: Mapping[str, Any]) -> Scenario:
        """A validated copy with ``changes`` applied, keyed by dotted path.

        ``scenario.replace({"network.latency_s": 0.1, "strategy.kind": "websocket"})``.
        When ``strategy.kind`` changes, the old strategy's keys that the new one does not
        accept are dropped; when ``network.mode`` changes away from half-duplex, the
        turnaround (a half-duplex key) is reset to 0. So a sweep can vary either freely.
        """
        if not isinstance(changes, Mapping):
            raise ScenarioError(
                f"{self.source}: replace() takes a mapping of dotted keys to values, like "
                f"{{'network.latency_s': 0.1}}, got {shown(changes)}"
            )
        for path in changes:
            if not isinstance(path, str):
                raise ScenarioError(
                    f"{self.source}: replace() keys are dotted key names like "
                    f"'network.latency_s', got {shown(path)}"
                )
        data = self.to_dict()
        changes = dict(changes)
        if changes.get("network.mode", "half-duplex") != "half-duplex":
            changes.setdefault("network.turnaround_s", 0.0)
        new_kind = changes.pop("strategy.kind", None)
        if new_kind is not None:
            accepted = _strategy_keys(new_kind, f"{self.source}: strategy.kind")
            data["strategy"] = {k: v for k, v in data["strategy"].items() if k in accepted}
            data["strategy"]["kind"] = new_kind
        for path, value in changes.items():
            _set_path(data, path, value, self.source)
        base_dir = Path(self.source).parent if self.source != "<dict>" else None
        return parse_scenario(data, source=self.source, base_dir=base_dir)


SECTIONS = {
    "network": NetworkParams,
    "workload": WorkloadParams,
    "http": HttpParams,
    "transport": TransportParams,
    "server": ServerParams,
    "faults": FaultParams,
}


def _section_to_dict(section: Any) -> dict[str, Any]:
    data = {}
    for spec in describe_section(type(section)):
        value = getattr(section, spec.name)
        if value is None:
            continue
        if isinstance(value, Distribution):
            value = value.to_dict()
        elif hasattr(value, "to_toml"):
            value = value.to_toml()
        data[spec.name] = value
    return data


def _strategy_keys(kind: Any, where: str) -> set[str]:
    if kind not in STRATEGIES:
        hint = did_you_mean(kind, STRATEGIES) if isinstance(kind, str) else ""
        raise ScenarioError(
            f"{where}: unknown strategy {kind!r}{hint} (allowed: {', '.join(STRATEGIES)})"
        )
    return {"kind"} | {spec.name for spec in describe_section(STRATEGIES[kind].Params)}


def _parameter_paths(strategy_kind: str) -> list[str]:
    """Every dotted path ``replace`` accepts, given the strategy kind in force."""
    paths = [spec.name for spec in describe_section(Scenario)]
    for section, cls in SECTIONS.items():
        paths += [f"{section}.{spec.name}" for spec in describe_section(cls)]
    paths += [f"workload.up.{spec.name}" for spec in describe_section(UpWorkloadParams)]
    paths.append("strategy.kind")
    if strategy_kind in STRATEGIES:
        paths += [
            f"strategy.{spec.name}" for spec in describe_section(STRATEGIES[strategy_kind].Params)
        ]
    return paths


def _set_path(data: dict[str, Any], path: str, value: Any, source: str) -> None:
    paths = _parameter_paths(data["strategy"]["kind"])
    if path not in paths:
        raise ScenarioError(
            f"{source}: {path!r} names no scenario parameter{did_you_mean(path, paths)} "
            "(use a top-level key or 'table.key', e.g. 'network.latency_s')"
        )
    *tables, key = path.split(".")
    table = data
    for name in tables:
        table = table.setdefault(name, {})
    table[key] = copy.deepcopy(value)


def parse_scenario(
    data: Mapping[str, Any], source: str = "<dict>", base_dir: Path | None = None
) -> Scenario:
    """Validate a nested mapping (as read from TOML) and build a :class:`Scenario`.

    ``source`` names the input in error messages; ``base_dir`` resolves relative CSV paths.
    """
    if not isinstance(data, Mapping):
        raise ScenarioError(f"{source}: expected a table of scenario keys, got {shown(data)}")
    top_specs = {spec.name: spec for spec in describe_section(Scenario)}
    allowed = set(top_specs) | set(SECTIONS) | {"strategy"}
    top = {}
    for key, value in data.items():
        if not isinstance(key, str):
            raise ScenarioError(f"{source}: keys are names (strings), got {shown(key)}")
        if key not in allowed:
            raise ScenarioError(unknown_key_message(source, key, allowed))
        if key in top_specs:
            top[key] = value
    if "name" not in top and source != "<dict>":
        top["name"] = Path(source).stem
    _check_name(top.get("name", ""), source)
    tables = {name: data.get(name, {}) for name in SECTIONS}
    up_table = None
    if isinstance(tables["workload"], Mapping) and "up" in tables["workload"]:
        tables["workload"] = dict(tables["workload"])
        up_table = tables["workload"].pop("up")
    sections = {
        name: parse_section(cls, tables[name], f"{source}: {name}", base_dir)
        for name, cls in SECTIONS.items()
    }
    sections["workload"] = _with_trace(sections["workload"], f"{source}: workload", base_dir)
    if up_table is not None:
        up = parse_section(UpWorkloadParams, up_table, f"{source}: workload.up", base_dir)
        sections["workload_up"] = _with_trace(up, f"{source}: workload.up", base_dir)
    strategy = _parse_strategy(data.get("strategy"), source, base_dir)
    scenario = parse_section(
        Scenario,
        top,
        source,
        base_dir,
        extra={**sections, "strategy": strategy, "source": source},
        separator=": ",
    )
    _check_consistency(scenario)
    return scenario


def _check_name(name: Any, source: str) -> None:
    """A name is shown as a table's column header: one line, and not blank in a file."""
    if not isinstance(name, str):
        return  # the type check names the problem
    if any(not character.isprintable() for character in name):
        raise ScenarioError(
            f"{source}: name: must be one line of printable text, got {shown(name)}"
        )
    if not name.strip() and source != "<dict>":
        raise ScenarioError(
            f"{source}: name: must not be blank (it heads the scenario's column); "
            "remove the key to use the file name"
        )


def _with_trace(params, where: str, base_dir: Path | None):
    """Check the trace keys of a workload table and load its CSV trace."""
    if params.kind == "trace":
        if not params.trace_csv:
            raise ScenarioError(f"{where}: kind = 'trace' needs trace_csv (the CSV file)")
        path = Path(params.trace_csv)
        if not path.is_absolute() and base_dir is not None:
            path = base_dir / path
        return dataclasses.replace(params, trace=load_trace(path, f"{where}.trace_csv"))
    if params.trace_csv:
        raise ScenarioError(
            f"{where}.trace_csv: only applies to kind = 'trace' (kind is {params.kind!r})"
        )
    return params


def _parse_strategy(table: Any, source: str, base_dir: Path | None) -> StrategyConfig:
    where = f"{source}: strategy"
    if table is None:
        raise ScenarioError(
            f"{source}: missing [strategy] table with a 'kind' (allowed kinds: "
            f"{', '.join(STRATEGIES)})"
        )
    if not isinstance(table, Mapping):
        raise ScenarioError(f"{where}: expected a table, got {table!r}")
    if "kind" not in table:
        raise ScenarioError(f"{where}: missing key 'kind' (allowed: {', '.join(STRATEGIES)})")
    kind = table["kind"]
    _strategy_keys(kind, f"{where}.kind")
    own = {key: value for key, value in table.items() if key != "kind"}
    params = parse_section(STRATEGIES[kind].Params, own, f"{where} ({kind})", base_dir)
    return StrategyConfig(kind, params)


def _check_consistency(scenario: Scenario) -> None:
    source = scenario.source
    network = scenario.network
    transport = scenario.transport
    if transport.rto_min_s > transport.rto_s:
        raise ScenarioError(
            f"{source}: transport.rto_min_s ({transport.rto_min_s:g} s) must be <= "
            f"transport.rto_s ({transport.rto_s:g} s), the initial RTO; lower rto_min_s too"
        )
    if transport.rto_max_s < transport.rto_s:
        raise ScenarioError(
            f"{source}: transport.rto_max_s ({transport.rto_max_s:g} s) must be >= "
            f"transport.rto_s ({transport.rto_s:g} s): the RTO starts at rto_s and "
            "doubles up to rto_max_s"
        )
    for key, params in (("workload", scenario.workload), ("workload.up", scenario.workload_up)):
        trace = getattr(params, "trace", None)
        if trace is not None and trace.clients and max(trace.clients) >= scenario.clients:
            client = max(trace.clients)
            line = trace.lines[trace.clients.index(client)] if trace.lines else "?"
            raise ScenarioError(
                f"{source}: {key}.trace_csv: {trace.source!r} line {line} names client "
                f"{client}, but clients = {scenario.clients} (numbered 0 to "
                f"{scenario.clients - 1}); raise clients or drop those rows"
            )
    rooms = getattr(scenario.strategy.params, "rooms", None)
    for index, (room, first, members) in enumerate(getattr(rooms, "rooms", ())):
        if first + members > scenario.clients:
            raise ScenarioError(
                f"{source}: strategy.rooms[{index}]: room {room!r} holds clients {first} to "
                f"{first + members - 1} (first_client = {first}, members = {members}), but "
                f"clients = {scenario.clients}; lower members or raise clients"
            )
    if scenario.warmup_s >= scenario.duration_s:
        raise ScenarioError(
            f"{source}: warmup_s ({scenario.warmup_s:g} s) must be shorter than "
            f"duration_s ({scenario.duration_s:g} s)"
        )
    if network.turnaround_s > 0 and network.mode != "half-duplex":
        raise ScenarioError(
            f"{source}: network.turnaround_s = {network.turnaround_s:g} only applies to "
            f"mode = 'half-duplex' (mode is {network.mode!r}); remove it or change the mode"
        )
    strategy = STRATEGIES[scenario.strategy.kind]
    if not strategy.uses_transport and scenario.transport != TransportParams():
        changed = [
            f"transport.{spec.name}"
            for spec in describe_section(TransportParams)
            if getattr(scenario.transport, spec.name) != getattr(TransportParams(), spec.name)
        ]
        raise ScenarioError(
            f"{source}: {', '.join(changed)} cannot apply: strategy {strategy.name!r} "
            f"sends without connections (no TCP or TLS set-up); remove [transport]"
        )
    if scenario.workload_up is not None and (network.mode == "simplex" or not strategy.sends_up):
        reason = (
            "a simplex channel only carries server -> client"
            if network.mode == "simplex"
            else f"strategy {strategy.name!r} has no way to send client messages"
        )
        raise ScenarioError(
            f"{source}: [workload.up] needs clients that can send: {reason}. Remove it, or "
            f"use one of {', '.join(n for n, c in STRATEGIES.items() if c.sends_up)}"
        )
    if network.mode == "simplex" and strategy.needs_uplink:
        simplex_ok = [name for name, cls in STRATEGIES.items() if not cls.needs_uplink]
        raise ScenarioError(
            f"{source}: strategy.kind = {strategy.name!r} cannot run on network.mode = "
            f"'simplex': it needs client -> server messages ({strategy.summary}), and a "
            f"simplex channel only carries server -> client. Use mode 'half-duplex' or "
            f"'full-duplex', or a one-way strategy ({', '.join(simplex_ok)})"
        )


def load_scenario(path: str | Path) -> Scenario:
    """Read, validate and return the scenario in TOML file ``path``."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(f"{path}: no such scenario file") from None
    except IsADirectoryError:
        raise ScenarioError(f"{path}: is a directory, not a scenario file") from None
    except UnicodeDecodeError as error:
        raise ScenarioError(
            f"{path}: not UTF-8 text (byte {error.start}: {error.reason}); TOML files are UTF-8"
        ) from None
    except OSError as error:
        raise ScenarioError(f"{path}: cannot read: {error.strerror or error}") from None
    if text.startswith("\ufeff"):
        raise ScenarioError(
            f"{path}: starts with a UTF-8 byte order mark (BOM), which TOML does not allow; "
            "save the file as UTF-8 without BOM"
        )
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ScenarioError(f"{path}: invalid TOML: {error}") from None
    except RecursionError:
        raise ScenarioError(
            f"{path}: invalid TOML: arrays or tables nested too deeply to read"
        ) from None
    return parse_scenario(data, source=str(path), base_dir=path.parent)


def scenario_keys() -> dict[str, list]:
    """Every scenario key by table, for documentation: ``{"": [...], "network": [...]}``."""
    keys = {"": describe_section(Scenario)}
    for name, cls in SECTIONS.items():
        keys[name] = describe_section(cls)
    keys["workload.up"] = describe_section(UpWorkloadParams)
    for kind, cls in STRATEGIES.items():
        keys[f"strategy ({kind})"] = describe_section(cls.Params)
    return keys
