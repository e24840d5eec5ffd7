"""Record levels: summary() is the same at every level; what a level did not keep says so.

Counts and sums must be equal exactly, means to floating-point rounding, and latency
percentiles within the documented relative error (``docs/record-levels.md``).
"""

import math

import matplotlib
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_properties import scenarios

from simulation import ScenarioError, plots, run, sweep
from simulation.cli import main
from simulation.result import RecordLevelError
from simulation.sketch import CHUNK, ValueSketch

from helpers import SCENARIOS, make_scenario, shortened_scenario

matplotlib.use("Agg")

LEVELS = ("full", "deliveries", "summary")
LIGHT = ("deliveries", "summary")
PERCENTILE_ERROR = 0.005  # the documented bound
PERCENTILES = {
    "latency_p50_s",
    "latency_p95_s",
    "latency_p99_s",
    "latency_up_p50_s",
    "latency_up_p95_s",
    "latency_up_p99_s",
}
MEANS = {"latency_mean_s", "latency_up_mean_s", "age_at_delivery_mean_s"}
# metrics that are ratios of counts or sums: exact, as the counts are
DERIVED = {"delivery_ratio", "empty_fraction", "bytes_per_delivery", "wire_bps"}


def _at(scenario, level):
    return scenario.replace({"record.level": level})


def assert_same_metrics(full, other, where=""):
    """``other`` (a Series, or a row of summary(by=...)) equals ``full`` as documented."""
    assert list(other.index) == list(full.index), where
    for name in full.index:
        a, b = float(full[name]), float(other[name])
        if math.isnan(a) or math.isnan(b):
            assert math.isnan(a) and math.isnan(b), f"{where} {name}: {a} vs {b}"
        elif name in PERCENTILES:
            assert abs(b - a) <= PERCENTILE_ERROR * abs(a), f"{where} {name}: {a} vs {b}"
        elif name in MEANS:
            assert b == pytest.approx(a, rel=1e-9, abs=1e-12), f"{where} {name}: {a} vs {b}"
        else:
            assert a == b, f"{where} {name}: {a} vs {b}"


def assert_levels_agree(scenario):
    results = {level: run(_at(scenario, level), force=True) for level in LEVELS}
    full = results["full"].summary()
    for level in LIGHT:
        assert_same_metrics(full, results[level].summary(), f"{scenario.name} at {level}:")
    if scenario.groups:
        by_full = results["full"].summary(by="group")
        for level in LIGHT:
            by_level = results[level].summary(by="group")
            assert list(by_level.index) == list(by_full.index)
            for group in by_full.index:
                assert_same_metrics(by_full.loc[group], by_level.loc[group], f"{level} {group}:")
    return results


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.toml")), ids=lambda p: p.stem)
def test_every_scenario_summarizes_alike_at_every_level(path):
    assert_levels_agree(shortened_scenario(path))


@settings(max_examples=25, deadline=None)
@given(scenarios(), st.sampled_from([0.0, 0.5, 2.0]))
def test_random_scenarios_summarize_alike_at_every_level(scenario, warmup_s):
    assert_levels_agree(scenario.replace({"warmup_s": min(warmup_s, scenario.duration_s / 2)}))


def test_faults_recovery_and_reconnects_alike_with_groups_and_warmup():
    scenario = make_scenario(
        clients=12,
        duration_s=30.0,
        warmup_s=3.0,
        strategy={"kind": "long-polling"},
        network={"loss": 0.05},
        workload={"rate_per_s": 5.0},
        faults={
            "outages": [{"start_s": 8.0, "duration_s": 3.0}],
            "server_restarts_s": [18.0],
            "loss_bursts": {"p_enter": 0.05, "p_leave": 0.3, "loss_in_burst": 0.8},
        },
        groups=[
            {"name": "near", "share": 0.4, "network": {"latency_s": 0.02}},
            {"name": "far", "share": 0.6, "network": {"latency_s": 0.2}},
        ],
    )
    results = assert_levels_agree(scenario)
    full = results["full"].summary()
    assert math.isfinite(full["recovery_max_s"]) and full["recovery_max_s"] > 0
    assert full["retransmissions"] > 0 and full["reconnect_storm_peak_per_s"] > 0


def test_websocket_reconnects_and_up_messages_alike():
    scenario = make_scenario(
        clients=8,
        duration_s=20.0,
        warmup_s=2.0,
        strategy={"kind": "sse", "max_stream_s": 3.0, "history_size": 5},
        workload={"rate_per_s": 10.0},
        faults={"server_restarts_s": [6.0, 12.0]},
    )
    assert_levels_agree(scenario)


def test_sketch_quantiles_within_the_documented_error():
    rng = np.random.default_rng(1)
    values = np.concatenate([rng.lognormal(-2, 1.5, 3 * CHUNK + 17), np.zeros(5)])
    sketch = ValueSketch()
    for value in values:
        sketch.pending.append(float(value))
        if len(sketch.pending) >= CHUNK:
            sketch.fold()
    qs = (0.0, 0.001, 0.25, 0.5, 0.9, 0.95, 0.99, 0.999, 1.0)
    for q, got in zip(qs, sketch.quantiles(qs), strict=True):
        want = float(np.quantile(values, q))
        assert abs(got - want) <= PERCENTILE_ERROR * want, (q, got, want)
    assert sketch.count == values.size
    assert sketch.mean() == pytest.approx(values.mean(), rel=1e-12)
    assert sketch.max() == values.max()


