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
from IPython.display import Markdown, display
from matplotlib import pyplot as plt

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
# With one-way latency L, polling interval T and Poisson updates at rate λ, the closed
# forms of the mean latency are:
#
# * short polling: **L + T/2**: an update waits half an interval on average;
# * long polling: **L + λB²/2 / (λB + e^(−λB)(1 − e^(−λH)))**, where the blind window is
#   B = 2L (no request is waiting while a response travels down and the next request
#   up) and H is the hold timeout;
# * push (SSE, WebSocket): **L**.
#
# They leave out the link's serialization time (under a millisecond at 10 Mbit/s here).

# %%
polling, long_polling = scenarios[0], scenarios[1]
L = polling.network.latency_s.mean()
T = polling.strategy.interval_s
rate = polling.workload.rate_per_s
closed_form_s = {
    "short-polling": analytic.short_poll_mean_latency_s(L, T),
    "long-polling": analytic.long_poll_mean_latency_s(
        L, rate, long_polling.strategy.hold_timeout_s
    ),
    "sse": L,
    "websocket": L,
}

# %% [markdown]
# In the CDF, each strategy's dashed vertical line marks its closed-form mean. Short
# polling spreads latency evenly between L and L + T: a straight line. Long polling is
# close to L, except for updates that arrive while no request is waiting. Push
# strategies (SSE and WebSocket, drawn on top of each other) deliver after one one-way
# trip.

# %%
ax = plots.latency_cdf(results, reference=False)
for line, result in zip(ax.get_lines(), results, strict=True):
    kind = result.scenario.strategy.kind
    ax.axvline(closed_form_s[kind] * 1e3, color=line.get_color(), linestyle="--", linewidth=1)
ax.plot([], [], color="0.3", linestyle="--", linewidth=1, label="closed-form mean")
ax.set_xlim(left=0)
ax.legend(loc="lower right", fontsize="small")
plt.show()

# %% [markdown]
# The same latencies as boxes, with the closed-form means as red diamonds. The whiskers
# reach the 5th and 95th percentiles and every slower delivery is a dot, so long
# polling's tail (the updates that arrived in a blind window) is drawn at its full length.
# The axis is logarithmic, since short polling's latencies are ten times the others'.

# %%
ax = plots.latency_box(results)
for position, result in enumerate(results, start=1):
    mean_ms = closed_form_s[result.scenario.strategy.kind] * 1e3
    ax.plot(position, mean_ms, marker="D", color="tab:red", linestyle="")
ax.set_ylabel("delivery latency (ms, log scale)")
ax.set_yscale("log")

# %%
long_summary = results[1].summary()
assert long_summary["latency_p95_s"] > 2 * long_summary["latency_p50_s"]
display(
    Markdown(
        f"Long polling's median is {long_summary['latency_p50_s'] * 1e3:.0f} ms, but its "
        f"95th percentile is **{long_summary['latency_p95_s'] * 1e3:.0f} ms**: the "
        f"slowest update in twenty arrived while no request was waiting, and waited for "
        f"the next one."
    )
)

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
# The closed forms above, and the empty fraction of short polling, **e^(−λT)**, next to
# the simulated values:

# %%
summaries = [r.summary() for r in results]
check = pd.DataFrame(
    {
        "simulated": [
            summaries[0]["latency_mean_s"],
            summaries[0]["empty_fraction"],
            summaries[1]["latency_mean_s"],
            summaries[3]["latency_mean_s"],
        ],
        "closed form": [
            closed_form_s["short-polling"],
            analytic.short_poll_empty_fraction(rate, T),
            closed_form_s["long-polling"],
            closed_form_s["websocket"],
        ],
    },
    index=[
        "short polling: mean latency (s)",
        "short polling: empty fraction",
        "long polling: mean latency (s)",
        "WebSocket: mean latency (s)",
    ],
)
check["difference"] = check["simulated"] / check["closed form"] - 1
assert (check["difference"].abs() < 0.1).all(), check
check

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
bytes_by_rate = by_rate.pivot(index="rate_per_s", columns="strategy", values="bytes_per_delivery")
# exercise 1 below: long polling costs more bytes per update than short polling from 5
# updates per second on, and less at 1 or fewer
more = bytes_by_rate["long-polling"] > bytes_by_rate["short-polling"]
assert more[bytes_by_rate.index >= 5].all() and not more[bytes_by_rate.index <= 1].any()
bytes_by_rate

# %% [markdown]
# ## Exercises
#
# 1. From 5 updates per second on, long polling costs *more* bytes per update than
#    short polling. Why? (Hint: how many updates does one long-poll response carry?)
# 2. Set the short polling interval to 0.1 s. How does its latency compare with long
#    polling now, and what does it cost in `wire_bps`?
# 3. Use `analytic.short_poll_empty_fraction` to find the interval at which only 10% of
#    polls are empty at 2 updates per second. Check it with a run.
