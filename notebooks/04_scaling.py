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
# # 4. Scaling: from a thousand clients to a hundred thousand
#
# **What you will see.** As the number of clients grows, polling's cost grows with the
# number of *polls*, whether they bring news or not, while push's cost grows with the
# number of *updates delivered* and of *connections held open*. You will measure the
# bandwidth spent on headers against frames, the requests the server must answer, and
# the memory its open connections take, and find where each strategy breaks.
#
# Each client polls once a second, or holds a WebSocket open; one update a second goes
# to every client. Clients do not interact here (the server has unlimited workers), so
# every cost is a cost per client times the number of clients. That is why a simulation
# of a few thousand clients, checked against the closed form, is enough: the closed form
# then carries the line to 100,000 clients, which would take minutes to simulate.

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

QUICK = os.environ.get("RTSIM_QUICK") == "1"
SIMULATED = [100, 300, 1000] if QUICK else [300, 1000, 3000]  # clients simulated
DURATION_S = 10.0 if QUICK else 20.0

# %% [markdown]
# ## Predict first
#
# A poll costs a request (700 bytes of headers) and a response (300 bytes), each with
# 40 bytes of IP/TCP headers, and brings the update's 200-byte payload. A pushed update
# costs its payload, a 2-byte WebSocket frame header and 40 bytes of IP/TCP headers.
# **At 100,000 clients, how many Gbit/s does short polling once a second need? And how
# many times less does WebSocket need?**

# %% tags=["prediction"]
predicted_polling_gbps = None  # a number
predicted_times_less = None

# %%
import numpy as np
import pandas as pd
from IPython.display import Markdown, display
from matplotlib import pyplot as plt

from simulation import aggregate, analytic, parse_scenario, plots, run, sweep
from simulation.course import check_prediction


def self_check(*args, **kwargs):
    """Print how a prediction compares with the run (simulation.course)."""
    print(check_prediction(*args, **kwargs))


CLOSED_FORM = np.array([100, 1_000, 10_000, 100_000])  # clients drawn by closed form
base = parse_scenario(
    {
        "name": "scaling",
        "duration_s": DURATION_S,
        "warmup_s": 3.0,
        "clients": SIMULATED[0],
        "network": {"latency_s": 0.05},
        "strategy": {"kind": "short-polling", "interval_s": 1.0},
        "workload": {"kind": "periodic", "rate_per_s": 1.0, "payload_bytes": 200},
    },
    source="notebook 04",
)
STRATEGIES = ["short-polling", "long-polling", "websocket"]
runs = sweep(
    base,
    {"clients": SIMULATED, "strategy.kind": STRATEGIES},
    replications=1,  # periodic updates on a constant path: every run is the same
)
metrics = ["wire_bps", "server_requests", "peak_open_connections", "peak_memory_bytes"]
table = aggregate(runs, metrics)
table["requests_per_s"] = table["server_requests_mean"] / DURATION_S
table[["clients", "strategy.kind", "requests_per_s", *[f"{m}_mean" for m in metrics]]]

# %% [markdown]
# ## The cost of one client, in closed form
#
# With polling interval T, update rate λ, payload P, request and response headers H_req
# and H_resp and 40 bytes of IP/TCP headers per packet, one client costs, per second:
#
# | strategy | requests per second | bytes per second |
# |---|---|---|
# | short polling | 1/T | (H_req + 40 + H_resp + 40)/T + λP |
# | long polling | λ / (updates per response) | λ × (P + exchange / updates per response) |
# | WebSocket | none after the upgrade | λ × (P + 2 + 40) |

# %%
L = base.network.latency_s.mean()
T = base.strategy.interval_s
rate = base.workload.rate_per_s
payload = base.workload.payload_bytes.mean()
packet = base.transport.packet_overhead_bytes
request = base.http.request_header_bytes + packet
response = base.http.response_header_bytes + packet
per_response = analytic.long_poll_updates_per_response(L, rate)
per_client = pd.DataFrame(
    {
        "requests_per_s": [1 / T, rate / per_response, 0.0],
        "bytes_per_s": [
            rate * analytic.short_poll_bytes_per_update(payload, rate, T, request, response),
            rate * analytic.long_poll_bytes_per_update(payload, L, rate, request, response),
            rate * analytic.push_bytes_per_update(payload, 2 + packet),
        ],
    },
    index=STRATEGIES,
)
per_client["wire_bps"] = 8 * per_client["bytes_per_s"]
per_client

# %% [markdown]
# Does the simulation agree? At the largest simulated size, each strategy's bandwidth
# per client is within a few per cent of the closed form:

