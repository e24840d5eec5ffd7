"""Reconnection delays as socket.io-client computes them (its ``Backoff``).

The n-th reconnection attempt since the connection was last open waits
``min(delay * 2**n, delay_max)``, multiplied by a uniform factor in ``[1 - f, 1 + f]``
(``f`` the randomization factor). A successful open resets ``n`` to 0.

:class:`Reconnects` is every client's whole life around it: connect, wait until the
connection drops, wait the backoff's delay, connect again. It runs on callbacks
(timers.py), not a process per client, so an idle client costs it one attempt count.
"""

from __future__ import annotations

from collections.abc import Callable

import simpy

from .timers import call_later, call_soon

__all__ = ["Backoff", "Reconnects"]


class Backoff:
    """The delays of every client of a strategy, drawn from one stream ``rng``; each
    client's own state is its number of attempts since it was last open."""

    __slots__ = ("_attempts", "delay_max_s", "delay_s", "factor", "rng")

    def __init__(
        self,
        clients: int,
        delay_s: float,
        delay_max_s: float,
        randomization_factor: float,
        rng,
    ):
        self.delay_s = delay_s
        self.delay_max_s = delay_max_s
        self.factor = randomization_factor
        self.rng = rng if randomization_factor > 0 else None
        self._attempts = [0] * clients

    def reset(self, client: int) -> None:
        self._attempts[client] = 0

    def next_delay(self, client: int) -> float:
        attempts = self._attempts[client]
        delay = min(self.delay_s * 2**attempts, self.delay_max_s)
        self._attempts[client] = attempts + 1
        if self.rng is not None:
            delay *= 1 + self.factor * (2 * self.rng.random() - 1)
        return delay


class Reconnects:
    """Each client's connect-drop-wait loop, as callbacks.

    ``connect(client, again)`` sets up one connection (``again`` is false the first time);
    the strategy calls :meth:`dropped` once when it drops, with whether it had opened (the
    backoff then starts over). After the backoff's delay the client connects again. This
    schedules the same events in the same order as a SimPy process per client running::

        again = False
        while True:
            was_open = yield connect(client, again)  # an event fired when it drops
            if was_open:
                backoff.reset()
            yield env.timeout(backoff.next_delay())
            again = True
    """

    __slots__ = ("_connect", "backoff", "clients", "env")

    def __init__(
        self,
        env: simpy.Environment,
        clients: int,
        backoff: Backoff,
        connect: Callable[[int, bool], None],
    ):
        self.env = env
        self.clients = clients
        self.backoff = backoff
        self._connect = connect

    def start(self) -> None:
        """Connect every client, where one process per client started now would run."""
        call_soon(self.env, self._connect_all)

    def _connect_all(self, _event: simpy.Event) -> None:
        for client in range(self.clients):
            self._connect(client, False)

    def dropped(self, client: int, was_open: bool) -> None:
        """``client``'s connection dropped now (call once per connection)."""
        # through an event of this instant, as the process waiting for the drop would be
        # woken: the delay's draw and its timer keep their place among simultaneous events
        call_later(self.env, 0.0, self._wait, (client, was_open))

    def _wait(self, event: simpy.Event) -> None:
        client, was_open = event.value
        if was_open:
            self.backoff.reset(client)
        call_later(self.env, self.backoff.next_delay(client), self._reconnect, client)

    def _reconnect(self, event: simpy.Event) -> None:
        self._connect(event.value, True)
