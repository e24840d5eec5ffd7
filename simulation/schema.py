"""Declarative parameter sections: one dataclass per TOML table, one validator for all.

A section is a frozen dataclass whose fields are declared with :func:`param`, which records
the documentation, unit and allowed range next to the default. A key may itself be a
section (a nested table) or a list, declared ``tuple[X, ...]``, of numbers, strings or
sections (a list of tables); a section may add rules between its keys in ``check(where)``
and a list's element type rules between the elements in ``check_list(items, where)``.

:func:`parse_section` turns a TOML table into such a dataclass, refusing unknown keys (with
a "did you mean"), wrong types and out-of-range values with messages that name the file
and the dotted key. The scenario reference (docs/reference.md) and the ``rtsim list``
output are generated from the same metadata, so they cannot drift from the code.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
import types
import typing
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path
from typing import Any

from .distributions import Distribution, parse_distribution
from .errors import ScenarioError, did_you_mean, unknown_key_message
from .inputs import MAX_BYTES, shown

__all__ = [
    "REQUIRED",
    "KeySpec",
    "check_key",
    "describe_section",
    "is_section",
    "list_item_type",
    "param",
    "parse_section",
    "section_to_dict",
]

REQUIRED: Any = MISSING


def param(
    default: Any,
    doc: str,
    *,
    unit: str = "",
    ge: float | None = None,
    gt: float | None = None,
    le: float | None = None,
    lt: float | None = None,
    choices: tuple[str, ...] | None = None,
    source: str = "",
    allow_inf: bool | None = None,
    choices_text: str = "",
) -> Any:
    """Declare a scenario key: its default, meaning, unit, range and the default's source.

    ``choices_text`` names a long list of choices in the documentation ("a summary
    metric"); error messages still list every choice.

    A number must be finite unless ``allow_inf`` (default: when the default itself is
    infinite, where inf means "none" or "unlimited"). A key in bytes is at most
    :data:`~simulation.inputs.MAX_BYTES` unless ``le`` says otherwise.
    """
    if allow_inf is None:
        allow_inf = isinstance(default, float) and math.isinf(default)
    if unit == "bytes" and le is None:
        le = MAX_BYTES
    metadata = {
        "doc": doc,
        "unit": unit,
        "ge": ge,
        "gt": gt,
        "le": le,
        "lt": lt,
        "choices": choices,
        "source": source,
        "allow_inf": allow_inf,
        "choices_text": choices_text,
    }
    return field(default=default, metadata=metadata)


@dataclass(frozen=True)
class KeySpec:
    """What one key accepts, for error messages and generated documentation."""

    name: str
    type: Any
    default: Any
    doc: str
    unit: str
    ge: float | None
    gt: float | None
    le: float | None
    lt: float | None
    choices: tuple[str, ...] | None
    source: str
    allow_inf: bool = False
    choices_text: str = ""

    @property
    def required(self) -> bool:
        return self.default is MISSING

    def range_text(self) -> str:
        parts = []
        if self.choices_text:
            parts.append(self.choices_text)
        elif self.choices:
            parts.append("one of " + ", ".join(repr(c) for c in self.choices))
        for symbol, bound in ((">=", self.ge), (">", self.gt), ("<=", self.le), ("<", self.lt)):
            if bound is not None:
                parts.append(f"{symbol} {bound:g}")
        text = " and ".join(parts)
        if self.allow_inf and (self.le is not None or self.lt is not None):
            text += ", or inf"
        return text

    def type_text(self) -> str:
        if hasattr(self.type, "type_text"):
            return self.type.type_text
        item = list_item_type(self.type)
        if item is not None:
            if is_section(item):
                return "list of tables"
            return {str: "list of strings", float: "list of numbers", int: "list of integers"}[item]
        if is_section(self.type):
            return "table"
        return {
            float: "number",
            int: "integer",
            bool: "boolean",
            str: "string",
            Distribution: "number or distribution",
        }.get(self.type, str(self.type))

    def default_text(self) -> str:
        if self.required:
            return "required"
        if isinstance(self.default, tuple):
            return "[]" if not self.default else repr(list(self.default)).replace("'", '"')
        if is_section(self.type):
            return "its keys' defaults"
        if self.default is None:
            return "see description"
        if isinstance(self.default, Distribution):
            value = self.default.constant_value()
            return repr(self.default) if value is None else f"{value:g}"
        if isinstance(self.default, float) and math.isinf(self.default):
            return "inf"
        if hasattr(self.default, "default_text"):
            return self.default.default_text
        return repr(self.default) if isinstance(self.default, str) else str(self.default)


def is_section(kind: Any) -> bool:
    """Is ``kind`` a section: a dataclass whose fields are declared with :func:`param`?"""
    return isinstance(kind, type) and any(
        "doc" in f.metadata for f in getattr(kind, "__dataclass_fields__", {}).values()
    )


def list_item_type(kind: Any) -> Any:
    """``X`` for a list key declared as ``tuple[X, ...]``, else None."""
    if typing.get_origin(kind) is tuple:
        arguments = typing.get_args(kind)
        if len(arguments) == 2 and arguments[1] is Ellipsis:
            return arguments[0]
    return None


def describe_section(cls: type) -> list[KeySpec]:
    """The keys of a section dataclass, in declaration order."""
    hints = typing.get_type_hints(cls)
    specs = []
    for f in fields(cls):
        if not f.metadata or "doc" not in f.metadata:
            continue
        kind = hints[f.name]
        if typing.get_origin(kind) in (typing.Union, types.UnionType):
            kind = next(a for a in typing.get_args(kind) if a is not type(None))
        specs.append(
            KeySpec(
                name=f.name,
                type=kind,
                default=f.default,
                **{k: f.metadata[k] for k in ("doc", "unit", "ge", "gt", "le", "lt", "choices")},
                source=f.metadata["source"],
                allow_inf=f.metadata.get("allow_inf", False),
                choices_text=f.metadata.get("choices_text", ""),
            )
        )
    return specs


def _check_range(spec: KeySpec, value: float, where: str) -> None:
    def fail(condition: str) -> None:
        unit = f" {spec.unit}" if spec.unit else ""
        raise ScenarioError(f"{where}: must be {condition}{unit}, got {shown(value)}")

    if isinstance(value, float) and math.isinf(value):
        if not spec.allow_inf:
            bounds = spec.range_text()
            fail(f"a finite number {bounds}".rstrip())
        if value > 0:
            return  # inf means none or unlimited here: it passes every lower bound
    if spec.ge is not None and not value >= spec.ge:
        fail(f">= {spec.ge:g}")
    if spec.gt is not None and not value > spec.gt:
        fail(f"> {spec.gt:g}")
    if spec.le is not None and not value <= spec.le:
        fail(f"<= {spec.le:g}")
    if spec.lt is not None and not value < spec.lt:
        fail(f"< {spec.lt:g}")


def _convert(spec: KeySpec, value: Any, where: str, base_dir: Path | None) -> Any:
    if hasattr(spec.type, "from_toml"):  # a type that parses and checks itself
        return spec.type.from_toml(value, where)
    if spec.type is Distribution:
        distribution = parse_distribution(value, where, base_dir)
        constant = distribution.constant_value()
        if constant is not None:  # a plain number: the same message as any number
            _check_range(spec, constant, where)
            return distribution
        low, _high = distribution.support()
        if spec.ge is not None and low < spec.ge:
            raise ScenarioError(
                f"{where}: {distribution!r} can produce {low:g}, but values must be "
                f">= {spec.ge:g} {spec.unit}".rstrip()
            )
        if spec.gt is not None and low <= spec.gt:
            raise ScenarioError(
                f"{where}: {distribution!r} can produce {low:g}, but values must be "
                f"> {spec.gt:g} {spec.unit}".rstrip()
            )
        if spec.le is not None:
            # a bounded distribution must stay within the bound; an unbounded one (its
            # draws are capped where they are used) must at least have its mean within it
            high = distribution.support()[1]
            what = "can produce"
            if math.isinf(high):
                high, what = distribution.mean(), "has a mean of"
            if not high <= spec.le:
                raise ScenarioError(
                    f"{where}: {distribution!r} {what} {high:g}, but values must be "
                    f"<= {spec.le:g} {spec.unit}".rstrip()
                )
        return distribution
    if spec.type is bool:
        if not isinstance(value, bool):
            raise ScenarioError(f"{where}: expected true or false, got {shown(value)}")
        return value
    if spec.type is str:
        if not isinstance(value, str):
            quoted = (
                f'; write it in quotes: "{value}"' if str(value) in (spec.choices or ()) else ""
            )
            raise ScenarioError(f"{where}: expected a string, got {shown(value)}{quoted}")
        if spec.choices and value not in spec.choices:
            raise ScenarioError(
                f"{where}: {shown(value)} is not allowed{did_you_mean(value, spec.choices)} "
                f"(allowed: {', '.join(spec.choices)})"
            )
        return value
    if spec.type is int:
        if isinstance(value, numbers.Integral) and not isinstance(value, bool):
            value = int(value)  # numpy integers too
        elif isinstance(value, numbers.Real) and not isinstance(value, bool):
            number = float(value)
            if not (math.isfinite(number) and number.is_integer()):
                raise ScenarioError(f"{where}: expected an integer, got {shown(value)}")
            value = int(number)
        else:
            raise ScenarioError(f"{where}: expected an integer, got {shown(value)}")
        _check_range(spec, value, where)
        return value
    if spec.type is float:
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise ScenarioError(f"{where}: expected a number, got {shown(value)}")
        value = float(value)
        if math.isnan(value):
            raise ScenarioError(f"{where}: expected a number, got nan")
        _check_range(spec, value, where)
        return value
    item = list_item_type(spec.type)
    if item is not None:
        return _convert_list(spec, item, value, where, base_dir)
    if is_section(spec.type):
        if isinstance(value, spec.type):
            return value
        return parse_section(spec.type, value, where, base_dir)
    raise TypeError(f"unsupported key type {spec.type!r}")  # a programming error


def _convert_list(spec: KeySpec, item: Any, value: Any, where: str, base_dir: Path | None):
    """A list key: each element checked like a key of type ``item`` (a section: a table)."""
    if isinstance(value, tuple):
        value = list(value)
    if not isinstance(value, list):
        what = KeySpec.type_text(spec)
        example = " like [{ ... }, { ... }]" if is_section(item) else ""
        raise ScenarioError(f"{where}: expected a {what}{example}, got {shown(value)}")
    if is_section(item):
        items = tuple(
            element
            if isinstance(element, item)
            else parse_section(item, element, f"{where}[{i}]", base_dir)
            for i, element in enumerate(value)
        )
    else:
        element_spec = dataclasses.replace(spec, type=item)
        items = tuple(
            _convert(element_spec, element, f"{where}[{i}]", base_dir)
            for i, element in enumerate(value)
        )
    check = getattr(item, "check_list", None)
    if check is not None:
        check(items, where)
    return items


def parse_section(
    cls: type,
    table: Any,
    where: str,
    base_dir: Path | None = None,
    extra: Mapping[str, Any] | None = None,
    separator: str = ".",
) -> Any:
    """Validate ``table`` against the keys of ``cls`` and build an instance.

    ``where`` is the prefix for error messages, e.g. ``"x.toml: network"``, joined to each
    key by ``separator`` (``": "`` for a file's top-level keys: ``"x.toml: clients"``);
    ``extra`` holds constructor arguments that are not scenario keys.
    """
    if not isinstance(table, Mapping):
        raise ScenarioError(f"{where}: expected a table, got {shown(table)}")
    specs = {spec.name: spec for spec in describe_section(cls)}
    moved = getattr(cls, "MOVED_KEYS", {})
    for key in table:
        if key in moved:  # a key that was replaced: say by what
            raise ScenarioError(f"{where}{separator}{key}: {moved[key]}")
        if key not in specs:
            raise ScenarioError(unknown_key_message(where, key, specs))
    arguments = dict(extra or {})
    for name, spec in specs.items():
        if name in table:
            arguments[name] = _convert(spec, table[name], f"{where}{separator}{name}", base_dir)
        elif spec.required:
            raise ScenarioError(f"{where}: missing required key {name!r} ({spec.doc})")
    try:
        section = cls(**arguments)
    except ValueError as error:
        raise ScenarioError(f"{where}: {error}") from None
    check = getattr(section, "check", None)
    if check is not None:  # rules between the section's own keys
        check(where)
    return section


def section_to_dict(section: Any) -> dict[str, Any]:
    """A section as the TOML table :func:`parse_section` turns back into it."""
    data = {}
    for spec in describe_section(type(section)):
        value = getattr(section, spec.name)
        if value is None:
            continue
        data[spec.name] = _to_toml(value)
    return data


def _to_toml(value: Any) -> Any:
    if isinstance(value, Distribution):
        return value.to_dict()
    if hasattr(value, "to_toml"):
        return value.to_toml()
    if is_section(type(value)):
        return section_to_dict(value)
    if isinstance(value, tuple):
        return [_to_toml(item) for item in value]
    return value


def check_key(cls: type, name: str, value: Any, where: str) -> Any:
    """``value`` checked as key ``name`` of section ``cls``, alone (``where`` names it)."""
    spec = next(spec for spec in describe_section(cls) if spec.name == name)
    return _convert(spec, value, where, None)