# %%
largest = table[table["clients"] == SIMULATED[-1]].set_index("strategy.kind")
check = pd.DataFrame(
    {
        "simulated (bit/s per client)": largest["wire_bps_mean"] / SIMULATED[-1],
        "closed form (bit/s per client)": per_client["wire_bps"],
    }
)
check["difference"] = check.iloc[:, 0] / check.iloc[:, 1] - 1
assert (check["difference"].abs() < 0.05).all(), check
check.style.format({"difference": "{:+.1%}"}, precision=0)

# %% [markdown]
# ## Bandwidth and requests: headers against frames
#
# Markers are simulated, lines are the closed form times the number of clients. With
# exactly one update a second, every short poll carries one update and every long poll
# answers one, so the two polling strategies cost the same and their lines coincide
# (dashed over solid). Both axes are logarithmic because the number of clients spans
# three orders of magnitude: a cost proportional to the clients is a straight line of
# slope 1, and the vertical gap between two lines is their ratio.

# %%
fig, (bandwidth, requests) = plt.subplots(1, 2, figsize=(11, 4.5), layout="constrained")
styles = {"short-polling": ("tab:blue", "o", "-"), "long-polling": ("tab:orange", "s", "--")}
styles["websocket"] = ("tab:green", "^", "-")
for kind, (color, marker, dashes) in styles.items():
    simulated = table[table["strategy.kind"] == kind]
    points = {"color": color, "marker": marker, "fillstyle": "none", "ms": 9, "ls": "none"}
    bandwidth.plot(CLOSED_FORM, CLOSED_FORM * per_client.loc[kind, "wire_bps"], dashes, c=color)
    bandwidth.plot(simulated["clients"], simulated["wire_bps_mean"], **points, label=kind)
    if kind != "websocket":  # no requests after the upgrade: nothing to draw on a log axis
        per_s = per_client.loc[kind, "requests_per_s"]
        requests.plot(CLOSED_FORM, CLOSED_FORM * per_s, dashes, c=color)
        requests.plot(simulated["clients"], simulated["requests_per_s"], **points, label=kind)
bandwidth.set_ylabel(plots.label("wire_bps"))
bandwidth.set_title("Bandwidth: polling pays headers every second")
requests.set_ylabel("requests the server answers per second")
requests.set_title("Requests: WebSocket has none after its upgrade")
for ax in (bandwidth, requests):
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("clients")
    ax.grid(True, which="both", alpha=0.3)
    ax.plot([], [], color="0.3", label="closed form")
    ax.legend(fontsize="small")

# %%
ratio = per_client.loc["short-polling", "wire_bps"] / per_client.loc["websocket", "wire_bps"]
display(
    Markdown(
        f"At 100,000 clients, short polling needs "
        f"**{100_000 * per_client.loc['short-polling', 'wire_bps'] / 1e9:.2f} Gbit/s** and "
        f"answers **{100_000 / T:,.0f} requests per second**; WebSocket needs "
        f"**{100_000 * per_client.loc['websocket', 'wire_bps'] / 1e9:.2f} Gbit/s**, "
        f"{ratio:.1f} times less, for the same updates."
    )
)

# %%
# the simulation's bandwidth per client at its largest size, times 100,000
simulated_per_client = largest["wire_bps_mean"] / SIMULATED[-1]
self_check(
    "short polling at 100,000 clients",
    predicted_polling_gbps,
    100_000 * simulated_per_client["short-polling"] / 1e9,
    "Gbit/s",
)
self_check(
    "times less for WebSocket",
    predicted_times_less,
    simulated_per_client["short-polling"] / simulated_per_client["websocket"],
)
# the worked answer below, checked
assert per_client.loc["short-polling", "bytes_per_s"] == 700 + 40 + 300 + 40 + 200
assert per_client.loc["websocket", "bytes_per_s"] == 200 + 2 + 40
assert round(100_000 * 8 * 1280 / 1e9, 2) == 1.02 and round(1280 / 242, 1) == 5.3

# %% [markdown] jupyter={"source_hidden": true} tags=["answer"]
# **Answer.** **About 1 Gbit/s, and 5.3 times less.** Each client polls once a second:
# 700 + 40 + 300 + 40 = 1,080 bytes of headers, plus the 200-byte update, 1,280 bytes a
# second, or 10,240 bit/s. Times 100,000 clients: 1.02 Gbit/s. A pushed update costs
# 200 + 2 + 40 = 242 bytes, and 1,280 / 242 ≈ 5.3. Nothing here depends on how the
# clients interact, so the cost per client measured on a few thousand clients is the
# cost per client at 100,000.

