"""Reference lines: analytic.expected_latency_s gives a mean that holds, or None.

Every scenario shape the plots draw a reference for (the shipped scenarios, the
notebooks' shapes, and the cases where a naive formula is wrong) is simulated over
replications, and the reference must lie in the 95% CI of the simulated mean.
"""

import math

import matplotlib
import pytest

from simulation import analytic, load_scenario, plots, run

from helpers import SCENARIOS, assert_within_ci, make_scenario

matplotlib.use("Agg")


def _shape(strategy, latency=0.05, rate=2.0, transport=None, workload=None, **top):
    return make_scenario(
        clients=top.pop("clients", 10),
        duration_s=top.pop("duration_s", 60.0),
        warmup_s=top.pop("warmup_s", 5.0),
        network={"latency_s": latency},
        transport=transport or {},
        strategy=strategy,
        workload={"rate_per_s": rate, **(workload or {})},
        **top,
    )


EXPONENTIAL = {"dist": "exponential", "mean": 0.05}
UNIFORM = {"dist": "uniform", "low": 0.02, "high": 0.08}
SHAPES = {
    "short-polling": _shape({"kind": "short-polling", "interval_s": 1.0}),
    "short-polling, periodic, random phases": _shape(
        {"kind": "short-polling", "interval_s": 1.0}, workload={"kind": "periodic"}
    ),
    "long-polling": _shape({"kind": "long-polling", "hold_timeout_s": 5.0}),
    "long-polling, no keep-alive": _shape(
        {"kind": "long-polling"}, rate=5.0, transport={"keep_alive": False}
    ),
    "long-polling, no keep-alive, TLS 1.3": _shape(
        {"kind": "long-polling"}, rate=5.0, transport={"keep_alive": False, "tls": "1.3"}
    ),
    "long-polling, reconnect delay": _shape(
        {"kind": "long-polling", "reconnect_delay_s": 0.2}, rate=3.0
    ),
    "websocket": _shape({"kind": "websocket"}),
    "sse": _shape({"kind": "sse"}),
    "websocket, exponential latency, 20/s": _shape(
        {"kind": "websocket"}, latency=EXPONENTIAL, rate=20.0, duration_s=30.0
    ),
    "sse, uniform latency, 20/s": _shape(
        {"kind": "sse"}, latency=UNIFORM, rate=20.0, duration_s=30.0
    ),
    "stream, log-normal latency": _shape(
        {"kind": "stream"},
        latency={"dist": "lognormal", "mean": 0.05, "sigma": 1.0},
        rate=10.0,
        duration_s=30.0,
    ),
    "websocket, measured DE-JP latency": _shape(
        {"kind": "websocket"},
        latency={"dist": "country-rtt", "server": "DE", "client": "JP"},
        rate=10.0,
        duration_s=30.0,
    ),
    "websocket, push time written in parallel": _shape(
        {"kind": "websocket"}, server={"push_time_s": 0.01, "push_fanout": "parallel"}
    ),
    "sse, periodic broadcasts written serially": _shape(
        {"kind": "sse"},
        server={"push_time_s": 0.01},
        workload={"kind": "periodic"},
    ),
    "websocket, updates for one client written serially (M/D/1)": _shape(
        {"kind": "websocket"},
        rate=40.0,
        server={"push_time_s": 0.01},
        workload={"audience": "one"},
        duration_s=120.0,
    ),
    "long-polling, push time written in parallel": _shape(
        {"kind": "long-polling"}, server={"push_time_s": 0.02, "push_fanout": "parallel"}
    ),
    "websocket, exponential latency, push time in parallel": _shape(
        {"kind": "websocket"},
        latency=EXPONENTIAL,
        rate=20.0,
        duration_s=30.0,
        server={"push_time_s": 0.005, "push_fanout": "parallel"},
    ),
    "websocket, empirical latency": _shape(
        {"kind": "websocket"},
        latency={"dist": "empirical", "values": [0.02, 0.03, 0.05, 0.12]},
        rate=10.0,
        duration_s=30.0,
    ),
}


