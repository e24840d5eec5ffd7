"""Plots: each one on a small result, checked against the numbers it draws."""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from matplotlib import pyplot as plt

from simulation import analytic, plots, run

from helpers import ROOT, make_scenario


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")  # plots create their figures through pyplot


def test_figures_are_created_through_pyplot_and_saved_headless(tmp_path):
    """pyplot manages the figure (so Jupyter's inline backend shows it once), and a
    script without a display saves it with the Agg backend."""
    ax = plots.sweep_lines(sweep_table(), "network.latency_s", "latency_mean_s")
    assert plt.fignum_exists(ax.figure.number)
    script = (
        "import matplotlib, sys; from simulation import figures; "
        "figures.main([sys.argv[1]]); print(matplotlib.get_backend())"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "MPLBACKEND": ""},
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.strip().splitlines()[-1].lower() == "agg"
    written = sorted(tmp_path.glob("*.png"))
    assert [p.name for p in written] == [
        "bytes-per-update.png",
        "half-duplex-sequence.png",
        "latency-cdf.png",
    ]
    assert all(p.read_bytes()[:4] == b"\x89PNG" for p in written)


def transfer_arrows(ax):
    return {
        text.get_gid(): text
        for text in ax.texts
        if text.get_gid() and text.get_gid().startswith("transfer-")
    }


def test_sequence_chart_arrows_follow_the_transfer_times():
    scenario = make_scenario(
        duration_s=2.0,
        network={"mode": "simplex", "latency_s": 0.1},
        strategy={"kind": "stream"},
        workload={"kind": "periodic", "rate_per_s": 1.0, "start_s": 0.5},
    )
    result = run(scenario)
    ax = plots.sequence_chart(result)
    arrows = transfer_arrows(ax)
    assert len(arrows) == 2
    for row in result.transfers.itertuples():
        arrow = arrows[f"transfer-{row.message_id}"]
        # from the server (x = 0) at sent_at to client 0 (x = -1) at received_at
        assert arrow.xyann == pytest.approx((0, row.sent_at))
        assert arrow.xy == pytest.approx((-1, row.received_at))
    assert ax.get_ylim() == (2.0, 0.0)  # time flows downwards
    assert [t.get_text() for t in ax.get_xticklabels()] == ["client 0", "server"]


def test_sequence_chart_marks_lost_messages_and_half_duplex_turnarounds():
    scenario = make_scenario(
        duration_s=5.0,
        seed=3,
        network={"mode": "half-duplex", "latency_s": 0.05, "loss": 0.3, "turnaround_s": 0.02},
        strategy={"kind": "short-polling", "interval_s": 0.5},
        transport={"rto_s": 0.2, "rto_min_s": 0.2},
    )
    result = run(scenario)
    lost = int(result.transfers["lost"].sum())
    assert lost > 0
    ax = plots.sequence_chart(result, clients=[0])
    crosses = [line for line in ax.lines if line.get_marker() == "x" and line.get_xdata().size]
    assert len(crosses) == lost
    assert len(transfer_arrows(ax)) == len(result.transfers)
    assert len(ax.collections) > 0  # the shaded medium


def ideal(kind, **strategy):
    return run(
        make_scenario(
            clients=3,
            duration_s=60.0,
            warmup_s=2.0,
            network={"latency_s": 0.05},
            strategy={"kind": kind, **strategy},
            workload={"rate_per_s": 2.0},
        )
    )


@pytest.fixture(scope="module")
def results():
    return [ideal("short-polling", interval_s=1.0), ideal("long-polling"), ideal("websocket")]


def test_latency_cdf_draws_a_line_and_a_closed_form_reference_per_result(results):
    ax = plots.latency_cdf(results)
    references = [line for line in ax.lines if line.get_linestyle() == "--"]
    assert len(references) == 3
    # L + T/2, less the right censoring of a 58 s measured window
    wait = analytic.short_poll_measured_wait_s(1.0, 60.0 - 2.0 - 0.05)
    assert 0.49 < wait < 0.5
    assert references[0].get_xdata()[0] == pytest.approx(1e3 * (0.05 + wait))
    assert references[2].get_xdata()[0] == pytest.approx(1e3 * 0.05)
    assert ax.get_xlabel() == "delivery latency (ms)"
    assert ax.get_legend() is not None


def test_latency_box_has_one_box_and_one_reference_per_result(results):
    ax = plots.latency_box(results, violin=False)
    diamonds = [line for line in ax.lines if line.get_marker() == "D" and line.get_xdata().size]
    assert [d.get_xdata()[0] for d in diamonds] == [1, 2, 3]
    assert len(ax.get_xticklabels()) == 3
    assert plots.latency_box(results, violin=True).get_ylabel() == "delivery latency (ms)"


