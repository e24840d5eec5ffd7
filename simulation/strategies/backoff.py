"""Reconnection delays as socket.io-client computes them (its ``Backoff``).

The n-th reconnection attempt since the connection was last open waits
``min(delay * 2**n, delay_max)``, multiplied by a uniform factor in ``[1 - f, 1 + f]``
(``f`` the randomization factor). A successful open resets ``n`` to 0.

:func:`reconnect_forever` is a client's whole life around it: connect, wait until the
connection drops, wait the backoff's delay, connect again.
"""

from __future__ import annotations

from collections.abc import Callable, Generator

import simpy

__all__ = ["Backoff", "reconnect_forever"]


class Backoff:
    def __init__(self, delay_s: float, delay_max_s: float, randomization_factor: float, rng):
        self.delay_s = delay_s
        self.delay_max_s = delay_max_s
        self.factor = randomization_factor
        self.rng = rng if randomization_factor > 0 else None
        self.attempts = 0

    @classmethod
    def per_client(
        cls, clients: int, delay_s: float, delay_max_s: float, randomization_factor: float, rng
    ) -> list[Backoff]:
        """One backoff for each of ``clients``, all drawing from the stream ``rng``."""
        return [cls(delay_s, delay_max_s, randomization_factor, rng) for _ in range(clients)]

    def reset(self) -> None:
        self.attempts = 0

    def next_delay(self) -> float:
        delay = min(self.delay_s * 2**self.attempts, self.delay_max_s)
        self.attempts += 1
        if self.rng is not None:
            delay *= 1 + self.factor * (2 * self.rng.random() - 1)
        return delay


def reconnect_forever(
    env: simpy.Environment, backoff: Backoff, connect: Callable[[bool], simpy.Event]
) -> Generator[simpy.Event, bool, None]:
    """A SimPy process: ``connect(again)`` sets up one connection (``again`` is false the
    first time) and returns an event that fires when it drops, with a true value if it
    had opened (the backoff then starts over); after the backoff's delay, it goes again."""
    again = False
    while True:
        was_open = yield connect(again)
        if was_open:
            backoff.reset()
        yield env.timeout(backoff.next_delay())
        again = True