def _check(scenario, replications=10, max_half_width=0.02):
    expected = analytic.expected_latency_s(scenario)
    assert expected is not None
    means = [run(scenario, seed=seed).summary()["latency_mean_s"] for seed in range(replications)]
    if max(means) - min(means) < 1e-12:  # a deterministic shape: no interval to speak of
        assert means[0] == pytest.approx(expected, rel=1e-9)
    else:
        assert_within_ci(means, expected, max_half_width)


@pytest.mark.parametrize("name", list(SHAPES))
def test_the_reference_holds_for_each_shape(name):
    _check(SHAPES[name])


def _shipped_with_reference():
    for path in sorted(SCENARIOS.glob("*.toml")):
        scenario = load_scenario(path)
        if analytic.expected_latency_s(scenario) is not None:
            yield path.name


@pytest.mark.parametrize("name", list(_shipped_with_reference()))
def test_the_reference_holds_for_each_shipped_scenario(name):
    scenario = load_scenario(SCENARIOS / name)
    if scenario.clients > 20_000 and not scenario.groups:  # the same clients, fewer of them
        scenario = scenario.replace({"clients": 1_000})
    _check(scenario, replications=8)


def test_a_short_run_measures_less_than_the_steady_state():
    # right censoring: updates created in the last interval are delivered only when their
    # wait is short, so a run of a few intervals measures clearly less than L + T/2
    scenario = _shape(
        {"kind": "short-polling", "interval_s": 1.0},
        rate=20.0,
        clients=100,
        duration_s=5.0,
        warmup_s=2.0,
    )
    expected = analytic.expected_latency_s(scenario)
    assert expected < analytic.short_poll_mean_latency_s(0.05, 1.0) - 0.03
    means = [run(scenario, seed=seed).summary()["latency_mean_s"] for seed in range(20)]
    assert_within_ci(means, expected, max_half_width=0.01)


def test_a_fixed_phase_with_periodic_updates_has_its_exact_mean():
    scenario = _shape(
        {"kind": "short-polling", "interval_s": 1.0, "phase_s": 0.3},
        workload={"kind": "periodic", "start_s": 0.1},
        rate=1.0,
    )
    expected = analytic.expected_latency_s(scenario)
    simulated = run(scenario).summary()["latency_mean_s"]
    assert expected == pytest.approx(simulated, rel=1e-9)
    # every update waits (phase + L - created) mod T: far from L + T/2
    assert expected == pytest.approx(0.05 + (0.3 + 0.05 - 0.1) % 1.0)
    assert abs(expected - analytic.short_poll_mean_latency_s(0.05, 1.0)) > 0.2


def test_the_in_order_formula_gives_the_slower_mean():
    value = analytic.in_order_mean_latency_s(plots_distribution(EXPONENTIAL), 20.0)
    assert value == pytest.approx(0.0714, abs=5e-4)  # not the path's mean of 0.050


def test_the_in_order_law_holds_for_a_heavy_tailed_path():
    """Pareto latency (shape 2.2): the law P(D <= x) = F(x) exp(-rate E[(L - x)+]), with
    E[(L - x)+] in closed form, matches the simulated delays point by point. (Its mean is
    a poor check: rare huge delays hold back many messages, so a run's mean is usually
    below the stationary 64.1 ms.)"""
    from simulation.analytic.in_order import _closed_form_excess

    latency = {"dist": "pareto", "shape": 2.2, "scale": 0.05 * 1.2 / 2.2}
    scenario = _shape({"kind": "websocket"}, latency=latency, rate=5.0).replace(
        {"duration_s": 2000.0, "clients": 2, "network.bandwidth_bps": 1e12}
    )
    distribution = scenario.network.latency_s
    excess = _closed_form_excess(distribution)
    delays = run(scenario).deliveries
    delays = (delays["delivered_at"] - delays["created_at"]).to_numpy()
    for x in (0.03, 0.05, 0.08, 0.15, 0.3):
        law = (1 - (distribution.scale / x) ** 2.2) * math.exp(-5.0 * excess(x))
        assert (delays <= x).mean() == pytest.approx(law, abs=0.01)
    mean = analytic.in_order_mean_latency_s(distribution, 5.0)
    assert mean == pytest.approx(0.0641, abs=5e-4)


