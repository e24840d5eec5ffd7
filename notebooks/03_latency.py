# %% [markdown]
# # 3. Latency: what a persistent connection saves
#
# **What you will see.** Before a client can send anything, TCP needs one round trip,
# TLS 1.3 one more and TLS 1.2 two more; a WebSocket then needs the HTTP Upgrade round
# trip. A persistent connection pays this once; a new connection per request pays it
# every time. You will measure set-up times against the formula, count the bytes of
# handshakes, and see how the *shape* of the latency distribution (not only its mean)
# decides the slowest deliveries.

# %% tags=["parameters"]
import os

QUICK = os.environ.get("RTSIM_QUICK") == "1"
DURATION_S = 30.0 if QUICK else 120.0
CLIENTS = 50 if QUICK else 500

# %%
import numpy as np
import pandas as pd
from IPython.display import Markdown, display

from simulation import analytic, load_scenario, parse_scenario, plots, run

# %% [markdown]
# ## Set-up round trips
#
# WebSocket clients connect at t = 0 over a 50 ms path; `ready_at` is when each
# receives the 101 response.

# %%
latency = 0.05
rows = []
for tls in ["none", "1.3", "1.2"]:
    scenario = parse_scenario(
        {
            "duration_s": 5.0,
            "clients": CLIENTS,
            "network": {"latency_s": latency},
            "strategy": {"kind": "websocket"},
            "transport": {"tls": tls},
        },
        source="notebook 03",
    )
    connections = run(scenario).connections
    trips = analytic.setup_round_trips(tls, websocket=True)
    rows.append(
        {
            "tls": tls,
            "round trips": trips,
            "closed form (s)": analytic.setup_time_s(latency, trips),
            "simulated ready_at (s)": connections["ready_at"].mean(),
        }
    )
setup = pd.DataFrame(rows)
assert np.allclose(setup["simulated ready_at (s)"], setup["closed form (s)"], rtol=0.01)
setup

# %% [markdown]
# ## A new connection for every poll
#
# The `tls-*.toml` scenarios poll once a second with keep-alive off: every poll sets up
# a new connection. Compare with keep-alive on.

# %%
results = []
for name in ["tls-plain", "tls-1.3", "tls-1.2"]:
    scenario = load_scenario(f"../scenarios/{name}.toml").replace({"duration_s": DURATION_S})
    results.append(run(scenario))
    kept = scenario.replace({"transport.keep_alive": True, "name": f"{name} + keep-alive"})
    results.append(run(kept))
columns = ["latency_mean_s", "handshake_bytes", "bytes_per_delivery", "connections_opened"]
by_setup = pd.DataFrame({r.scenario.name: r.summary()[columns] for r in results}).T
# exercise 1 below: without keep-alive, TLS 1.2 more than triples the bytes per update,
# yet the mean latency moves by less than 5%
new, kept = by_setup.loc["tls-1.2"], by_setup.loc["tls-1.2 + keep-alive"]
assert new["bytes_per_delivery"] > 3 * kept["bytes_per_delivery"]
assert abs(new["latency_mean_s"] / kept["latency_mean_s"] - 1) < 0.05
by_setup

# %%
ax = plots.bytes_breakdown(results)

# %% [markdown]
# ## Same mean, different tails
#
# Four one-way latency distributions with the same 50 ms mean: constant, exponential,
# log-normal with a long tail, and Pareto with a heavy one. WebSocket delivers each
# update after one trip, so its latency *is* the path's latency, and the percentiles
# show the distribution's shape. Updates are rare here (one every 5 s), so a message is
# almost never still in flight when the next one is sent (see the note below for why that
# matters).

# %%
distributions = {
    "constant": 0.05,
    "exponential": {"dist": "exponential", "mean": 0.05},
    "lognormal": {"dist": "lognormal", "mean": 0.05, "sigma": 1.0},
    "pareto": {"dist": "pareto", "shape": 2.2, "scale": 0.05 * 1.2 / 2.2},  # mean a·s/(a−1)
}
tails = []
for name, distribution in distributions.items():
    scenario = parse_scenario(
        {
            "name": name,
            "duration_s": DURATION_S,
            "clients": 300,
            "network": {"latency_s": distribution},
            "strategy": {"kind": "websocket"},
            "workload": {"rate_per_s": 0.2},
        },
        source="notebook 03",
    )
    assert abs(scenario.network.latency_s.mean() - 0.05) < 1e-12  # the path's mean
    tails.append(run(scenario))
percentiles = ["latency_mean_s", "latency_p50_s", "latency_p95_s", "latency_p99_s"]
table = pd.DataFrame({r.scenario.name: r.summary()[percentiles] for r in tails})
# the measured means are 50 ms too, within sampling noise: four standard errors
for result in tails:
    latency = result.deliveries["latency_s"]
    standard_error = latency.std() / len(latency) ** 0.5
    assert abs(latency.mean() - 0.05) <= 4 * standard_error + 1e-9, result.scenario.name
table

# %%
ax = plots.latency_cdf(tails, reference=False)
ax.set_xlabel("delivery latency (ms, log scale)")
ax.set_xscale("log")
ax.set_xlim(left=1)  # the exponential's shortest trips are far below a millisecond
ax.grid(True, which="both", alpha=0.3)

# %% [markdown]
# Note: over TCP, messages of one connection arrive in order, so a slow message also
# delays the ones behind it. A heavy-tailed path therefore hurts more than its own
# percentiles suggest once messages follow each other closely. The same Pareto path with
# 25 times as many updates:

# %%
pareto = tails[-1].scenario
busy = run(pareto.replace({"workload.rate_per_s": 5.0, "name": "pareto, 5 updates/s"}))
busy_mean, rare_mean = busy.summary()["latency_mean_s"], tails[-1].summary()["latency_mean_s"]
assert busy_mean > rare_mean
display(
    Markdown(
        f"At 5 updates per second, the Pareto path's mean delivery latency is "
        f"**{busy_mean * 1e3:.1f} ms** instead of {rare_mean * 1e3:.1f} ms, and its "
        f"99th percentile {busy.summary()['latency_p99_s'] * 1e3:.0f} ms instead of "
        f"{tails[-1].summary()['latency_p99_s'] * 1e3:.0f} ms: updates queue behind a slow "
        f"one."
    )
)

# %% [markdown]
# ## Exercises
#
# 1. Without keep-alive, TLS 1.2 more than triples the bytes per update, yet the mean
#    latency barely changes. Why? (Hint: every poll is delayed by the same set-up, so each poll
#    still collects one interval's worth of updates.)
# 2. With a 150 ms path, how long does a WebSocket over TLS 1.3 take to open? Predict,
#    then run.
# 3. Replace the Pareto shape 2.2 by 1.5 (an even heavier tail, same scale). What
#    happens to the mean and to p99, and why is the mean now unstable between runs?
