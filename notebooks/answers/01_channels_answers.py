# %% [markdown]
# # 1. Channels: worked answers to the exercises
#
# Each answer computes its numbers here, so this notebook runs on its own, top to
# bottom. Same radio link as notebook 01: 64 kbit/s, 5 ms one way, 200-byte messages,
# one client; half-duplex turnaround 20 ms unless said otherwise.

# %% tags=["parameters"]
import os

QUICK = os.environ.get("RTSIM_QUICK") == "1"
DURATION_S = 60.0 if QUICK else 300.0
REPLICATIONS = 3 if QUICK else 10

# %%
import numpy as np
import pandas as pd

from simulation import analytic, parse_scenario, run
from simulation.sweep.stats import mean_half_width

RADIO = {"latency_s": 0.005, "bandwidth_bps": 64e3}
PAYLOAD = 200


def scenario(mode, down, up=None, turnaround_s=0.02, **network):
    net = {"mode": mode, **RADIO, **network}
    if mode == "half-duplex":
        net["turnaround_s"] = turnaround_s
    workload = {"kind": "poisson", "rate_per_s": down, "payload_bytes": PAYLOAD}
    if up is not None:
        workload["up"] = {"kind": "poisson", "rate_per_s": up, "payload_bytes": PAYLOAD}
    return parse_scenario(
        {
            "name": mode,
            "duration_s": DURATION_S,
            "warmup_s": 5.0,
            "clients": 1,
            "network": net,
            "strategy": {"kind": "websocket"},
            "workload": workload,
        },
        source="answers 01",
    )


def serialization(bandwidth_bps=RADIO["bandwidth_bps"]):
    """Seconds to send a WebSocket frame of PAYLOAD bytes: 4 bytes of frame header (and a
    4-byte mask going up) and 40 of IP/TCP."""
    return {
        "down": (PAYLOAD + 4 + 40) * 8 / bandwidth_bps,
        "up": (PAYLOAD + 8 + 40) * 8 / bandwidth_bps,
    }


# %% [markdown]
# ## Exercise 1: unequal rates
#
# 8 updates per second down, 2 client messages up. A message pays the turnaround when
# the message before it went the other way: an up message with probability 8/10, a down
# message with probability 2/10. So **up messages pay 0.8 × 20 = 16 ms of turnaround on
# average, down messages 4 ms**: the rarer direction nearly always finds the medium
# pointed the other way. The queueing term is shared by both directions.

# %%
S = serialization()
rows = {}
for direction, rate_other in (("down", 2.0), ("up", 8.0)):
    values = []
    for seed in range(REPLICATIONS):
        s = run(scenario("half-duplex", 8.0, 2.0), seed=seed).summary()
        values.append(s["latency_mean_s" if direction == "down" else "latency_up_mean_s"])
    mean, half = mean_half_width(values)
    rows[direction] = {
        "turnaround share (ms)": 20 * rate_other / 10,
        "closed form (ms)": 1e3
        * analytic.half_duplex_mean_latency_s(
            direction, 8.0, 2.0, RADIO["latency_s"], 0.02, S["down"], S["up"]
        ),
        "simulated mean (ms)": mean * 1e3,
        "95% CI half-width (ms)": half * 1e3,
    }
unequal = pd.DataFrame(rows).T
gap_ms = unequal.loc["up", "simulated mean (ms)"] - unequal.loc["down", "simulated mean (ms)"]
assert 10 < gap_ms < 15  # "about 12 ms slower"
off = unequal["simulated mean (ms)"] / unequal["closed form (ms)"] - 1
assert (off.abs() < 0.06).all()  # "within a few per cent"
unequal.round(2)

# %% [markdown]
# Up messages are about 12 ms slower than down ones: the 12 ms difference in turnaround
# share. The closed form is within a few per cent; with unequal rates it runs a little
# low, since it treats the medium times of successive messages as independent, and they
# are less so when one direction dominates.
#
# ## Exercise 2: a faster radio
#
# At 1 Mbit/s a frame takes about 2 ms to send instead of 31. The medium saturates when
# ρ = λ·E[X] reaches 1, with E[X] = S + (T + L)/2 at equal rates: T = 2(1/λ − S) − L.

