"""Reconnection delays as socket.io-client computes them (its ``Backoff``).

The n-th reconnection attempt since the connection was last open waits
``min(delay * 2**n, delay_max)``, multiplied by a uniform factor in ``[1 - f, 1 + f]``
(``f`` the randomization factor). A successful open resets ``n`` to 0.
"""

from __future__ import annotations


class Backoff:
    def __init__(self, delay_s: float, delay_max_s: float, randomization_factor: float, rng):
        self.delay_s = delay_s
        self.delay_max_s = delay_max_s
        self.factor = randomization_factor
        self.rng = rng if randomization_factor > 0 else None
        self.attempts = 0

    def reset(self) -> None:
        self.attempts = 0

    def next_delay(self) -> float:
        delay = min(self.delay_s * 2**self.attempts, self.delay_max_s)
        self.attempts += 1
        if self.rng is not None:
            delay *= 1 + self.factor * (2 * self.rng.random() - 1)
        return delay
