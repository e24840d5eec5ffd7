"""The one exception type for bad input, and the "did you mean" helper its messages use."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = ["ScenarioError", "did_you_mean", "unknown_key_message"]


class ScenarioError(ValueError):
    """A scenario (file, mapping or parameter) is invalid.

    The message names where the problem is (file and dotted key) and what is allowed, so the
    CLI can print it as it is, without a traceback.
    """


def did_you_mean(name: str, options: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` when one of ``options`` is close to ``name``, else ``""``."""
    close = difflib.get_close_matches(name, list(options), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def unknown_key_message(where: str, key: str, allowed: Iterable[str]) -> str:
    allowed = sorted(allowed)
    return (
        f"{where}: unknown key {key!r}{did_you_mean(key, allowed)} "
        f"(allowed: {', '.join(allowed) if allowed else 'none'})"
    )
