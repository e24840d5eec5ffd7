# %% [markdown]
# # 2. Polling versus push
#
# **What you will see.** Four strategies deliver the same updates to the same clients
# over the same network: short polling, long polling, Server-Sent Events and WebSocket.
# You will compare how long updates wait, how many polls come back empty, and how many
# bytes each delivered update costs. Then you will check each number against the formula
# that predicts it.

# %% tags=["parameters"]
import os

QUICK = os.environ.get("RTSIM_QUICK") == "1"
DURATION_S = 60.0 if QUICK else 300.0

# %%
import pandas as pd

from simulation import analytic, load_scenario, plots, run

names = ["default", "default-long-polling", "default-sse", "default-websocket"]
scenarios = [
    load_scenario(f"../scenarios/{name}.toml").replace({"duration_s": DURATION_S}) for name in names
]
results = [run(scenario) for scenario in scenarios]
print(scenarios[0].description)

# %% [markdown]
# ## The headline numbers

# %%
rows = [
    "latency_mean_s",
    "latency_p95_s",
    "requests",
    "empty_fraction",
    "bytes_per_delivery",
    "wire_bps",
]
pd.DataFrame({r.scenario.strategy.kind: r.summary()[rows] for r in results})

# %% [markdown]
# ## Latency
#
# Dashed lines mark each strategy's closed-form mean. Short polling spreads latency
# evenly between L and L + T. Long polling is close to L, except for updates that
# arrive while no request is waiting. Push strategies deliver after one one-way trip.

# %%
ax = plots.latency_cdf(results)

# %%
ax = plots.latency_box(results)

# %% [markdown]
# ## Where the bytes go
#
# A poll costs a request's and a response's headers, whether it brings news or not.
# A pushed update costs a few bytes of framing.

# %%
ax = plots.bytes_breakdown(results)

# %% [markdown]
# ## Against the formulas
#
# With one-way latency L, polling interval T and Poisson updates at rate λ:
#
# * short polling: mean latency **L + T/2**, empty fraction **e^(−λT)**;
# * long polling: mean latency **L + λB²/2 / (λB + e^(−λB)(1 − e^(−λH)))**, where the
#   blind window is B = 2L and H is the hold timeout;
# * push: mean latency **L**.

# %%
polling, long_polling = scenarios[0], scenarios[1]
L = polling.network.latency_s.mean()
T = polling.strategy.interval_s
rate = polling.workload.rate_per_s
summaries = [r.summary() for r in results]
pd.DataFrame(
    {
        "simulated": [
            summaries[0]["latency_mean_s"],
            summaries[0]["empty_fraction"],
            summaries[1]["latency_mean_s"],
            summaries[3]["latency_mean_s"],
        ],
        "closed form": [
            analytic.short_poll_mean_latency_s(L, T),
            analytic.short_poll_empty_fraction(rate, T),
            analytic.long_poll_mean_latency_s(L, rate, long_polling.strategy.hold_timeout_s),
            L,
        ],
    },
    index=[
        "short polling: mean latency (s)",
        "short polling: empty fraction",
        "long polling: mean latency (s)",
        "WebSocket: mean latency (s)",
    ],
)

# %% [markdown]
# The small differences come from sampling noise, from the serialization time of each
# message at 10 Mbit/s, and from updates created at the very end of the run. The test
# suite checks the formulas properly, with confidence intervals over 20 replications.
#
# ## When does it stop mattering?
#
# Polling's cost per update falls as updates become more frequent: more polls find
# something. Sweep the update rate and compare bytes per update.

# %%
rates = [0.2, 1.0, 5.0, 20.0]
rows = []
for strategy in ["short-polling", "long-polling", "websocket"]:
    for r in rates:
        scenario = scenarios[0].replace(
            {"strategy.kind": strategy, "workload.rate_per_s": r, "duration_s": 60.0}
        )
        summary = run(scenario).summary()
        rows.append(
            {
                "strategy": strategy,
                "rate_per_s": r,
                "bytes_per_delivery": summary["bytes_per_delivery"],
                "latency_mean_s": summary["latency_mean_s"],
            }
        )
by_rate = pd.DataFrame(rows)
by_rate.pivot(index="rate_per_s", columns="strategy", values="bytes_per_delivery")

# %% [markdown]
# ## Exercises
#
# 1. From 5 updates per second on, long polling costs *more* bytes per update than
#    short polling. Why? (Hint: how many updates does one long-poll response carry?)
# 2. Set the short polling interval to 0.1 s. How does its latency compare with long
#    polling now, and what does it cost in `wire_bps`?
# 3. Use `analytic.short_poll_empty_fraction` to find the interval at which only 10% of
#    polls are empty at 2 updates per second. Check it with a run.