# %%
fast = serialization(1e6)


def rho(turnaround_s, bandwidth_s=fast):
    return analytic.half_duplex_utilisation(
        5.0, 5.0, RADIO["latency_s"], turnaround_s, bandwidth_s["down"], bandwidth_s["up"]
    )


low, high = 0.0, 1.0  # bisection on rho(T) = 1
for _ in range(60):
    middle = (low + high) / 2
    low, high = (middle, high) if rho(middle) < 1 else (low, middle)
saturation_fast = low
by_hand = 2 * (1 / 10 - np.mean(list(fast.values()))) - RADIO["latency_s"]
assert abs(saturation_fast - by_hand) < 1e-6
slow = serialization()
low, high = 0.0, 1.0
for _ in range(60):
    middle = (low + high) / 2
    low, high = (middle, high) if rho(middle, slow) < 1 else (low, middle)
print(
    f"the busy chat saturates at T = {saturation_fast * 1e3:.0f} ms at 1 Mbit/s, "
    f"against {low * 1e3:.0f} ms at 64 kbit/s"
)

# %% [markdown]
# On either side of it (the mean latency of down messages over one run; below the
# saturation it settles, above it the queue, and the latency, keep growing with the run):

# %%
rows = []
for turnaround in (saturation_fast - 0.04, saturation_fast + 0.04):
    result = run(scenario("half-duplex", 5.0, 5.0, turnaround, bandwidth_bps=1e6))
    d = result.deliveries
    d = d[(d["direction"] == "down") & (d["created_at"] >= 5.0)]
    halfway = 5.0 + (DURATION_S - 5.0) / 2
    rows.append(
        {
            "turnaround (ms)": turnaround * 1e3,
            "ρ": rho(turnaround),
            "mean latency, first half of the run (ms)": d.loc[
                d["created_at"] < halfway, "latency_s"
            ].mean()
            * 1e3,
            "mean latency, second half (ms)": d.loc[d["created_at"] >= halfway, "latency_s"].mean()
            * 1e3,
        }
    )
either_side = pd.DataFrame(rows)
below, above = either_side.iloc[0], either_side.iloc[1]
assert (
    above["mean latency, second half (ms)"] > 2 * above["mean latency, first half of the run (ms)"]
)
assert (
    below["mean latency, second half (ms)"] < 2 * below["mean latency, first half of the run (ms)"]
)
either_side.round(2)

# %% [markdown]
# A faster link does not make turnarounds cheaper, but it leaves the medium idle more
# of the time, so it can afford longer ones before it saturates.
#
# ## Exercise 3: late updates over TCP, and a simplex feed sent twice
#
# With 5% loss, TCP finds a lost frame in one of two ways: three later frames arrive and
# their duplicate acknowledgements tell the sender (fast retransmit), or nothing follows
# soon enough and the retransmission timer fires, after at least 1 s. At 2 updates per
# second three frames take 1.5 s on average, so the timer usually fires first. Either
# way a lost update arrives well over 0.5 s late, and the few frames sent behind it wait
# for it (TCP hands data over in order): so between the loss rate (5%) and about twice
# it are late by more than 0.5 s.

# %%
late = []
lossy = scenario("full-duplex", 2.0, loss=0.05).replace({"duration_s": 300.0})
for seed in range(10):  # fast runs: the full length and 10 replications even in quick mode
    result = run(lossy, seed=seed)
    d = result.deliveries
    d = d[d["created_at"] >= 5.0]
    late.append((d["latency_s"] > 0.5).mean())
mean, half = mean_half_width(late)
assert 0.05 < mean < 0.15  # "between the loss rate and about twice it"
print(f"late by more than 0.5 s: {mean:.1%} ± {half:.1%} (95% CI, 10 runs)")

# %% [markdown]
# A simplex feed that sends every update twice loses an update only when both copies
# are lost: with independent losses, 0.05² = 0.25%, so **99.75%** arrive, for twice the
# bytes. (rtsim would count the two copies as two updates, so this one is arithmetic.)

# %%
both_lost = 0.05**2
print(f"delivered with two copies: {1 - both_lost:.2%}, with one: {1 - 0.05:.0%}")