# %% [markdown]
# ## Memory: what staying connected costs
#
# Every open connection costs the server memory (70 KiB each by default,
# `[server] memory_per_connection_bytes`). With keep-alive, a polling client holds its
# connection between polls just as a WebSocket client holds its socket: all three
# strategies hold **one connection per client**, so they need the same memory, and their
# dots fall on one line. Short polling *without* keep-alive opens a new connection for
# each poll and holds it only for the poll's round trips: less memory, paid for in
# handshakes.
#
# **Predict first.** At 70 KiB per connection, how many GiB does a server holding
# 100,000 WebSockets need for their connections alone?

# %% tags=["prediction"]
predicted_memory_gib = None  # a number

# %%
no_keep_alive = aggregate(
    sweep(
        base.replace({"transport.keep_alive": False, "name": "no keep-alive"}),
        {"clients": SIMULATED},
        replications=1,
    ),
    ["peak_open_connections", "peak_memory_bytes"],
)
memory = base.server.memory_per_connection_bytes
fig, ax = plt.subplots(figsize=(7, 4.5), layout="constrained")
ax.plot(CLOSED_FORM, CLOSED_FORM * memory / 2**30, color="0.3", label="one connection per client")
for kind, marker in zip(STRATEGIES, ["o", "s", "^"], strict=True):
    simulated = table[table["strategy.kind"] == kind]
    ax.plot(
        simulated["clients"],
        simulated["peak_memory_bytes_mean"] / 2**30,
        marker,
        fillstyle="none",
        markersize=9,
        label=f"{kind} (keep-alive)",
    )
ax.plot(
    no_keep_alive["clients"],
    no_keep_alive["peak_memory_bytes_mean"] / 2**30,
    "x",
    color="tab:red",
    label="short-polling, new connection per poll",
)
ax.set_xscale("log")
ax.set_yscale("log")
ax.set_xlabel("clients")
ax.set_ylabel("peak connection memory (GiB)")
ax.set_title("Memory grows with the connections held open")
ax.legend(fontsize="small")
ax.grid(True, which="both", alpha=0.3)
# %%
held = table.groupby("clients")["peak_open_connections_mean"].agg(["min", "max"])
assert (held["min"] == held["max"]).all() and (held["max"] == held.index).all(), held
share = no_keep_alive["peak_open_connections_mean"].iloc[-1] / SIMULATED[-1]
display(
    Markdown(
        f"Each strategy with keep-alive held exactly one connection per client "
        f"({SIMULATED[-1]:,} connections, {SIMULATED[-1] * memory / 2**20:,.0f} MiB, for "
        f"{SIMULATED[-1]:,} clients). Without keep-alive, at most **{share:.0%}** of the "
        f"clients had a connection open at once. At 100,000 clients, one connection each "
        f"is **{100_000 * memory / 2**30:.1f} GiB**."
    )
)

# %%
websocket_rows = table[table["strategy.kind"] == "websocket"].set_index("clients")
per_connection = websocket_rows["peak_memory_bytes_mean"] / websocket_rows.index
self_check(
    "100,000 WebSockets", predicted_memory_gib, 100_000 * per_connection.iloc[-1] / 2**30, "GiB"
)
# the worked answer below, checked
assert memory == 70 * 1024 and (per_connection == memory).all()
assert round(100_000 * 70 / 2**20, 2) == 6.68

# %% [markdown] jupyter={"source_hidden": true} tags=["answer"]
# **Answer.** **About 6.7 GiB.** 100,000 × 70 KiB = 7,000,000 KiB; a GiB is 2^20 KiB
# (1,048,576), so 6.68 GiB. Memory grows with the connections held open, not with the
# traffic: an idle WebSocket costs as much as a busy one, and a polling client with
# keep-alive costs the same as a WebSocket client.

# %% [markdown]
# ## Where it breaks: a server with limited workers
#
# Give the server c = 2 workers that each spend D = 1 ms on a request. Short polling asks
# for one request per client every T = 1 s, whether or not the last one was answered (a
# `setInterval` poller), so the workers are busy a fraction
# **ρ = clients × D / (c × T)** of the time. At c × T / D = 2,000 clients ρ reaches 1;
# past it, requests arrive faster than the workers answer them, and the queue of
# waiting requests grows by **clients / T − c / D** every second, without end. (A real
# server has more workers; the arithmetic is the same: 64 workers at 1 ms saturate at
# 64,000 polling clients.)
#
# **Predict first.** With 2,600 polling clients, how many requests are waiting for a
# worker at the end of a 10 s run? (The first polls arrive after TCP's set-up, 2L =
# 0.1 s.)

