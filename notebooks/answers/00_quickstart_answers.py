# %% [markdown]
# # Answers: 0. Quick start
#
# Worked answers to the exercises of `00_quickstart`. Every number comes from the runs
# below (a shorter run with `RTSIM_QUICK=1`), and the claims are asserted.

# %% tags=["parameters"]
import os

QUICK = os.environ.get("RTSIM_QUICK") == "1"
DURATION_S = 30.0 if QUICK else 120.0

# %%
import math

import pandas as pd
from IPython.display import Markdown, display

from simulation import analytic, load_scenario, run

polling = load_scenario("../../scenarios/default.toml").replace({"duration_s": DURATION_S})
push = load_scenario("../../scenarios/default-websocket.toml").replace({"duration_s": DURATION_S})

# %% [markdown]
# ## 1. A 150 ms path
#
# *Raise `network.latency_s` to 0.15. Which strategy's mean latency grows more, and by
# how much?*
#
# Prediction: polling's mean is L + T/2 and push's is L, so both grow by the same
# 100 ms; push's triples, polling's grows by a fifth.

# %%
rows = {}
for scenario in (polling, push):
    for latency in (0.05, 0.15):
        summary = run(scenario.replace({"network.latency_s": latency})).summary()
        rows[scenario.strategy.kind, latency] = summary["latency_mean_s"]
means = pd.Series(rows).unstack()
growth_ms = (means[0.15] - means[0.05]) * 1e3
assert (abs(growth_ms - 100) < 10).all(), growth_ms  # the same 100 ms for both
assert 2.5 < means.loc["websocket", 0.15] / means.loc["websocket", 0.05] < 3.5
display(
    Markdown(
        f"Both grow by about 100 ms: short polling by {growth_ms['short-polling']:.0f} ms "
        f"(from {means.loc['short-polling', 0.05] * 1e3:.0f} to "
        f"{means.loc['short-polling', 0.15] * 1e3:.0f} ms), WebSocket by "
        f"{growth_ms['websocket']:.0f} ms (from {means.loc['websocket', 0.05] * 1e3:.0f} to "
        f"{means.loc['websocket', 0.15] * 1e3:.0f} ms). The path adds one trip to every "
        f"delivery whatever the strategy; what differs is the share: push's latency is "
        f"all path, so it triples, while polling's is mostly waiting for the next poll."
    )
)

# %% [markdown]
# ## 2. When does polling stop wasting polls?
#
# *At what update rate does polling every second waste less than 1% of its polls?*
#
# A poll is empty with probability e^(−λT). With T = 1 s, e^(−λ) < 0.01 when
# λ > ln 100.

# %%
T = polling.strategy.interval_s
threshold = math.log(100) / T
assert abs(analytic.short_poll_empty_fraction(threshold, T) - 0.01) < 1e-12
checks = []
for rate in (threshold / 2, threshold, 2 * threshold):
    summary = run(polling.replace({"workload.rate_per_s": rate})).summary()
    polls = summary["requests"]
    expected = analytic.short_poll_empty_fraction(rate, T)
    # the simulated fraction lies within 4 binomial standard errors of the formula
    error = math.sqrt(expected * (1 - expected) / polls)
    assert abs(summary["empty_fraction"] - expected) <= 4 * error + 1e-9
    checks.append(
        {
            "rate_per_s": rate,
            "polls": polls,
            "simulated": summary["empty_fraction"],
            "closed form": expected,
        }
    )
display(pd.DataFrame(checks).set_index("rate_per_s"))
print(f"threshold: ln 100 / T = {threshold:.2f} updates per second")

# %% [markdown]
# Above about 4.6 updates a second (printed above), fewer than 1% of the polls come back
# empty: the simulated fractions agree with e^(−λT) within their sampling error at half,
# once and twice that rate.
#
# ## 3. The WebSocket's handshake
#
# *Set `duration_s = 2` and `warmup_s = 0` and compare `bytes_per_delivery`. When does
# the upgrade round trip stop mattering?*

# %%
rows = []
for duration in (2.0, 10.0, 60.0, 600.0):
    summary = run(push.replace({"duration_s": duration, "warmup_s": 0.0})).summary()
    rows.append(
        {
            "duration_s": duration,
            "bytes_per_delivery": summary["bytes_per_delivery"],
            "handshake share of bytes": summary["handshake_bytes"] / summary["wire_bytes"],
        }
    )
short_runs = pd.DataFrame(rows).set_index("duration_s")
share = short_runs["handshake share of bytes"]
framed = analytic.push_bytes_per_update(200, 2 + 40)  # an update once the socket is open
assert share.is_monotonic_decreasing and share[2.0] > 0.5 and share[600.0] < 0.01
assert abs(short_runs.loc[600.0, "bytes_per_delivery"] / framed - 1) < 0.05
short_runs

# %%
display(
    Markdown(
        f"In a 2 s session the handshake (TCP's and the Upgrade's round trips, with the "
        f"upgrade request's headers) is **{share[2.0]:.0%}** of the bytes, and an update "
        f"costs {short_runs.loc[2.0, 'bytes_per_delivery']:.0f} bytes instead of the "
        f"{framed:.0f} of a framed update on an open socket. The handshake is paid once "
        f"per connection, so its share falls with the session's length: "
        f"{share[10.0]:.0%} after 10 s, {share[60.0]:.1%} after a minute, "
        f"{share[600.0]:.1%} after ten. For sessions of a minute or more, the upgrade "
        f"stops mattering."
    )
)