def test_sketch_of_nothing_is_nan():
    sketch = ValueSketch()
    assert sketch.count == 0
    assert all(math.isnan(v) for v in [sketch.mean(), sketch.max(), *sketch.quantiles((0.5,))])


@pytest.fixture(scope="module")
def light():
    scenario = make_scenario(clients=3, duration_s=5.0)
    return {level: run(_at(scenario, level)) for level in LEVELS}


@pytest.mark.parametrize(
    ("level", "table", "keeps"),
    [
        ("deliveries", "transfers", "'full'"),
        ("summary", "transfers", "'full'"),
        ("summary", "deliveries", "'full' or 'deliveries'"),
        ("summary", "connections", "'full' or 'deliveries'"),
        ("summary", "updates", "'full' or 'deliveries'"),
    ],
)
def test_a_table_not_kept_names_the_level_that_keeps_it(light, level, table, keeps):
    with pytest.raises(RecordLevelError, match=rf"\[record\] level = '{level}'.*{keeps}"):
        getattr(light[level], table)


def test_the_tables_each_level_keeps(light):
    assert len(light["full"].transfers) > 0
    for level in ("full", "deliveries"):
        assert len(light[level].deliveries) == len(light["full"].deliveries)
        assert len(light[level].connections) == len(light["full"].connections)
    assert light["full"].tallies is None
    counts = light["deliveries"].tallies.transfer_counts
    assert counts["messages"].sum() == len(light["full"].transfers)


def test_plots_name_the_level_they_need(light):
    with pytest.raises(RecordLevelError, match=r"sequence_chart.*level = 'deliveries'.*'full'"):
        plots.sequence_chart(light["deliveries"])
    with pytest.raises(RecordLevelError, match=r"latency plots.*'full' or 'deliveries'"):
        plots.latency_cdf([light["summary"]])
    with pytest.raises(RecordLevelError, match=r"time_series.*'full' or 'deliveries'"):
        plots.time_series(light["summary"])
    plots.latency_cdf([light["deliveries"]])  # kept there


def test_bytes_breakdown_is_the_same_at_every_level(light):
    heights = []
    for level in LEVELS:
        ax = plots.bytes_breakdown([light[level]])
        heights.append([patch.get_height() for patch in ax.patches])
        matplotlib.pyplot.close(ax.figure)
    assert heights[0] == heights[1] == heights[2]


def test_a_bad_level_is_refused_with_the_allowed_values(tmp_path):
    with pytest.raises(ScenarioError, match=r"record\.level.*full, deliveries, summary"):
        make_scenario(record={"level": "tiny"})
    bad = tmp_path / "bad.toml"
    bad.write_text('[record]\nlevel = "compact"\n')
    assert main(["validate", str(bad)]) == 2


def test_rtsim_run_at_every_level(tmp_path, capsys):
    files = []
    for level in LEVELS:
        path = tmp_path / f"{level}.toml"
        path.write_text(
            f'duration_s = 5.0\nclients = 2\n[strategy]\nkind = "short-polling"\n'
            f'[record]\nlevel = "{level}"\n'
        )
        files.append(str(path))
    assert main(["run", *files, "--save", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "full" / "transfers.csv").exists()
    assert not (tmp_path / "out" / "deliveries" / "transfers.csv").exists()
    assert (tmp_path / "out" / "deliveries" / "deliveries.csv").exists()
    assert (tmp_path / "out" / "summary" / "transfer_counts.csv").exists()
    assert main(["run", files[2], "--plot", str(tmp_path / "x.png")]) == 2
    assert "kept at level 'full' or 'deliveries'" in capsys.readouterr().err


def test_a_sweep_at_the_summary_level_aggregates_like_full():
    base = make_scenario(clients=4, duration_s=10.0, warmup_s=1.0)
    grid = {"strategy.interval_s": [0.5, 2.0]}
    tables = {
        level: sweep(_at(base, level), grid, 2, executor="serial", progress=False)
        for level in ("full", "summary")
    }
    full, summary = tables["full"], tables["summary"]
    assert summary["error"].eq("").all()
    for name in ("deliveries", "wire_bytes", "requests", "empty_responses", "latency_max_s"):
        assert summary[name].tolist() == full[name].tolist()
    for name in ("latency_p50_s", "latency_p95_s", "latency_p99_s"):
        np.testing.assert_allclose(summary[name], full[name], rtol=PERCENTILE_ERROR)


def test_duplicates_are_found_by_a_client_a_set_then_a_bitmap():
    # no shipped or random scenario delivers an update twice: check the record directly
    from simulation.record import RecordSetup, SummaryRecorder

    recorder = SummaryRecorder(RecordSetup(0.0, 10.0, ((0, 10_000),), ()))
    clients = [3, 3, 4, *range(100), 5000, 5000, 9999]
    seen: set[int] = set()
    for client in clients:
        assert recorder._duplicate(7, client) == (client in seen)
        seen.add(client)
    assert isinstance(recorder._seen[7], bytearray)  # more than a set's worth of clients
    assert recorder._duplicate(8, 1) is False and recorder._seen[8] == 1


def test_a_runs_identity_changes_with_its_level_only_when_not_full():
    from simulation.sweep.tasks import _scenario_text, scenario_identity

    base = make_scenario(clients=2)
    assert '"record"' not in _scenario_text(base)  # stored sweeps keep their identity
    identities = {scenario_identity(_at(base, level)) for level in LEVELS}
    assert len(identities) == 3