def plots_distribution(spec):
    return make_scenario(network={"latency_s": spec}).network.latency_s


@pytest.mark.parametrize(
    "scenario",
    [
        _shape({"kind": "short-polling"}, latency=EXPONENTIAL),  # requests spread: +Var(L)/T
        _shape({"kind": "long-polling"}, latency=EXPONENTIAL),
        _shape({"kind": "websocket", "ping_interval_s": 5.0}, latency=EXPONENTIAL),
        _shape({"kind": "websocket"}, latency=EXPONENTIAL, workload={"kind": "periodic"}),
        _shape({"kind": "websocket"}, warmup_s=0.0),  # updates wait for the connection
        _shape({"kind": "short-polling", "interval_s": 5.0}),  # first polls off schedule
        _shape({"kind": "socketio"}),
        make_scenario(network={"latency_s": 0.05, "loss": 0.01}),
        _shape({"kind": "sse", "other_tabs": 6}),
        _shape({"kind": "sse"}, transport={"idle_timeout_s": 60.0}),
        _shape(
            {"kind": "websocket"}, server={"push_time_s": {"dist": "exponential", "mean": 0.01}}
        ),
        _shape({"kind": "websocket"}, server={"push_time_s": 0.01}),  # Poisson: they overlap
        _shape({"kind": "long-polling"}, server={"push_time_s": 0.01}),
        _shape(
            {"kind": "sse"},
            server={"push_time_s": 0.01},
            workload={"kind": "periodic"},
            groups=[{"name": "a", "clients": 4}, {"name": "b", "clients": 6}],
        ),
    ],
    ids=[
        "polling-random",
        "long-polling-random",
        "pings-random",
        "periodic-random",
        "no-warmup",
        "warmup-shorter-than-an-interval",
        "socketio",
        "loss",
        "sse-no-connection-left",
        "idle-timeout",
        "random-push-time",
        "serial-broadcasts-that-overlap",
        "long-polling-serial-pushes",
        "serial-pushes-to-groups",
    ],
)
def test_no_reference_where_no_formula_holds(scenario):
    assert analytic.expected_latency_s(scenario) is None


def test_plots_say_when_no_reference_applies():
    with_formula = run(SHAPES["websocket"])
    without = run(_shape({"kind": "short-polling"}, latency=EXPONENTIAL, duration_s=20.0))
    ax = plots.latency_cdf([with_formula, without])
    labels = [text.get_text() for text in ax.get_legend().get_texts()]
    assert any(label.startswith("closed-form mean") for label in labels)
    assert any(label.endswith(plots.NO_CLOSED_FORM) for label in labels)
    ax = plots.latency_box([with_formula, without])
    labels = [text.get_text() for text in ax.get_legend().get_texts()]
    assert "closed-form mean" in labels
    assert any(label.endswith(plots.NO_CLOSED_FORM) for label in labels)
    assert not math.isnan(with_formula.summary()["latency_mean_s"])


@pytest.mark.parametrize(
    "spec",
    [
        {"dist": "exponential", "mean": 0.05},
        {"dist": "lognormal", "mean": 0.05, "sigma": 1.0},
        {"dist": "country-rtt", "server": "DE", "client": "NL"},
    ],
    ids=["exponential", "lognormal", "country-rtt"],
)
def test_the_closed_form_excess_equals_the_integral(spec):
    from scipy import integrate

    from simulation.analytic import in_order

    latency = plots_distribution(spec)
    excess = in_order._closed_form_excess(latency)
    survival = in_order._scipy_distribution(latency).sf
    for x in (0.0, 0.001, 0.01, 0.05, 0.2, 1.0):
        assert excess(x) == pytest.approx(
            integrate.quad(survival, x, math.inf, limit=200)[0], rel=1e-6, abs=1e-12
        )
