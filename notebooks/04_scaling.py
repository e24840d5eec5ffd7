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
# to every client. The quick mode used by the tests runs 100 to 1,000 clients.

# %% tags=["parameters"]
import os

QUICK = os.environ.get("RTSIM_QUICK") == "1"
CLIENTS = [100, 300, 1000] if QUICK else [1000, 10_000, 100_000]
DURATION_S = 10.0 if QUICK else 20.0

# %%
from simulation import aggregate, parse_scenario, plots, sweep

base = parse_scenario(
    {
        "name": "scaling",
        "duration_s": DURATION_S,
        "warmup_s": 3.0,
        "clients": CLIENTS[0],
        "network": {"latency_s": 0.05},
        "strategy": {"kind": "short-polling", "interval_s": 1.0},
        "workload": {"kind": "poisson", "rate_per_s": 1.0, "payload_bytes": 200},
    },
    source="notebook 04",
)
runs = sweep(
    base,
    {"clients": CLIENTS, "strategy.kind": ["short-polling", "long-polling", "websocket"]},
    replications=1,
)
metrics = [
    "wire_bps",
    "server_requests",
    "peak_open_connections",
    "peak_memory_bytes",
    "bytes_per_delivery",
]
table = aggregate(runs, metrics)
table[["clients", "strategy.kind", *[f"{m}_mean" for m in metrics]]]

# %% [markdown]
# ## Bandwidth: headers against frames
#
# Short polling sends 700 + 300 header bytes per client per second; WebSocket sends
# 2 bytes of frame header per update (plus 40 of IP/TCP each way, for both).

# %%
ax = plots.sweep_lines(table, "clients", "wire_bps")
ax.set_xscale("log")
ax.set_yscale("log")

# %% [markdown]
# ## The server's side: requests and memory
#
# Every poll is a request the server must parse and answer. Every open connection costs
# memory (70 KiB each by default, `[server] memory_per_connection_bytes`). Polling with
# keep-alive holds connections too; here it is the request rate that grows.

# %%
ax = plots.sweep_lines(table, "clients", "server_requests")
ax.set_xscale("log")
ax.set_yscale("log")

# %%
ax = plots.sweep_lines(table, "clients", "peak_memory_bytes")
ax.set_xscale("log")
ax.set_yscale("log")

# %% [markdown]
# ## Where it breaks: a server with limited workers
#
# Give the server 8 workers that each spend 1 ms on a request. Polling asks for
# `clients` requests per second; once that exceeds 8,000 per second the queue grows
# without bound. Push only serves each client's upgrade once.

# %%
limited = base.replace({"server.workers": 8, "server.service_time_s": 0.001})
runs_limited = sweep(
    limited,
    {"clients": CLIENTS, "strategy.kind": ["short-polling", "websocket"]},
    replications=1,
)
aggregate(runs_limited, ["latency_mean_s", "server_busy_fraction"])[
    ["clients", "strategy.kind", "latency_mean_s_mean", "server_busy_fraction_mean"]
]

# %% [markdown]
# ## Exercises
#
# 1. At how many clients does the polling server above become saturated? Derive it from
#    8 workers x 1 ms, then find it by simulation.
# 2. Long polling answers with every update: how does its `server_requests` compare with
#    short polling at 1 update per second, and at 0.1?
# 3. Memory: how many idle WebSockets fit in 16 GiB at 70 KiB each? What changes if the
#    server needs 10 KiB per connection (set `server.memory_per_connection_bytes`)?
