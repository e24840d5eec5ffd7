"""Rules that tie a scenario's tables together (each table is checked on its own first).

Every rule raises a :class:`ScenarioError` naming the file and the keys involved and
saying how to fix it. Rules about the network hold for the scenario's ``[network]`` and
for every client group's.
"""

from __future__ import annotations

from typing import Any

from .errors import ScenarioError
from .schema import describe_section
from .strategies import STRATEGIES
from .transport import TransportParams
from .transport.framing import min_header_bytes

__all__ = ["check_consistency"]


def check_consistency(scenario: Any) -> None:
    """Raise a ScenarioError for the first rule ``scenario`` breaks."""
    source = scenario.source
    network = scenario.network
    transport = scenario.transport
    if transport.rto_min_s > transport.rto_s:
        raise ScenarioError(
            f"{source}: transport.rto_min_s ({transport.rto_min_s:g} s) must be <= "
            f"transport.rto_s ({transport.rto_s:g} s), the initial RTO; lower rto_min_s too"
        )
    _check_http_version(transport, source)
    _check_header_room(scenario, source)
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
    for index, room in enumerate(getattr(scenario.strategy.params, "rooms", ())):
        first, members = room.first_client, room.members
        if first + members > scenario.clients:
            raise ScenarioError(
                f"{source}: strategy.rooms[{index}]: room {room.name!r} holds clients {first} "
                f"to {first + members - 1} (first_client = {first}, members = {members}), but "
                f"clients = {scenario.clients}; lower members or raise clients"
            )
    if scenario.warmup_s >= scenario.duration_s:
        raise ScenarioError(
            f"{source}: warmup_s ({scenario.warmup_s:g} s) must be shorter than "
            f"duration_s ({scenario.duration_s:g} s)"
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
    networks = [("network", network, scenario.workload_up)]
    networks += [
        (f"groups.{group.name}.network", group.network, group.workload_up)
        for group in scenario.groups
    ]
    for key, group_network, up in networks:
        _check_network(source, key, group_network, up, strategy)


def _check_network(source: str, key: str, network: Any, up: Any, strategy: Any) -> None:
    """The rules one ``[network]`` table (the scenario's, or a group's) must follow.

    ``key`` is ``"network"`` or ``"groups.NAME.network"``.
    """
    if network.turnaround_s > 0 and network.mode != "half-duplex":
        raise ScenarioError(
            f"{source}: {key}.turnaround_s = {network.turnaround_s:g} only applies to "
            f"mode = 'half-duplex' (mode is {network.mode!r}); remove it or change the mode"
        )
    if up is not None and (network.mode == "simplex" or not strategy.sends_up):
        reason = (
            f"{key}.mode = 'simplex' only carries server -> client"
            if network.mode == "simplex"
            else f"strategy {strategy.name!r} has no way to send client messages"
        )
        senders = ", ".join(n for n, c in STRATEGIES.items() if c.sends_up)
        raise ScenarioError(
            f"{source}: [workload.up] needs clients that can send: {reason}. Remove it, or "
            f"use one of {senders}"
        )
    if network.mode == "simplex" and strategy.needs_uplink:
        simplex_ok = [name for name, cls in STRATEGIES.items() if not cls.needs_uplink]
        raise ScenarioError(
            f"{source}: strategy.kind = {strategy.name!r} cannot run on {key}.mode = "
            f"'simplex': it needs client -> server messages ({strategy.summary}), and a "
            f"simplex channel only carries server -> client. Use mode 'half-duplex' or "
            f"'full-duplex', or a one-way strategy ({', '.join(simplex_ok)})"
        )


def _check_http_version(transport: TransportParams, source: str) -> None:
    """What each HTTP version allows (transport.http)."""
    version = transport.http
    if version == "3" and transport.tls != "1.3":
        raise ScenarioError(
            f'{source}: transport.http = "3" runs over QUIC, which always uses TLS 1.3 '
            f'(RFC 9001); set transport.tls = "1.3" (got {transport.tls!r})'
        )
    if transport.quic_0rtt and version != "3":
        raise ScenarioError(
            f"{source}: transport.quic_0rtt is QUIC's resumption: it needs "
            f'transport.http = "3" (got {version!r})'
        )
    if version != "1.1" and not transport.keep_alive:
        raise ScenarioError(
            f"{source}: transport.keep_alive = false closes a connection after each request, "
            f"which only HTTP/1.1 does; HTTP/{version} keeps its one connection open "
            '(remove keep_alive or set transport.http = "1.1")'
        )


def _check_header_room(scenario: Any, source: str) -> None:
    """On HTTP/2 and 3 the [http] sizes pad real header lists: they must hold them."""
    version = scenario.transport.http
    if version == "1.1":
        return
    requests, responses = STRATEGIES[scenario.strategy.kind].http_heads
    need_request, need_response = min_header_bytes(version, requests, responses)
    http = scenario.http
    for key, value, need in (
        ("request_header_bytes", http.request_header_bytes, need_request),
        ("response_header_bytes", http.response_header_bytes, need_response),
    ):
        if value < need:
            raise ScenarioError(
                f"{source}: http.{key} = {value}: on HTTP/{version} the headers are a "
                f"browser's real header list ({', '.join(requests + responses)}) padded with "
                f"a cookie to this size, so it must be at least {need} bytes"
            )
