"""The delay of messages over a path that keeps their order (TCP), for any latency
distribution."""

from __future__ import annotations

import math

import numpy as np


def in_order_mean_latency_s(latency, rate_per_s: float) -> float | None:
    """Mean delay of Poisson messages (``rate_per_s``) over a path that keeps their order.

    Each message draws a one-way delay with CDF ``F`` but is delivered only once every
    earlier one has arrived (TCP's in-order delivery), so its delay ``D`` has::

        P(D <= x) = F(x) * exp(-rate * E[(L - x)+])

    (no message sent earlier is still travelling at its arrival; those sent ``s`` ago and
    still out form a Poisson process of intensity ``rate * P(L > x + s)``), and
    ``E[D] = integral of (1 - P(D <= x)) dx``. Equals the mean latency when it is constant.
    ``latency`` is a :mod:`simulation.distributions` distribution: constant, uniform,
    exponential, log-normal, Pareto, empirical or country-rtt; None for any other.
    """
    constant = latency.constant_value()
    if constant is not None:
        return constant
    name = getattr(latency, "name", "")
    if name == "empirical":
        return _in_order_mean_empirical(np.asarray(latency.values, dtype=float), rate_per_s)
    frozen = _scipy_distribution(latency)
    if frozen is None:
        return None
    from scipy import integrate

    excess = _closed_form_excess(latency)
    if excess is None:

        def excess(x: float) -> float:  # E[(L - x)+] = integral of the survival function
            return integrate.quad(frozen.sf, x, np.inf, limit=200)[0]

    def not_yet(x: float) -> float:
        return 1.0 - frozen.cdf(x) * math.exp(-rate_per_s * excess(x))

    low, high = frozen.support()
    value = integrate.quad(not_yet, max(low, 0.0), high, limit=200)[0]
    return max(low, 0.0) + value


def _closed_form_excess(latency):
    """``x -> E[(L - x)+]`` in closed form where there is one (the integral is slow).

    Log-normal ``X``: ``E[(X - k)+] = E[X] Phi(d1) - k Phi(d2)`` with
    ``d1 = (mu + sigma^2 - ln k) / sigma`` and ``d2 = d1 - sigma`` (the Black-Scholes
    formula); country-rtt is a floor plus a log-normal. Exponential: ``mean e^(-x/mean)``.
    Pareto (shape ``a`` > 1, scale ``s``): ``s^a x^(1-a) / (a - 1)`` for ``x >= s``.
    """
    from scipy.special import ndtr  # the standard normal CDF

    name = latency.name
    if name == "exponential":
        mean = latency.mean_value
        return lambda x: mean * math.exp(-x / mean) if x > 0 else mean - x
    if name in ("lognormal", "country-rtt"):
        floor = getattr(latency, "floor_s", 0.0)
        mu, sigma = latency.mu, latency.sigma
        mean = math.exp(mu + sigma**2 / 2)

        def excess(x: float) -> float:
            k = x - floor
            if k <= 0:
                return mean - k
            d1 = (mu + sigma**2 - math.log(k)) / sigma
            return mean * float(ndtr(d1)) - k * float(ndtr(d1 - sigma))

        return excess
    if name == "pareto" and latency.shape > 1:
        shape, scale = latency.shape, latency.scale
        mean = shape * scale / (shape - 1)
        # E[(L - x)+] = integral over (x, inf) of (scale / u)^shape du for x >= scale
        return lambda x: scale**shape * x ** (1 - shape) / (shape - 1) if x >= scale else mean - x
    return None


def _scipy_distribution(latency):
    from scipy import stats

    name = latency.name
    if name == "uniform":
        return stats.uniform(latency.low, latency.high - latency.low)
    if name == "exponential":
        return stats.expon(scale=latency.mean_value)
    if name == "lognormal":
        return stats.lognorm(latency.sigma, scale=math.exp(latency.mu))
    if name == "country-rtt":  # a floor plus a log-normal excess
        return stats.lognorm(latency.sigma, loc=latency.floor_s, scale=math.exp(latency.mu))
    if name == "pareto" and latency.shape > 1:
        return stats.pareto(latency.shape, scale=latency.scale)
    return None


def _in_order_mean_empirical(values: np.ndarray, rate_per_s: float) -> float:
    """:func:`in_order_mean_latency_s` for resampled ``values``, integrated exactly.

    Between two consecutive values the CDF is constant and ``E[(L - x)+]`` falls linearly,
    so each piece of the integral has a closed form.
    """
    points = np.unique(values)
    n = values.size
    total = float(points[0])  # below the smallest value nothing has arrived
    for k in range(points.size - 1):
        x1, x2 = float(points[k]), float(points[k + 1])
        above = values[values > x1]
        cdf = 1.0 - above.size / n
        share = above.size / n  # d/dx of -E[(L - x)+] on (x1, x2)
        excess1 = float((above - x1).sum()) / n
        excess2 = excess1 - share * (x2 - x1)
        rate_share = rate_per_s * share
        if rate_share > 0:
            waiting = (math.exp(-rate_per_s * excess2) - math.exp(-rate_per_s * excess1)) / (
                rate_share
            )
        else:
            waiting = (x2 - x1) * math.exp(-rate_per_s * excess1)
        total += (x2 - x1) - cdf * waiting
    return total
