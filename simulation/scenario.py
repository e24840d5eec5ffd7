"""Scenario parameters: TOML loading, validation and copies with changes.

A :class:`Scenario` is frozen and fully validated: every key is known, typed, in range and
consistent with the others (for example, a strategy that needs requests cannot run on a
simplex channel). Keys carry their unit: ``_s`` seconds, ``_bps`` bits per second,
``_bytes`` bytes, ``_per_s`` per second.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .consistency import check_consistency
from .distributions import Distribution
from .errors import ScenarioError, did_you_mean, unknown_key_message
from .faults import FaultParams
from .groups import ClientGroup, check_groups, expand_audience
from .inputs import load_toml, read_text_lines, shown
from .network import HttpParams, NetworkParams
from .record import RecordParams
from .schema import describe_section, param, parse_section, section_to_dict
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
        return {"kind": self.kind, **section_to_dict(self.params)}


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
    record: RecordParams = field(default_factory=RecordParams)
    workload_up: UpWorkloadParams | None = None  # the [workload.up] table, if any
    groups: tuple[ClientGroup, ...] = ()  # [[groups]] or [audience]; see groups.py
    source: str = field(default="<dict>", compare=False)

    def group_of(self, client: int) -> ClientGroup | None:
        """The group client number ``client`` belongs to (None without groups)."""
        for group in self.groups:
            if client < group.first + group.count:
                return group
        return None

    def network_of(self, client: int) -> NetworkParams:
        """The ``[network]`` parameters of ``client``'s channel: its group's, if any."""
        group = self.group_of(client)
        return self.network if group is None else group.network

    def workload_up_of(self, client: int) -> UpWorkloadParams | None:
        """The client messages ``client`` sends: its group's ``workload.up``, if any."""
        group = self.group_of(client)
        return self.workload_up if group is None else group.workload_up

    def to_dict(self) -> dict[str, Any]:
        """The scenario as a plain nested mapping that :func:`parse_scenario` accepts."""
        data = section_to_dict(self)
        data["strategy"] = self.strategy.to_dict()
        for section in SECTIONS:
            data[section] = section_to_dict(getattr(self, section))
        if self.workload_up is not None:
            data["workload"]["up"] = section_to_dict(self.workload_up)
        if self.groups:
            data["groups"] = [_plain(dict(group.overrides)) for group in self.groups]
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
            if path.startswith("groups."):
                _set_group_path(data, path, value, self.source)
            else:
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
    "record": RecordParams,
}


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


def _moved_paths(strategy_kind: str) -> dict[str, str]:
    """Dotted paths of keys that were replaced, with what replaced them."""
    params = STRATEGIES[strategy_kind].Params if strategy_kind in STRATEGIES else None
    moved = getattr(params, "MOVED_KEYS", {})
    return {f"strategy.{key}": text for key, text in moved.items()}


def _set_path(data: dict[str, Any], path: str, value: Any, source: str) -> None:
    paths = _parameter_paths(data["strategy"]["kind"])
    moved = _moved_paths(data["strategy"]["kind"])
    if path in moved:
        raise ScenarioError(f"{source}: {path!r} was {moved[path]}")
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
    allowed = set(top_specs) | set(SECTIONS) | {"strategy", "groups", "audience"}
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
    workload = tables["workload"]
    if isinstance(workload, Mapping) and "up" in workload:
        workload = tables["workload"] = dict(workload)
        up_table = workload.pop("up")
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
    if "groups" in data or "audience" in data:
        scenario = _with_groups(scenario, data, base_dir)
    check_consistency(scenario)
    return scenario


def _with_groups(scenario: Scenario, data: Mapping[str, Any], base_dir: Path | None) -> Scenario:
    """``scenario`` with its ``[[groups]]`` (or the groups ``[audience]`` stands for).

    Each group's network is the scenario's ``[network]`` table with the group's keys over
    it, validated as a whole, so every rule for ``[network]`` holds per group and errors
    name the group (``file.toml: groups.far.network.loss``).
    """
    source = scenario.source
    if "groups" in data and "audience" in data:
        raise ScenarioError(f"{source}: give [[groups]] or [audience], not both")
    raw = data["groups"] if "groups" in data else expand_audience(data["audience"], source)
    base_network = data.get("network", {})
    base_up = (
        data.get("workload", {}).get("up") if isinstance(data.get("workload"), Mapping) else None
    )
    groups, first = [], 0
    for name, count, table in check_groups(raw, scenario.clients, source):
        where = f"{source}: groups.{name}"
        network_table = table.get("network", {})
        if not isinstance(network_table, Mapping):
            raise ScenarioError(f"{where}.network: expected a table, got {shown(network_table)}")
        network = parse_section(
            NetworkParams, {**base_network, **network_table}, f"{where}.network", base_dir
        )
        up_table = table.get("workload", {}).get("up")
        up = scenario.workload_up
        if up_table is not None:
            if (
                not isinstance(up_table, Mapping)
                or "trace_csv" in up_table
                or up_table.get("kind") == "trace"
            ):
                raise ScenarioError(
                    f"{where}.workload.up: expected a table of [workload.up] keys (a trace "
                    "names its clients itself: give it in [workload.up]), got "
                    f"{shown(up_table)}"
                )
            up = parse_section(
                UpWorkloadParams, {**(base_up or {}), **up_table}, f"{where}.workload.up", base_dir
            )
        groups.append(ClientGroup(name, first, count, network, up, dict(table)))
        first += count
    return dataclasses.replace(scenario, groups=tuple(groups))


def _set_group_path(data: dict[str, Any], path: str, value: Any, source: str) -> None:
    """Apply ``groups.NAME.table.key`` (or ``groups.NAME.share``) to a group's table."""
    groups = data.get("groups") or []
    parts = path.split(".")
    names = [group.get("name") for group in groups]
    if len(parts) < 3 or parts[1] not in names:
        hint = did_you_mean(parts[1], names) if len(parts) > 1 else ""
        raise ScenarioError(
            f"{source}: {path!r} names no group{hint} (groups: {', '.join(names) or 'none'}; "
            "use 'groups.NAME.network.KEY', e.g. 'groups.far.network.loss')"
        )
    table = groups[names.index(parts[1])]
    *tables, key = parts[2:]
    for name in tables:
        table = table.setdefault(name, {})
    table[key] = copy.deepcopy(value)


def _plain(value: Any) -> Any:
    """``value`` with distributions turned into their TOML tables."""
    if isinstance(value, Distribution):
        return value.to_dict()
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    return value


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
    corpus = getattr(params, "deflate_corpus", "")
    if corpus:
        path = Path(corpus)
        if not path.is_absolute() and base_dir is not None:
            path = base_dir / path
        lines = read_text_lines(path, f"{where} ({kind}).deflate_corpus")
        params = dataclasses.replace(params, corpus=lines)
    return StrategyConfig(kind, params)


def load_scenario(path: str | Path) -> Scenario:
    """Read, validate and return the scenario in TOML file ``path``."""
    path = Path(path)
    data = load_toml(path, "scenario")
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
