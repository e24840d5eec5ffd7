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
* :class:`Timer` does what :func:`call_later` does for one callback and many pending
  events (a timer per socket or per client): its events share one tuple of callbacks
  instead of a list each, and carry no more than SimPy needs to run them.
* :func:`nothing_due_now` says when an event triggered now would be the next processed,
  so that a step it would run may run at once, without the event.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import simpy
from simpy.events import NORMAL, URGENT

__all__ = ["Timer", "call_later", "call_soon", "nothing_due_now"]


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


class _Scheduled(simpy.Event):
    """Scheduled at once, ``delay`` seconds ahead, as a ``Timeout``, with its callbacks in
    place: a list of one for :func:`call_later`, or the tuple a :class:`Timer` shares
    (SimPy sets them to None once they ran)."""

    def __init__(self, env: simpy.Environment, delay: float, callbacks, value):
        # not Event.__init__: it would make a callbacks list only to be replaced
        if delay < 0:
            raise ValueError(f"negative delay {delay}")
        self.env = env
        self.callbacks = callbacks
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
    _Scheduled(env, delay, [callback], value)


def nothing_due_now(env: simpy.Environment) -> bool:
    """Whether no event is due at this instant: an event triggered now would then be the
    very next one processed, so what its callback would do may be done at once instead, in
    the same order relative to everything else and for one event fewer. Ask before
    scheduling anything else for now, and act last in the callback being run."""
    return env.peek() > env.now


class Timer:
    """``timer.after(delay, value)`` runs ``callback(event)`` in ``delay`` seconds, as
    ``call_later(env, delay, callback, value)`` does: its event is scheduled the same way,
    so it keeps the same place among simultaneous events.

    Meant for a timer per socket or client, pending most of the run: its events share
    one callbacks tuple, and a pending one costs about 230 bytes with its entry in SimPy's
    queue, against 330 for a ``Timeout`` with its own callbacks list. The tuple cannot
    take more callbacks: ``event.callbacks.append`` on a pending event raises.
    """

    __slots__ = ("_callbacks", "env")

    def __init__(self, env: simpy.Environment, callback: Callable[[simpy.Event], None]):
        self.env = env
        self._callbacks = (callback,)

    def after(self, delay: float, value: Any = None) -> None:
        """Run the callback in ``delay`` seconds (``delay`` >= 0), ``event.value`` being
        ``value``."""
        _Scheduled(self.env, delay, self._callbacks, value)
