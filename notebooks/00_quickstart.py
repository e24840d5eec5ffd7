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
import sys

if "google.colab" in sys.modules:  # on Colab only: fetch the course, install rtsim
    import os
    import subprocess

    if not os.path.isdir("/content/rtsim"):
        url = "https://github.com/rtsim/rtsim"
        subprocess.run(["git", "clone", "-q", "--depth=1", url, "/content/rtsim"], check=True)
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "/content/rtsim"], check=True)
    os.chdir("/content/rtsim/notebooks")

import pandas as pd

from simulation import analytic, load_scenario, run
from simulation.course import check_prediction
from simulation.plots import latency_cdf

polling = load_scenario("../scenarios/default.toml")
push = load_scenario("../scenarios/default-websocket.toml")
print(polling.description)


def self_check(*args, **kwargs):
    """Print how a prediction compares with the run (simulation.course)."""
    print(check_prediction(*args, **kwargs))


# %% [markdown]
# ## Predict first
#
# Each client polls once a second (T = 1 s) over a path of L = 50 ms each way, and two
# updates a second are created at random times. Before you run anything: **what mean
# latency do you expect for polling, and for WebSocket push, in milliseconds? And what
# fraction of polls will find nothing new?** Write your numbers in the next cell.

# %% tags=["prediction"]
predicted_polling_ms = None  # your guess, e.g. 300
predicted_push_ms = None
predicted_empty_fraction = None

# %% [markdown]
# ## Run both scenarios
#
# `run()` returns a `Result`. Its `summary()` is a pandas Series, so two of them make a
# comparison table.

# %%
results = [run(polling), run(push)]
table = pd.DataFrame({r.scenario.name: r.summary() for r in results})
table.loc[["latency_mean_s", "latency_p95_s", "requests", "empty_fraction", "bytes_per_delivery"]]

# %%
polling_summary, push_summary = results[0].summary(), results[1].summary()
self_check("polling", predicted_polling_ms, polling_summary["latency_mean_s"] * 1e3, "ms")
self_check("push", predicted_push_ms, push_summary["latency_mean_s"] * 1e3, "ms")
self_check("empty polls", predicted_empty_fraction, polling_summary["empty_fraction"])
# the worked answer below, checked
assert abs(polling_summary["latency_mean_s"] - 0.550) < 0.05 * 0.550
assert abs(push_summary["latency_mean_s"] - 0.050) < 0.05 * 0.050
assert abs(polling_summary["empty_fraction"] - 0.135) < 0.1 * 0.135

# %% [markdown] jupyter={"source_hidden": true} tags=["answer"]
# **Answer.** An update is created at a random moment between two polls, so it waits on
# average half an interval, T/2 = 500 ms, for the next poll, and then travels L = 50 ms
# back: about **550 ms**. Push sends it at once: one trip, **50 ms**, eleven times less.
# A poll finds nothing when no update was created during the last second; with two
# updates a second at random (a Poisson process) that happens with probability
# e^(−2) ≈ **0.135**, about one poll in seven. The next section derives both properly.

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
# `replace()` makes a changed copy of a scenario. **Predict first:** polling four times a
# second (T = 0.25 s) instead of once, what mean latency do you expect, in milliseconds,
# and how many bytes per delivered update (now about 720)?

# %% tags=["prediction"]
predicted_fast_ms = None
predicted_fast_bytes = None

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
by_interval = pd.DataFrame(rows).set_index("interval_s")
by_interval

# %%
fast, once = by_interval.loc[0.25], by_interval.loc[1.0]
self_check("latency at T = 0.25 s", predicted_fast_ms, fast["latency_mean_s"] * 1e3, "ms")
self_check("bytes at T = 0.25 s", predicted_fast_bytes, fast["bytes_per_delivery"], "bytes")
# the worked answer below, checked
assert abs(fast["latency_mean_s"] - 0.175) < 0.05 * 0.175
assert abs(once["bytes_per_delivery"] - 720) < 0.05 * 720
assert abs(fast["bytes_per_delivery"] - 2360) < 0.1 * 2360
assert 2.5 < fast["bytes_per_delivery"] / once["bytes_per_delivery"] < 3.5  # "three times"

# %% [markdown] jupyter={"source_hidden": true} tags=["answer"]
# **Answer.** Latency is L + T/2 = 50 + 125 = **175 ms**. The bytes grow instead: each
# poll costs about 1,080 bytes of headers (700 + 300, plus 40 of IP/TCP per packet)
# whether or not it brings anything, and a poll now collects only λT = 0.5 updates on
# average. So each delivered update carries its 200-byte payload plus 1,080 / 0.5 = 2,160
# bytes of headers: about **2,360 bytes**, three times as many as polling once a second.
# Faster polling buys latency with bandwidth.

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
