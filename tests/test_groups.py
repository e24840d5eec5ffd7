"""Client groups, measured country latencies and audiences."""

import json

import matplotlib
import numpy as np
import pytest

from simulation import ScenarioError, analytic, load_scenario, parse_scenario, plots, run, sweep
from simulation.cli import main
from simulation.country_rtt import CountryRtt, pair_stats, top_countries
from simulation.groups import split_clients
from simulation.metrics import SUMMARY_METRICS

from helpers import SCENARIOS, assert_within_ci

matplotlib.use("Agg")


def two_groups(strategy, near=0.015, far=0.2, **top):
    data = {
        "clients": 10,
        "duration_s": 40.0,
        "warmup_s": 5.0,
        "strategy": strategy,
        "workload": {"rate_per_s": 2.0},
        "network": {"bandwidth_bps": 10e6},
        "groups": [
            {"name": "near", "share": 0.7, "network": {"latency_s": near}},
            {"name": "far", "share": 0.3, "network": {"latency_s": far}},
        ],
    }
    data.update(top)
    return parse_scenario(data, source="groups.toml")


def test_websocket_groups_get_exactly_their_latency_plus_serialization():
    result = run(two_groups({"kind": "websocket"}))
    frames = result.transfers[result.transfers["kind"] == "ws-frame"]
    size = frames["payload_bytes"] + frames["overhead_bytes"] + frames["transport_bytes"]
    serialization = dict(zip(frames["message_id"], size * 8 / 10e6, strict=True))
    deliveries = result.deliveries
    for group, latency in (("near", 0.015), ("far", 0.2)):
        mine = deliveries[deliveries["group"] == group]
        expected = latency + mine["message_id"].map(serialization)
        np.testing.assert_allclose(mine["latency_s"], expected, rtol=0, atol=1e-12)
        assert len(mine) > 100
    table = result.summary(by="group")
    assert table.loc["near", "latency_mean_s"] == pytest.approx(0.015, abs=1e-3)
    assert table.loc["far", "latency_mean_s"] == pytest.approx(0.2, abs=1e-3)


def test_short_polling_groups_each_get_their_closed_form():
    scenario = two_groups(
        {"kind": "short-polling", "interval_s": 1.0}, clients=20, network={}
    )  # unlimited bandwidth: the closed form holds
    runs = [run(scenario, seed=seed).summary(by="group") for seed in range(10)]
    for group in ("near", "far"):
        expected = analytic.expected_latency_s(scenario, group)
        assert expected == pytest.approx(
            {"near": 0.015, "far": 0.2}[group]
            + analytic.short_poll_measured_wait_s(
                1.0, 40.0 - 5.0 - {"near": 0.015, "far": 0.2}[group]
            )
        )
        assert_within_ci([t.loc[group, "latency_mean_s"] for t in runs], expected, 0.02)
    # the whole audience: the groups' means weighted by their clients
    overall = analytic.expected_latency_s(scenario)
    weighted = 0.7 * analytic.expected_latency_s(
        scenario, "near"
    ) + 0.3 * analytic.expected_latency_s(scenario, "far")
    assert overall == pytest.approx(weighted)


def test_summary_by_group_has_every_metric_and_adds_up():
    result = run(two_groups({"kind": "short-polling"}))
    table = result.summary(by="group")
    total = result.summary()
    assert list(table.index) == ["near", "far"]
    assert set(SUMMARY_METRICS) <= set(table.columns)
    for metric in ("deliveries", "expected_deliveries", "wire_bytes", "requests", "messages"):
        assert table[metric].sum() == total[metric]
    assert np.isnan(table.loc["near", "server_requests"])  # a whole-run counter
    assert table["latency_mean_s"].dtype == float
    for name in ("deliveries", "transfers", "connections"):
        frame = getattr(result, name)
        assert (frame["group"] == np.where(frame["client"] < 7, "near", "far")).all()
    plain = run(load_scenario(SCENARIOS / "default.toml").replace({"duration_s": 20.0}))
    assert list(plain.summary(by="group").index) == ["all"]
    assert "group" not in plain.deliveries.columns


