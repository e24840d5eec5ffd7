"""The real servers' update log: the harness appends updates at their scheduled times, and
server handlers wait for the next one (an asyncio event, woken for every append)."""

from __future__ import annotations

import asyncio
import contextlib
import math
from dataclasses import dataclass

__all__ = ["RealUpdate", "UpdateFeed"]


@dataclass(frozen=True)
class RealUpdate:
    update_id: int
    created_at: float  # seconds since the run's start, read when it was appended
    payload_bytes: int
    target: int  # -1: every client


class UpdateFeed:
    """Append-only list of updates with a way to wait for the next append."""

    def __init__(self) -> None:
        self.updates: list[RealUpdate] = []
        self._appended = asyncio.Event()
        self.listeners: list = []  # callables notified of every update (push servers)

    def append(self, update: RealUpdate) -> None:
        self.updates.append(update)
        self._appended.set()
        self._appended = asyncio.Event()
        for listener in self.listeners:
            listener(update)

    async def wait_beyond(self, count: int, timeout: float) -> None:
        """Return once more than ``count`` updates exist, or after ``timeout`` seconds."""
        if len(self.updates) > count:
            return
        if math.isinf(timeout):
            await self._appended.wait()
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._appended.wait(), timeout)
