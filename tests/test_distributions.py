import math

import numpy as np
import pytest

from simulation import ScenarioError
from simulation.distributions import (
    DISTRIBUTIONS,
    Constant,
    Empirical,
    Exponential,
    LogNormal,
    Normal,
    Pareto,
    Uniform,
    parse_distribution,
)

CASES = [
    Constant(0.05),
    Uniform(0.01, 0.03),
    Exponential(0.05),
    Normal(0.05, 0.02),
    Normal(0.01, 0.02),  # truncation matters: a third of the mass is below 0
    LogNormal(0.05, 0.5),
    Pareto(3.0, 0.02),
    Empirical((0.01, 0.02, 0.06)),
]


@pytest.mark.parametrize("distribution", CASES, ids=repr)
def test_sample_mean_agrees_with_mean(distribution):
    rng = np.random.default_rng(11)
    values = distribution.sample(rng, 200_000)
    standard_error = values.std() / math.sqrt(values.size)
    assert abs(values.mean() - distribution.mean()) <= 5 * standard_error + 1e-12


@pytest.mark.parametrize("distribution", CASES, ids=repr)
def test_samples_stay_in_the_support(distribution):
    low, high = distribution.support()
    values = distribution.sample(np.random.default_rng(2), 10_000)
    assert values.min() >= low
    assert values.max() <= high
    single = distribution.sample(np.random.default_rng(2))
    assert isinstance(float(single), float)


@pytest.mark.parametrize("distribution", CASES, ids=repr)
def test_to_dict_round_trips(distribution):
    again = parse_distribution(distribution.to_dict(), "x")
    assert again.mean() == pytest.approx(distribution.mean())
    assert again.support() == pytest.approx(distribution.support())


def test_reprs_are_readable():
    assert repr(LogNormal(0.05, 0.5)) == "LogNormal(mean=0.05, sigma=0.5)"
    assert repr(Exponential(0.1)) == "Exponential(mean=0.1)"
    assert repr(Normal(0.05, 0.01)) == "Normal(mean=0.05, sd=0.01, truncated_at=0)"
    assert "n=3" in repr(Empirical((1.0, 2.0, 3.0), source="ping.csv:rtt"))


def test_truncated_normal_mean_has_the_closed_form():
    # a = -mu/sd = -1: mean = mu + sd * pdf(1) / cdf(1)
    expected = 1.0 + 1.0 * 0.24197072451914337 / 0.8413447460685429
    assert Normal(1.0, 1.0).mean() == pytest.approx(expected)


def test_pareto_with_heavy_tail_has_infinite_mean():
    assert math.isinf(Pareto(1.0, 1.0).mean())


def test_a_number_means_constant():
    assert parse_distribution(0.05, "x") == Constant(0.05)
    assert parse_distribution(3, "x") == Constant(3.0)


def test_a_table_names_the_distribution():
    parsed = parse_distribution({"dist": "lognormal", "mean": 0.05, "sigma": 0.5}, "x")
    assert parsed == LogNormal(0.05, 0.5)
    assert set(DISTRIBUTIONS) == {
        "constant",
        "uniform",
        "exponential",
        "normal",
        "lognormal",
        "pareto",
        "empirical",
        "country-rtt",
    }


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"dist": "lognormall", "mean": 1, "sigma": 1}, "did you mean 'lognormal'"),
        ({"mean": 1}, "no 'dist' key"),
        ({"dist": "exponential"}, "needs 'mean'"),
        ({"dist": "exponential", "mean": 1, "rate": 2}, "unknown key 'rate'"),
        ({"dist": "exponential", "mean": -1}, "mean must be > 0"),
        ({"dist": "uniform", "low": 2, "high": 1}, "must be >= low"),
        ({"dist": "exponential", "mean": "fast"}, "expected a number"),
        ({"dist": "empirical"}, "either values or csv"),
        ({"dist": "empirical", "values": []}, "at least one value"),
        ("fast", "expected a number or a table"),
        (True, "expected a number or a distribution"),
    ],
)
def test_bad_distributions_are_explained(value, message):
    with pytest.raises(ScenarioError, match=message):
        parse_distribution(value, "f.toml: network.latency_s")


def test_empirical_reads_a_csv_column_relative_to_the_scenario(tmp_path):
    (tmp_path / "ping.csv").write_text("when,rtt_ms\n1,20\n2,40\n3,\n4,60\n")
    parsed = parse_distribution(
        {"dist": "empirical", "csv": "ping.csv", "column": "rtt_ms", "scale": 0.0005},
        "x",
        base_dir=tmp_path,
    )
    assert parsed.values == pytest.approx((0.01, 0.02, 0.03))
    assert "ping.csv:rtt_ms" in repr(parsed)


def test_empirical_csv_errors_name_the_problem(tmp_path):
    (tmp_path / "ping.csv").write_text("when,rtt_ms\n1,20\n2,fast\n")
    table = {"dist": "empirical", "csv": "ping.csv", "column": "rtt"}
    with pytest.raises(ScenarioError, match=r"no column 'rtt'.*did you mean 'rtt_ms'"):
        parse_distribution(table, "x", base_dir=tmp_path)
    with pytest.raises(ScenarioError, match=r"line 3.*'fast' is not a number"):
        parse_distribution({**table, "column": "rtt_ms"}, "x", base_dir=tmp_path)
    with pytest.raises(ScenarioError, match="cannot read CSV"):
        parse_distribution({**table, "csv": "missing.csv"}, "x", base_dir=tmp_path)