# %% tags=["prediction"]
predicted_queue = None  # a number

# %%
workers, service_s = 2, 0.001
limited = base.replace(
    {"server.workers": workers, "server.service_time_s": service_s, "duration_s": 10.0}
)
LIMITED = [500, 1500, 2600] if QUICK else [500, 1000, 1500, 1900, 2200, 2600, 3000]
rows = []
for clients in LIMITED:
    result = run(limited.replace({"clients": clients}))
    summary = result.summary()
    rows.append(
        {
            "clients": clients,
            "busy fraction": summary["server_busy_fraction"],
            "closed-form busy fraction": min(1.0, clients * service_s / (workers * T)),
            "peak queue (requests)": result.stats.server_peak_queue,
            # requests keep arriving from the first poll (after the 2L of TCP set-up)
            "closed-form queue at the end": max(0.0, clients / T - workers / service_s)
            * (limited.duration_s - 2 * L),
            "mean delivery latency (s)": summary["latency_mean_s"],
        }
    )
breaking = pd.DataFrame(rows)
breaking.style.format(precision=3)

# %%
fig, (busy, queue) = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
line = np.linspace(0, max(LIMITED), 61)
busy.plot(line, np.minimum(1, line * service_s / (workers * T)), color="0.3", label="closed form")
busy.plot(breaking["clients"], breaking["busy fraction"], "o", label="simulated")
busy.set_ylabel("server busy fraction")
busy.set_title("The workers fill up...")
queue.plot(
    line,
    np.maximum(0, line / T - workers / service_s) * (limited.duration_s - 2 * L),
    color="0.3",
    label="closed form, at the end",
)
queue.plot(breaking["clients"], breaking["peak queue (requests)"], "o", label="simulated peak")
queue.set_ylabel("requests waiting for a worker")
queue.set_title(f"...then the queue grows for the whole {limited.duration_s:g} s run")
for ax in (busy, queue):
    ax.axvline(workers * T / service_s, color="tab:red", linestyle=":", label="ρ = 1")
    ax.set_xlabel("polling clients")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize="small")

# %%
assert np.allclose(breaking["busy fraction"], breaking["closed-form busy fraction"], atol=0.03)
over = breaking[breaking["clients"] > workers * T / service_s]
assert np.allclose(over["peak queue (requests)"], over["closed-form queue at the end"], rtol=0.1), (
    over
)
worst, calm = breaking.iloc[-1], breaking.iloc[0]
display(
    Markdown(
        f"The busy fraction follows ρ within 3 points, and past ρ = 1 the queue follows "
        f"the closed form within 10%. At {worst['clients']:,.0f} clients, "
        f"**{worst['peak queue (requests)']:,.0f} requests** wait at the end of the run. "
        f"The updates suffer less than the requests: a response carries what is queued "
        f"when the server *writes* it, so the mean delivery latency only grows from "
        f"{calm['mean delivery latency (s)'] * 1e3:.0f} ms to "
        f"{worst['mean delivery latency (s)'] * 1e3:.0f} ms, while every request waits "
        f"longer than the one before it. WebSocket clients make one request each, for "
        f"the upgrade, and never load the workers again."
    )
)

# %%
at_2600 = breaking.set_index("clients").loc[2600]
self_check(
    "waiting at 2,600 clients", predicted_queue, at_2600["peak queue (requests)"], "requests"
)
# the worked answer below, checked
assert (2600 / T - workers / service_s) * (limited.duration_s - 2 * L) == 600 * 9.9
assert abs(at_2600["peak queue (requests)"] / (600 * 9.9) - 1) < 0.1

# %% [markdown] jupyter={"source_hidden": true} tags=["answer"]
# **Answer.** **About 5,900.** Two workers at 1 ms answer 2,000 requests a second;
# 2,600 clients polling once a second send 2,600. The queue grows by 600 requests every
# second from the first polls at 0.1 s to the end at 10 s: 600 × 9.9 = 5,940. Past
# ρ = 1 the queue has no steady state: a longer run would end with a longer queue.

# %% [markdown]
# ## Exercises
#
# 1. With 8 workers at 1 ms, at how many polling clients does the server saturate? Derive
#    it from ρ, then find it by simulation (keep the run short: 8,000 clients take a
#    few seconds each).
# 2. Long polling answers with every update: how does its `server_requests` compare with
#    short polling at 1 update per second, and at 0.1?
# 3. Memory: how many idle WebSockets fit in 16 GiB at 70 KiB each? What changes if the
#    server needs 10 KiB per connection (set `server.memory_per_connection_bytes`)?
