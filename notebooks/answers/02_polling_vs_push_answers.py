# %% [markdown]
# # Answers: 2. Polling versus push
#
# Worked answers to the exercises of `02_polling_vs_push`. Every number comes from the
# closed forms and the runs below (shorter runs with `RTSIM_QUICK=1`), and the claims are
# asserted.

# %% tags=["parameters"]
import os

QUICK = os.environ.get("RTSIM_QUICK") == "1"
DURATION_S = 60.0 if QUICK else 300.0

# %%
import math

import pandas as pd
from IPython.display import Markdown, display
from scipy.optimize import brentq

from simulation import analytic, load_scenario, run

short = load_scenario("../../scenarios/default.toml").replace({"duration_s": DURATION_S})
long = load_scenario("../../scenarios/default-long-polling.toml").replace(
    {"duration_s": DURATION_S}
)
L = short.network.latency_s.mean()
T = short.strategy.interval_s
H = long.strategy.hold_timeout_s
payload = short.workload.payload_bytes.mean()
packet = short.transport.packet_overhead_bytes
request = short.http.request_header_bytes + packet
response = short.http.response_header_bytes + packet

# %% [markdown]
# ## 1. Where short and long polling cost the same
#
# *At what update rate do short and long polling cost the same bytes per update?*
#
# Both pay one exchange (request and response headers) per response. Short polling's
# responses carry λT updates on average, long polling's λB + e^(−λB)(1 − e^(−λH)) with
# B = 2L. The costs are equal where the two counts are: solve for λ.


# %%
def gap(rate):
    return analytic.short_poll_bytes_per_update(
        payload, rate, T, request, response
    ) - analytic.long_poll_bytes_per_update(payload, L, rate, request, response, H)


even = brentq(gap, 0.5, 20.0)
rate_t = even * T  # updates per short poll, equal to long polling's per response
assert abs(rate_t - analytic.long_poll_updates_per_response(L, even, H)) < 1e-6
rows = []
for rate in (even / 2, even, 2 * even):
    for scenario in (short, long):
        summary = run(scenario.replace({"workload.rate_per_s": rate})).summary()
        rows.append(
            {
                "rate_per_s": rate,
                "strategy": scenario.strategy.kind,
                "bytes_per_delivery": summary["bytes_per_delivery"],
            }
        )
by_rate = pd.DataFrame(rows).pivot(
    index="rate_per_s", columns="strategy", values="bytes_per_delivery"
)
ratio = by_rate["long-polling"] / by_rate["short-polling"]
assert abs(ratio.iloc[1] - 1) < 0.05  # equal at the rate found, within a few per cent
assert ratio.iloc[0] < 1 < ratio.iloc[2]  # long polling cheaper below it, dearer above
by_rate

# %%
display(
    Markdown(
        f"The closed forms cross at **{even:.2f} updates per second**, where a short poll "
        f"carries {rate_t:.2f} updates, as many as a long-poll response. The runs agree: "
        f"at that rate long polling costs {ratio.iloc[1]:.2f} times short polling's bytes "
        f"per update, at half the rate {ratio.iloc[0]:.2f} times, at twice the rate "
        f"{ratio.iloc[2]:.2f} times."
    )
)

# %% [markdown]
# ## 2. Short polling ten times a second
#
# *Set the short polling interval to 0.1 s. How does its latency compare with long
# polling now, and what does it cost in `wire_bps`?*

# %%
fast = run(short.replace({"strategy.interval_s": 0.1})).summary()
once = run(short).summary()
held = run(long).summary()
compare = pd.DataFrame(
    {"short polling, T = 0.1 s": fast, "short polling, T = 1 s": once, "long polling": held}
).loc[["latency_mean_s", "wire_bps", "empty_fraction", "bytes_per_delivery"]]
assert abs(fast["latency_mean_s"] / analytic.short_poll_mean_latency_s(L, 0.1) - 1) < 0.05
assert fast["latency_mean_s"] > held["latency_mean_s"]
assert fast["wire_bps"] > 3 * held["wire_bps"] and fast["wire_bps"] > 3 * once["wire_bps"]
compare

# %%
display(
    Markdown(
        f"Polling every 0.1 s brings the mean latency down to "
        f"{fast['latency_mean_s'] * 1e3:.0f} ms (L + T/2 = "
        f"{analytic.short_poll_mean_latency_s(L, 0.1) * 1e3:.0f} ms), still above long "
        f"polling's {held['latency_mean_s'] * 1e3:.0f} ms. It pays for it in polls: "
        f"{fast['empty_fraction']:.0%} of them come back empty, and the wire carries "
        f"{fast['wire_bps'] / 1e3:.0f} kbit/s instead of {once['wire_bps'] / 1e3:.0f} kbit/s "
        f"at T = 1 s and {held['wire_bps'] / 1e3:.0f} kbit/s for long polling: "
        f"{fast['wire_bps'] / held['wire_bps']:.1f} times long polling's bandwidth for a "
        f"worse latency."
    )
)

# %% [markdown]
# ## 3. The interval with 10% empty polls
#
# *Find the interval at which only 10% of polls are empty at 2 updates per second.*
#
# e^(−λT) = 0.1 gives T = ln 10 / λ.

# %%
rate = short.workload.rate_per_s
interval = math.log(10) / rate
assert abs(analytic.short_poll_empty_fraction(rate, interval) - 0.1) < 1e-12
summary = run(short.replace({"strategy.interval_s": interval})).summary()
polls = summary["requests"]
error = math.sqrt(0.1 * 0.9 / polls)  # the binomial standard error of the fraction
assert abs(summary["empty_fraction"] - 0.1) <= 4 * error
print(
    f"T = ln 10 / {rate:g} = {interval:.3f} s: {summary['empty_fraction']:.3f} of "
    f"{polls:,} polls empty (closed form 0.100, standard error {error:.3f})"
)
