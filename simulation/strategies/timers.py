"""Timers as callbacks: what a client's SimPy process would do, without the process.

A generator process per client keeps a ``Process``, its generator's frame and the bound
methods SimPy resumes it with alive for the whole run: several hundred bytes for each idle
client. A client that only waits and then acts can run as callbacks on the same events
instead. The results stay the same when the callbacks schedule their events at the
moments, and in the order, that the process would have: SimPy runs simultaneous events by
priority, then in the order they were scheduled.

* :func:`call_soon` runs ``callback(event)`` where a process started now would first run:
  at the current time with urgent priority, as SimPy's own ``Initialize`` event.
* :func:`call_later` runs ``callback(event)`` after ``delay`` (a timeout with a callback),
  ``event.value`` being the value given.
* :func:`nothing_due_now` says when an event triggered now would be the next processed,
  so that a step it would run may run at once, without the event.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import simpy
from simpy.events import NORMAL, URGENT

__all__ = ["call_later", "call_soon", "nothing_due_now"]


class _Soon(simpy.Event):
    """Triggered and scheduled at once with urgent priority, as ``simpy.events.Initialize``."""

    def __init__(self, env: simpy.Environment, callback: Callable[[simpy.Event], None], value):
        super().__init__(env)
        self.callbacks.append(callback)
        self._ok = True
        self._value = value
        env.schedule(self, URGENT)


def call_soon(
    env: simpy.Environment, callback: Callable[[simpy.Event], None], value: Any = None
) -> None:
    """Run ``callback(event)`` now, where a process started at this point would first run
    (``env.process(...)`` schedules its start the same way)."""
    _Soon(env, callback, value)


class _Later(simpy.Event):
    """A timeout with its callback in place: ``env.timeout(delay, value)`` and an appended
    callback, built in one step (a client's timer is set this way once per poll or ping)."""

    def __init__(
        self,
        env: simpy.Environment,
        delay: float,
        callback: Callable[[simpy.Event], None],
        value,
    ):
        if delay < 0:
            raise ValueError(f"negative delay {delay}")
        self.env = env
        self.callbacks = [callback]
        self._ok = True
        self._value = value
        env.schedule(self, NORMAL, delay)


def call_later(
    env: simpy.Environment,
    delay: float,
    callback: Callable[[simpy.Event], None],
    value: Any = None,
) -> None:
    """Run ``callback(event)`` in ``delay`` seconds, as ``yield env.timeout(delay)`` would
    resume a process; ``event.value`` is ``value``."""
    _Later(env, delay, callback, value)


def nothing_due_now(env: simpy.Environment) -> bool:
    """Whether no event is due at this instant: an event triggered now would then be the
    very next one processed, so what its callback would do may be done at once instead, in
    the same order relative to everything else and for one event fewer. Ask before
    scheduling anything else for now, and act last in the callback being run."""
    return env.peek() > env.now