def test_clients_are_split_by_largest_remainder_in_contiguous_ranges():
    assert split_clients([1 / 3, 1 / 3, 1 / 3], 10) == [4, 3, 3]
    assert split_clients([0.7, 0.3], 10) == [7, 3]
    assert split_clients([0.5, 0.25, 0.25], 7) == [3, 2, 2]  # 3.5, 1.75, 1.75
    scenario = two_groups({"kind": "websocket"}, clients=11)
    assert [(g.first, g.count) for g in scenario.groups] == [(0, 8), (8, 3)]
    counted = parse_scenario(
        {
            "clients": 5,
            "strategy": {"kind": "websocket"},
            "groups": [{"name": "a", "clients": 2}, {"name": "b", "clients": 3}],
        }
    )
    assert [g.count for g in counted.groups] == [2, 3]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"groups": [{"name": "a", "share": 0.5}]}, "shares add up to 0.5"),
        (
            {
                "groups": [
                    {"name": "a", "share": 0.5, "network": {"loss": 2}},
                    {"name": "b", "share": 0.5},
                ]
            },
            r"groups\.a\.network\.loss: must be < 1",
        ),
        (
            {"groups": [{"name": "a", "share": 1.0, "network": {"mode": "simplex"}}]},
            r"cannot run on groups\.a\.network\.mode = 'simplex'",
        ),
        (
            {"groups": [{"name": "a", "share": 1.0, "network": {"turnaround_s": 0.1}}]},
            r"groups\.a\.network\.turnaround_s = 0\.1 only applies",
        ),
        ({"groups": [{"name": "a", "share": 1.0, "netwrk": {}}]}, "did you mean 'network'"),
        (
            {"groups": [{"name": "a", "share": 0.5}, {"name": "a", "share": 0.5}]},
            "names two groups",
        ),
        ({"groups": [{"name": "a", "share": 0.5, "clients": 5}]}, "either share"),
        ({"groups": [{"name": "a/b", "share": 1.0}]}, "letters, digits"),
        ({"groups": [{"name": "a", "clients": 3}]}, "add up to 3, but clients = 10"),
        (
            {"groups": [{"name": "a", "share": 0.999}, {"name": "b", "share": 0.001}]},
            "rounds to none",
        ),
        ({"groups": {"name": "a"}}, "must be a list of tables"),
        ({"audience": {"server": "DE", "countries": "top-2"}, "groups": []}, "not both"),
        ({"audience": {"server": "XX", "countries": "top-2"}}, "close matches"),
        ({"audience": {"server": "DE", "countries": "everyone"}}, "'top-N'"),
        (
            {
                "groups": [
                    {
                        "name": "a",
                        "share": 1.0,
                        "network": {
                            "latency_s": {"dist": "country-rtt", "server": "AD", "client": "AT"}
                        },
                    }
                ]
            },
            r"groups\.a\.network\.latency_s \(country-rtt\): AD-AT has 3 pings",
        ),
    ],
)
def test_bad_groups_are_explained_naming_the_group(change, message):
    data = {"clients": 10, "strategy": {"kind": "short-polling"}, **change}
    with pytest.raises(ScenarioError, match=message):
        parse_scenario(data, source="bad.toml")


def test_a_sweep_can_vary_one_group():
    scenario = two_groups({"kind": "short-polling"}, duration_s=10.0, warmup_s=2.0)
    runs = sweep(
        scenario, {"groups.far.network.loss": [0.0, 0.1]}, executor="serial", progress=False
    )
    assert runs["retransmissions"].tolist()[0] == 0 < runs["retransmissions"].tolist()[1]
    lossy = scenario.replace({"groups.far.network.loss": 0.1})
    assert lossy.groups[1].network.loss == 0.1 and lossy.groups[0].network.loss == 0.0
    assert parse_scenario(lossy.to_dict()) == lossy
    with pytest.raises(ScenarioError, match="did you mean 'far'"):
        scenario.replace({"groups.fra.network.loss": 0.1})


@pytest.mark.parametrize(
    ("server", "client"), [("DE", "JP"), ("DE", "US"), ("US", "BR"), ("DE", "DE")]
)
def test_country_rtt_matches_the_measured_mean_and_spread(server, client):
    stats = pair_stats(server, client)
    latency = CountryRtt(server, client)
    assert latency.mean() == pytest.approx(stats.rtt_mean_ms / 2000, rel=1e-12)
    assert latency.std() == pytest.approx(stats.rtt_sd_ms / 2000, rel=1e-12)
    # the tail is heavy (DE-DE: sd twice the mean), so the sample must be large
    values = latency.sample(np.random.default_rng(7), 16_000_000)
    assert values.min() >= stats.rtt_min_ms / 2000
    assert values.mean() == pytest.approx(stats.rtt_mean_ms / 2000, rel=0.02)
    assert values.std() == pytest.approx(stats.rtt_sd_ms / 2000, rel=0.02)


def test_an_audience_expands_to_one_group_per_country():
    top = top_countries("DE", 5)
    assert [country for country, _ in top] == ["US", "DE", "NL", "FR", "CH"]
    assert sum(share for _, share in top) == pytest.approx(1.0)
    scenario = parse_scenario(
        {
            "clients": 100,
            "strategy": {"kind": "websocket"},
            "audience": {"server": "DE", "countries": "top-5"},
        }
    )
    assert [g.name for g in scenario.groups] == ["US", "DE", "NL", "FR", "CH"]
    assert sum(g.count for g in scenario.groups) == 100
    assert scenario.groups[0].network.latency_s == CountryRtt("DE", "US")
    chosen = parse_scenario(
        {
            "clients": 10,
            "strategy": {"kind": "websocket"},
            "audience": {"server": "DE", "countries": {"US": 0.4, "IN": 0.6}},
        }
    )
    assert [(g.name, g.count) for g in chosen.groups] == [("US", 4), ("IN", 6)]


def test_global_audience_runs_and_prints_by_group(capsys):
    assert main(["run", str(SCENARIOS / "global-audience.toml"), "--by", "group", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "global-audience, by group:" in out
    assert all(country in out for country in ("US", "AU", "BR"))
    assert (
        main(
            [
                "run",
                str(SCENARIOS / "global-audience-us-server.toml"),
                "--json",
                "--by",
                "group",
                "--quiet",
            ]
        )
        == 0
    )
    payload = json.loads(capsys.readouterr().out)
    assert len(payload[0]["by_group"]) == 20 and "latency_mean_s" in payload[0]["by_group"]["US"]


def test_latency_cdf_draws_one_curve_per_group():
    result = run(two_groups({"kind": "websocket"}, network={}))
    ax = plots.latency_cdf([result], by="group")
    labels = [text.get_text() for text in ax.get_legend().get_texts()]
    assert labels == ["near", "closed-form mean, near", "far", "closed-form mean, far"]
    with pytest.raises(ValueError, match="no client groups"):
        plots.latency_cdf(
            [
                run(
                    load_scenario(SCENARIOS / "default-websocket.toml").replace(
                        {"duration_s": 15.0}
                    )
                )
            ],
            by="group",
        )
