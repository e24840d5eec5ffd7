"""Client groups: an audience split into populations, each with its own network.

A scenario may list ``[[groups]]``; each has a ``name``, a ``share`` of the clients (or a
``clients`` count), and tables that override the scenario's own for its clients:
``network`` (any ``[network]`` key) and ``workload.up`` (any ``[workload.up]`` key)::

    clients = 1000
    [network]                 # defaults for every group
    bandwidth_bps = 10e6
    [[groups]]
    name = "near"
    share = 0.7
    network = { latency_s = 0.015 }
    [[groups]]
    name = "far-mobile"
    share = 0.3
    network = { latency_s = { dist = "country-rtt", server = "DE", client = "JP" }, loss = 0.01 }

Or ``[audience]`` builds the groups from measured data, one per country: ``server`` is the
server's country, ``countries`` either ``"top-N"`` (the N countries with the most pings to
the server, weighted by those pings) or a table of shares (``{ US = 0.4, IN = 0.6 }``).
Each group's ``network.latency_s`` is then that pair's ``country-rtt``.

**Assignment.** Groups take contiguous ranges of client numbers in the order listed. With
shares, group sizes are ``share * clients`` rounded down, and the clients left over go one
each to the groups with the largest remainders (ties: the earlier group), so the sizes add
up to ``clients`` exactly (Hamilton's largest-remainder method). Every group needs at
least one client.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .country_rtt import CountryError, top_countries
from .errors import ScenarioError, unknown_key_message
from .inputs import shown

__all__ = ["ClientGroup", "expand_audience", "group_names_of", "split_clients"]

GROUP_KEYS = ("name", "share", "clients", "network", "workload")
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
SHARE_TOLERANCE = 1e-6


@dataclass(frozen=True)
class ClientGroup:
    """One group after validation: clients ``first`` .. ``first + count - 1``.

    ``network`` and ``workload_up`` are complete, validated parameter sections (the
    scenario's own with this group's overrides); ``overrides`` is the group's table as
    given (for ``Scenario.to_dict``).
    """

    name: str
    first: int
    count: int
    network: Any
    workload_up: Any
    overrides: Mapping[str, Any]

    @property
    def clients(self) -> range:
        return range(self.first, self.first + self.count)


def _share_or_count(group: Mapping[str, Any], where: str) -> tuple[str, float]:
    if ("share" in group) == ("clients" in group):
        raise ScenarioError(f"{where}: give either share (a fraction) or clients (a count)")
    if "share" in group:
        share = group["share"]
        if isinstance(share, bool) or not isinstance(share, (int, float)):
            raise ScenarioError(f"{where}.share: expected a number, got {shown(share)}")
        if not 0 < share <= 1:
            raise ScenarioError(f"{where}.share: must be > 0 and <= 1, got {shown(share)}")
        return "share", float(share)
    count = group["clients"]
    if isinstance(count, bool) or not isinstance(count, (int, np.integer)):
        raise ScenarioError(f"{where}.clients: expected a whole number, got {shown(count)}")
    if count < 1:
        raise ScenarioError(f"{where}.clients: must be >= 1, got {count}")
    return "clients", float(count)


def split_clients(shares: Sequence[float], clients: int) -> list[int]:
    """Group sizes from ``shares`` (adding up to 1) by the largest-remainder method."""
    exact = [share * clients for share in shares]
    sizes = [math.floor(value) for value in exact]
    left = clients - sum(sizes)
    order = sorted(range(len(shares)), key=lambda i: (-(exact[i] - sizes[i]), i))
    for index in order[:left]:
        sizes[index] += 1
    return sizes


def check_groups(groups: Any, clients: int, source: str) -> list[tuple[str, int, dict]]:
    """The groups' names, sizes and override tables, checked; the tables are not yet
    parsed (the scenario merges them with its own sections)."""
    if not isinstance(groups, list) or not groups:
        raise ScenarioError(
            f"{source}: groups must be a list of tables ([[groups]] with name and share), "
            f"got {shown(groups)}"
        )
    names: list[str] = []
    kinds: set[str] = set()
    amounts: list[float] = []
    tables: list[dict[str, Any]] = []
    for index, group in enumerate(groups):
        where = f"{source}: groups[{index}]"
        if not isinstance(group, Mapping):
            raise ScenarioError(f"{where}: expected a table, got {shown(group)}")
        name = group.get("name")
        if not isinstance(name, str) or not NAME_PATTERN.match(name):
            raise ScenarioError(
                f"{where}.name: a group needs a name of letters, digits, '-' and '_' "
                f"(it names the group in tables and sweep keys), got {shown(name)}"
            )
        if name in names:
            raise ScenarioError(f"{where}.name: {name!r} names two groups")
        where = f"{source}: groups.{name}"
        for key in group:
            if key not in GROUP_KEYS:
                raise ScenarioError(unknown_key_message(where, str(key), GROUP_KEYS))
        kind, amount = _share_or_count(group, where)
        workload = group.get("workload", {})
        if not isinstance(workload, Mapping) or set(workload) - {"up"}:
            raise ScenarioError(
                f"{where}.workload: a group may only override workload.up (client "
                f"messages), got {shown(workload)}"
            )
        names.append(name)
        kinds.add(kind)
        amounts.append(amount)
        tables.append(dict(group))
    if len(kinds) > 1:
        raise ScenarioError(f"{source}: groups: give every group a share, or every group clients")
    if kinds == {"share"}:
        total = sum(amounts)
        if abs(total - 1) > SHARE_TOLERANCE:
            raise ScenarioError(
                f"{source}: groups: the shares add up to {total:g}; they must add up to 1"
            )
        sizes = split_clients(amounts, clients)
    else:
        sizes = [int(amount) for amount in amounts]
        if sum(sizes) != clients:
            raise ScenarioError(
                f"{source}: groups: the groups' clients add up to {sum(sizes)}, but clients "
                f"= {clients}; make them equal"
            )
    for name, size in zip(names, sizes, strict=True):
        if size < 1:
            raise ScenarioError(
                f"{source}: groups.{name}: its share of {clients} clients rounds to none; "
                "raise clients or its share"
            )
    return list(zip(names, sizes, tables, strict=True))


def expand_audience(audience: Any, source: str) -> list[dict[str, Any]]:
    """The ``[[groups]]`` that an ``[audience]`` table stands for."""
    where = f"{source}: audience"
    if not isinstance(audience, Mapping):
        raise ScenarioError(f"{where}: expected a table with server and countries")
    for key in audience:
        if key not in ("server", "countries"):
            raise ScenarioError(unknown_key_message(where, str(key), ("server", "countries")))
    server, countries = audience.get("server"), audience.get("countries")
    try:
        if not isinstance(server, str):
            raise ScenarioError(f"{where}.server: expected a country code like 'DE'")
        if isinstance(countries, str):
            match = re.fullmatch(r"top-(\d+)", countries)
            if not match or int(match.group(1)) < 1:
                raise ScenarioError(
                    f"{where}.countries: expected 'top-N' (N >= 1) or a table of country "
                    f"shares like {{ US = 0.4, IN = 0.6 }}, got {countries!r}"
                )
            weights = top_countries(server, int(match.group(1)))
        elif isinstance(countries, Mapping) and countries:
            weights = list(countries.items())
        else:
            raise ScenarioError(
                f"{where}.countries: expected 'top-N' or a table of country shares like "
                f"{{ US = 0.4, IN = 0.6 }}, got {shown(countries)}"
            )
    except CountryError as error:
        raise ScenarioError(f"{where}: {error}") from None
    return [
        {
            "name": country,
            "share": share,
            "network": {"latency_s": {"dist": "country-rtt", "server": server, "client": country}},
        }
        for country, share in weights
    ]


def group_names_of(groups: Sequence[ClientGroup], client: np.ndarray) -> pd.Categorical:
    """The group name of each client number in ``client``."""
    names = [group.name for group in groups]
    starts = np.array([group.first for group in groups])
    codes = np.searchsorted(starts, np.asarray(client), side="right") - 1
    return pd.Categorical.from_codes(codes, categories=names)