def test_bytes_breakdown_bars_add_up_to_bytes_per_delivery(results):
    ax = plots.bytes_breakdown(results)
    totals = np.zeros(3)
    for container in ax.containers:
        totals += [bar.get_height() for bar in container]
    assert len(ax.containers) == 5  # the five byte categories
    expected = [r.summary()["bytes_per_delivery"] for r in results]
    assert totals == pytest.approx(expected)


def test_time_series_has_three_labelled_panels():
    result = run(
        make_scenario(
            clients=5,
            duration_s=20.0,
            strategy={"kind": "short-polling", "interval_s": 0.5},
            server={"workers": 1, "service_time_s": 0.01},
        )
    )
    axes = plots.time_series(result, bin_s=2.0)
    assert [a.get_ylabel() for a in axes] == [
        "open connections",
        "server busy fraction",
        "deliveries per s",
    ]
    busy = axes[1].lines[0].get_ydata()
    # 5 clients x 2 polls/s x 10 ms of work = 10% of one worker (after the first polls)
    assert np.median(busy) == pytest.approx(0.1, abs=0.01)
    assert axes[0].lines[0].get_ydata().max() == 5


def sweep_table():
    return pd.DataFrame(
        {
            "strategy.kind": ["a", "a", "b", "b"],
            "network.latency_s": [0.01, 0.1, 0.01, 0.1],
            "latency_mean_s_mean": [0.5, 0.6, 0.01, 0.1],
            "latency_mean_s_ci": [0.01, 0.02, 0.001, 0.002],
        }
    )


def test_sweep_lines_draw_a_band_per_strategy():
    ax = plots.sweep_lines(sweep_table(), "network.latency_s", "latency_mean_s")
    assert len(ax.lines) == 2 and len(ax.collections) == 2
    assert list(ax.lines[0].get_ydata()) == [0.5, 0.6]


def test_sweep_lines_claim_a_confidence_interval_only_with_replications():
    replicated = sweep_table().assign(runs=5)
    ax = plots.sweep_lines(replicated, "network.latency_s", "latency_mean_s")
    assert len(ax.collections) == 2 and "95% CI of 5 runs" in ax.get_title()
    single = sweep_table().assign(runs=1, latency_mean_s_ci=np.nan)
    ax = plots.sweep_lines(single, "network.latency_s", "latency_mean_s")
    assert len(ax.collections) == 0 and "CI" not in ax.get_title()
    assert "no confidence interval" in ax.get_title()
    # words and units, not column names
    assert ax.get_xlabel() == "one-way latency (s)"
    assert ax.get_ylabel() == "mean delivery latency (s)"
    assert ax.get_legend().get_title().get_text() == "strategy"
    assert plots.label("some_new_metric") == "some_new_metric"


def test_latency_box_whiskers_reach_the_95th_percentile(results):
    ax = plots.latency_box(results[1:2])  # long polling: a long tail
    latency = plots.latency._measured_latency(results[1], "ms")
    tops = [line.get_ydata().max() for line in ax.lines if line.get_linestyle() == "-"]
    assert max(tops) == pytest.approx(np.percentile(latency, 95))
    beyond = [line for line in ax.lines if line.get_marker() == "." and line.get_xdata().size]
    assert sum(line.get_xdata().size for line in beyond) == np.sum(
        (latency > np.percentile(latency, 95)) | (latency < np.percentile(latency, 5))
    )


def test_sequence_chart_labels_coincident_arrows_once():
    scenario = make_scenario(
        duration_s=1.0,
        network={"latency_s": 0.02},
        strategy={"kind": "socketio"},
        workload={"kind": "periodic", "rate_per_s": 2.0, "start_s": 0.5},
    )
    ax = plots.sequence_chart(run(scenario), start_s=0.0, end_s=0.3)
    labels = [t for t in ax.texts if not t.get_gid()]
    places = [(t.get_position(), t.get_color()) for t in labels]
    assert len(places) == len(set(places))  # no two labels printed on the same spot
    assert any("tcp-syn x2" in t.get_text() for t in labels)


def test_sweep_heatmap_writes_every_cell():
    ax = plots.sweep_heatmap(sweep_table(), "network.latency_s", "strategy.kind", "latency_mean_s")
    assert sorted(t.get_text() for t in ax.texts) == sorted(["0.5", "0.6", "0.01", "0.1"])


def test_bad_inputs_say_what_is_missing(results):
    with pytest.raises(ValueError, match="at least one result"):
        plots.latency_cdf([])
    with pytest.raises(ValueError, match=r"missing columns \['latency_mean_s_ci'\]"):
        plots.sweep_lines(
            sweep_table().drop(columns="latency_mean_s_ci"), "network.latency_s", "latency_mean_s"
        )
    with pytest.raises(ValueError, match="empty"):
        plots.sweep_heatmap(
            sweep_table().iloc[:0], "network.latency_s", "strategy.kind", "latency_mean_s"
        )
    with pytest.raises(ValueError, match="end_s"):
        plots.sequence_chart(results[0], start_s=5.0, end_s=1.0)
