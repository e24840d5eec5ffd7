# %% [markdown]
# # 1. Channels: simplex, half-duplex and full-duplex
#
# **What you will see.** The same polling client talks to a server over three kinds of
# channel. On a **full-duplex** channel both directions carry messages at once. On a
# **half-duplex** channel (a walkie-talkie, a shared radio link) only one direction can
# send at a time, and every change of direction costs a *turnaround*. On a **simplex**
# channel (a broadcast downlink) only the server can send, so a client cannot ask for
# anything at all.
#
# You will draw message sequence charts, in which each arrow's slant is the message's
# latency, and measure what turnarounds cost. Times are in seconds, sizes in bytes.

# %% tags=["parameters"]
import sys

if "google.colab" in sys.modules:  # on Colab only: fetch the course, install rtsim
    import os
    import subprocess

    if not os.path.isdir("/content/rtsim"):
        url = "https://github.com/rtsim/rtsim"
        subprocess.run(["git", "clone", "-q", "--depth=1", url, "/content/rtsim"], check=True)
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "/content/rtsim"], check=True)
    os.chdir("/content/rtsim/notebooks")

import os

QUICK = os.environ.get("RTSIM_QUICK") == "1"  # the test suite runs a small version
DURATION_S = 30.0 if QUICK else 120.0

# %%
import pandas as pd

from simulation import ScenarioError, parse_scenario, plots, run

radio = {"latency_s": 0.005, "bandwidth_bps": 64e3}  # a slow radio link, 5 ms each way
base = parse_scenario(
    {
        "name": "full-duplex",
        "duration_s": DURATION_S,
        "warmup_s": 5.0,
        "clients": 1,
        "network": {"mode": "full-duplex", **radio},
        "strategy": {"kind": "short-polling", "interval_s": 0.5},
        "workload": {"kind": "poisson", "rate_per_s": 1.0, "payload_bytes": 200},
    },
    source="notebook 01",
)
half = base.replace(
    {"name": "half-duplex", "network.mode": "half-duplex", "network.turnaround_s": 0.02}
)
results = {scenario.name: run(scenario) for scenario in (base, half)}
# below: "a request takes almost 0.1 s just to transmit" (700 bytes of headers plus 40
# of IP/TCP, at 64 kbit/s)
request_bits = 8 * (base.http.request_header_bytes + base.transport.packet_overhead_bytes)
assert 0.08 < request_bits / base.network.bandwidth_bps < 0.1

# %% [markdown]
# ## The same polls, two channels
#
# Each poll is a request (700 bytes of headers) and a response. At 64 kbit/s a request
# takes almost 0.1 s just to transmit. On the half-duplex channel the response must also
# wait for the medium to turn around (orange), both ways.

# %%
ax = plots.sequence_chart(results["full-duplex"], start_s=5.0, end_s=6.5)

# %%
ax = plots.sequence_chart(results["half-duplex"], start_s=5.0, end_s=6.5)

# %%
columns = ["latency_mean_s", "latency_p95_s", "requests", "wire_bytes"]
pd.DataFrame({name: result.summary()[columns] for name, result in results.items()})

# %% [markdown]
# ## What does a turnaround cost?
#
# Every poll changes direction twice: request up, response down. At small turnarounds
# each one adds to every poll's round trip; at larger ones, messages also queue behind
# each other on the shared medium. We vary the turnaround and watch the mean latency.

# %%
rows = []
for turnaround in [0.0, 0.01, 0.02, 0.05, 0.1]:
    summary = run(half.replace({"network.turnaround_s": turnaround})).summary()
    rows.append({"turnaround_s": turnaround, "latency_mean_s": summary["latency_mean_s"]})
turnarounds = pd.DataFrame(rows)
turnarounds

# %%
ax = turnarounds.plot(x="turnaround_s", y="latency_mean_s", marker="o", legend=False)
ax.set_xlabel("turnaround (s)")
ax.set_ylabel("mean delivery latency (s)")
ax.set_title("Half-duplex: latency grows with the turnaround")
ax.grid(True, alpha=0.3)

# %% [markdown]
# ## Simplex: no way to ask
#
# Polling needs client → server messages. rtsim refuses the combination and says why:

# %%
try:
    base.replace({"network.mode": "simplex"})
except ScenarioError as error:
    print(error)

# %% [markdown]
# Only a one-way feed works: the server pushes each update as it happens.

# %%
feed = base.replace({"name": "simplex feed", "network.mode": "simplex", "strategy.kind": "stream"})
feed_result = run(feed)
ax = plots.sequence_chart(feed_result, start_s=5.0, end_s=8.0)

# %%
feed_result.summary()[["latency_mean_s", "requests", "wire_bytes"]]

# %% [markdown]
# ## Exercises
#
# 1. Make the radio link faster (`network.bandwidth_bps = 1e6`). Which channel gains
#    more, and why?
# 2. With a 50 ms turnaround, what polling interval keeps the mean latency under 0.5 s?
# 3. The simplex feed has no requests at all. What can a simplex client *not* do that a
#    polling client can? Think of acknowledgements and retransmission.
