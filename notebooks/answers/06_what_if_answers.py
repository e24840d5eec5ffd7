# %% [markdown]
# # Answers: 6. What if...?
#
# Worked answers to the exercises of `06_what_if`. Every number comes from the runs below
# (fewer clients with `RTSIM_QUICK=1`), and the claims are asserted.

# %% tags=["parameters"]
import os

QUICK = os.environ.get("RTSIM_QUICK") == "1"
DEPLOY_CLIENTS = 500 if QUICK else 10_000

# %%
import pandas as pd
from IPython.display import Markdown, display

from simulation import load_scenario, run

base = load_scenario("../../scenarios/default.toml").replace({"duration_s": 60.0, "clients": 10})

# %% [markdown]
# ## 1. 5% loss
#
# *In the panel, raise the loss to 5%. Which strategy's p95 suffers most, and why?*

# %%
rows = []
for kind in ["short-polling", "long-polling", "sse", "websocket"]:
    for loss in (0.0, 0.05):
        summary = run(base.replace({"strategy.kind": kind, "network.loss": loss})).summary()
        rows.append(
            {
                "strategy": kind,
                "loss": loss,
                "p95 (s)": summary["latency_p95_s"],
                "retransmissions": summary["retransmissions"],
            }
        )
lossy = pd.DataFrame(rows).pivot(index="strategy", columns="loss")
growth = lossy[("p95 (s)", 0.05)] - lossy[("p95 (s)", 0.0)]
worst = growth.idxmax()
rto = base.transport.rto_s
assert worst == "long-polling"
assert all(rto < lossy.loc[kind, ("p95 (s)", 0.05)] < rto + 0.2 for kind in ("sse", "websocket"))
assert growth["short-polling"] < growth["websocket"] < growth["long-polling"]
lossy.round(3)

# %%
display(
    Markdown(
        f"**{worst}**: its p95 grows from {lossy.loc[worst, ('p95 (s)', 0.0)] * 1e3:.0f} ms "
        f"to {lossy.loc[worst, ('p95 (s)', 0.05)]:.2f} s. At two updates a second no "
        f"stream is busy enough for fast retransmit (three messages behind a loss take "
        f"1.5 s, longer than the {rto:g} s timer), so every loss waits for the "
        f"retransmission timer. For SSE and WebSocket that is one message in twenty: the "
        f"p95 lands just past the timer, at "
        f"{lossy.loc['websocket', ('p95 (s)', 0.05)]:.2f} s. A long poll needs two lone "
        f"packets per update (the response and the next request), and a lost request "
        f"also holds up every update that arrives meanwhile, so more than one update in "
        f"twenty waits a timer or two (backed off). Short polling suffers least: its p95 "
        f"was already almost a whole interval, and the next poll comes anyway."
    )
)

# %% [markdown]
# ## 2. A cap on the back-off
#
# *In the tunnel, set `transport.rto_max_s = 4`. How much sooner does service resume?*

# %%
tunnel = load_scenario("../../scenarios/tunnel.toml")
rows = []
for outage_s in (30.0, 40.0):
    for cap in (tunnel.transport.rto_max_s, 4.0):
        scenario = tunnel.replace(
            {
                "faults.outages": [{"start_s": 60.0, "duration_s": outage_s}],
                "transport.rto_max_s": cap,
            }
        )
        rows.append(
            {
                "outage (s)": outage_s,
                "rto_max_s": cap,
                "recovery_max_s": run(scenario).summary()["recovery_max_s"],
            }
        )
capped = pd.DataFrame(rows).set_index(["outage (s)", "rto_max_s"])["recovery_max_s"]
# the timer's schedule from the first loss: 1, 2, 4, 8, 16 s, or capped at 4 s
doubling = pd.Series([1, 2, 4, 8, 16, 32]).cumsum()
at_four = pd.Series([1, 2, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4]).cumsum()
assert doubling[4] == at_four[8] == 31  # both resend 31 s after the first loss
default_cap = tunnel.transport.rto_max_s
assert abs(capped[30.0, 4.0] - capped[30.0, default_cap]) < 0.5
assert capped[40.0, 4.0] < 5 and capped[40.0, default_cap] > 20
capped.unstack().round(2)

# %%
display(
    Markdown(
        f"For this 30 s tunnel, hardly sooner: {capped[30.0, default_cap]:.2f} s without "
        f"the cap, {capped[30.0, 4.0]:.2f} s with it. By chance both schedules resend 31 s "
        f"after the first loss (1 + 2 + 4 + 8 + 16 = 1 + 2 + 4 + 4 × 6), just after the "
        f"tunnel. Ten seconds more of tunnel and the doubling timer's next resend is 32 s "
        f"later: service resumes {capped[40.0, default_cap]:.1f} s after the tunnel, "
        f"against {capped[40.0, 4.0]:.1f} s with the 4 s cap. A cap bounds the wait after "
        f"any outage by about the cap; without it the wait grows with the outage."
    )
)

# %% [markdown]
# ## 3. How much jitter?
#
# *Make the deploy's jitter 0.2 and 1.0. How do the storm peak and the recovery time
# trade off?*

# %%
deploy = load_scenario("../../scenarios/deploy-10k.toml").replace({"clients": DEPLOY_CLIENTS})
rows = []
for factor in (0.0, 0.2, 0.5, 1.0):
    summary = run(deploy.replace({"strategy.randomization_factor": factor})).summary()
    rows.append(
        {
            "randomization_factor": factor,
            "storm peak (per s)": summary["reconnect_storm_peak_per_s"],
            "recovery_max_s": summary["recovery_max_s"],
        }
    )
jitter = pd.DataFrame(rows).set_index("randomization_factor")
set_up_s = 2 * 2 * deploy.network.latency_s.mean()  # TCP and the Upgrade: two round trips
assert jitter["storm peak (per s)"].is_monotonic_decreasing
assert jitter["recovery_max_s"].is_monotonic_increasing
for factor, row in jitter.iterrows():  # the last client waits almost 1 + factor seconds
    assert 1 + set_up_s - 1e-9 <= row["recovery_max_s"] <= 1 + factor + set_up_s + 1e-9
jitter

# %%
display(
    Markdown(
        f"A wait of 1 s ± f spreads the reconnections over 2f seconds. At f = 0.2 the "
        f"storm peaks at {jitter.loc[0.2, 'storm peak (per s)']:,.0f} connections in a "
        f"second and the last client is back after {jitter.loc[0.2, 'recovery_max_s']:.2f} "
        f"s; at f = 1.0 the peak falls to {jitter.loc[1.0, 'storm peak (per s)']:,.0f} and "
        f"the last client waits {jitter.loc[1.0, 'recovery_max_s']:.2f} s (of "
        f"{DEPLOY_CLIENTS:,} clients). More jitter lowers the peak the server must absorb "
        f"and delays the unluckiest client by up to f seconds: the trade-off is load "
        f"against the worst recovery time."
    )
)
