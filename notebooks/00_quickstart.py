# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Quick start: short polling versus WebSocket push
#
# **What you will see:** the same 20 clients and the same stream of updates, delivered once
# by polling every second and once by pushing over a WebSocket. You will measure how long
# updates wait, how many polls come back empty, and how many bytes each delivered update
# costs. Then you will check those numbers against the formulas that predict them.
#
# Times are in seconds and sizes in bytes. Every number below comes from the simulation.

# %%
import pandas as pd

from simulation import analytic, load_scenario, run
from simulation.plots import latency_cdf

polling = load_scenario("../scenarios/default.toml")
push = load_scenario("../scenarios/default-websocket.toml")
print(polling.description)

# %% [markdown]
# ## Run both scenarios
#
# `run()` returns a `Result`. Its `summary()` is a pandas Series, so two of them make a
# comparison table.

# %%
results = [run(polling), run(push)]
table = pd.DataFrame({r.scenario.name: r.summary() for r in results})
table.loc[["latency_mean_s", "latency_p95_s", "requests", "empty_fraction", "bytes_per_delivery"]]

# %% [markdown]
# ## Latency, as a distribution
#
# Polling spreads latency evenly between L and L + T: an update waits for the next poll.
# Push delivers every update after one one-way latency.

# %%
ax = latency_cdf(results)

# %% [markdown]
# ## Check against theory
#
# With one-way latency L and polling interval T, an update waits on average T/2 for the
# next poll, then travels L back: the mean latency is **L + T/2**. With Poisson updates at
# rate λ, a poll finds nothing with probability **e^(−λT)**. One run agrees to within a few
# per cent: sampling noise, and updates created in the last second that no poll has
# collected yet. The test suite checks the agreement properly, with confidence intervals
# over 20 replications.

# %%
L = polling.network.latency_s.mean()
T = polling.strategy.interval_s
rate = polling.workload.rate_per_s
summary = results[0].summary()
check = pd.DataFrame(
    {
        "simulated": [summary["latency_mean_s"], summary["empty_fraction"]],
        "closed form": [
            analytic.short_poll_mean_latency_s(L, T),
            analytic.short_poll_empty_fraction(rate, T),
        ],
    },
    index=["mean latency (s)", "empty fraction"],
)
check["difference"] = check["simulated"] / check["closed form"] - 1
assert (check["difference"].abs() < 0.05).all(), check  # "within a few per cent"
check

# %% [markdown]
# ## What if polling were faster?
#
# `replace()` makes a changed copy of a scenario. Faster polling lowers latency, but it
# multiplies requests and header bytes.

# %%
rows = []
for interval in [0.25, 0.5, 1.0, 2.0]:
    summary = run(polling.replace({"strategy.interval_s": interval})).summary()
    rows.append(
        {
            "interval_s": interval,
            "latency_mean_s": summary["latency_mean_s"],
            "empty_fraction": summary["empty_fraction"],
            "bytes_per_delivery": summary["bytes_per_delivery"],
        }
    )
pd.DataFrame(rows)

# %% [markdown]
# ## A sweep with confidence intervals
#
# One run is one sample. `sweep()` runs every cell of a grid several times, on all cores,
# and `aggregate()` gives each metric's mean and 95% confidence half-width per cell.
# Replication r of every cell uses the same seed (common random numbers), so differences
# between cells are not noise.

# %%
from simulation import aggregate, sweep

runs = sweep(
    polling.replace({"duration_s": 60.0}),
    {"strategy.kind": ["short-polling", "long-polling", "websocket"]},
    replications=4,
)
aggregate(runs, ["latency_mean_s", "bytes_per_delivery"])[
    ["strategy.kind", "runs", "latency_mean_s_mean", "latency_mean_s_ci", "bytes_per_delivery_mean"]
]

# %% [markdown]
# ## Exercises
#
# 1. Raise `network.latency_s` to 0.15. Which strategy's mean latency grows more, and by
#    how much? Predict the answer before you run it.
# 2. At what update rate does polling every second waste less than 1% of its polls?
#    Use `analytic.short_poll_empty_fraction` first, then simulate to confirm.
# 3. Make WebSocket pay for its handshake: set `duration_s = 2` and `warmup_s = 0` and
#    compare `bytes_per_delivery`. When does the upgrade round trip stop mattering?
