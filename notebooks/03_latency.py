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
import pandas as pd

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
pd.DataFrame(rows)

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
pd.DataFrame({r.scenario.name: r.summary()[columns] for r in results}).T

# %%
ax = plots.bytes_breakdown(results)

# %% [markdown]
# ## Same mean, different tails
#
# Four one-way latency distributions with the same 50 ms mean: constant, exponential,
# log-normal with a long tail, and Pareto with a heavy one. WebSocket delivers each
# update after one trip, so its latency *is* the path's latency, and the percentiles
# show the distribution's shape.

# %%
distributions = {
    "constant": 0.05,
    "exponential": {"dist": "exponential", "mean": 0.05},
    "lognormal": {"dist": "lognormal", "mean": 0.05, "sigma": 1.0},
    "pareto": {"dist": "pareto", "shape": 2.2, "scale": 0.05 * 1.2 / 2.2},
}
tails = []
for name, distribution in distributions.items():
    scenario = parse_scenario(
        {
            "name": name,
            "duration_s": DURATION_S,
            "clients": 10,
            "network": {"latency_s": distribution},
            "strategy": {"kind": "websocket"},
            "workload": {"rate_per_s": 5.0},
        },
        source="notebook 03",
    )
    tails.append(run(scenario))
percentiles = ["latency_mean_s", "latency_p50_s", "latency_p95_s", "latency_p99_s"]
pd.DataFrame({r.scenario.name: r.summary()[percentiles] for r in tails})

# %%
ax = plots.latency_cdf(tails, reference=False)
ax.set_xscale("log")

# %% [markdown]
# Note: over TCP, messages of one connection arrive in order, so a slow message also
# delays the ones behind it. A heavy-tailed path therefore hurts more than its own
# percentiles suggest.
#
# ## Exercises
#
# 1. Without keep-alive, TLS 1.2 triples the bytes per update, yet the mean latency
#    barely changes. Why? (Hint: every poll is delayed by the same set-up, so each poll
#    still collects one interval's worth of updates.)
# 2. With a 150 ms path, how long does a WebSocket over TLS 1.3 take to open? Predict,
#    then run.
# 3. Replace the Pareto shape 2.2 by 1.5 (an even heavier tail, same scale). What
#    happens to the mean and to p99, and why is the mean now unstable between runs?
