# %% [markdown]
# # Answers: 4. Scaling
#
# Worked answers to the exercises of `04_scaling`. Every number comes from the closed
# forms and the runs below (shorter runs with `RTSIM_QUICK=1`), and the claims are
# asserted.

# %% tags=["parameters"]
import os

QUICK = os.environ.get("RTSIM_QUICK") == "1"
DURATION_S = 10.0 if QUICK else 20.0
SATURATION_RUN_S = 8.0  # thousands of clients: a short run, in quick mode too

# %%
import pandas as pd
from IPython.display import Markdown, display

from simulation import parse_scenario, run

base = parse_scenario(
    {
        "name": "scaling",
        "duration_s": DURATION_S,
        "warmup_s": 3.0,
        "clients": 100,
        "network": {"latency_s": 0.05},
        "strategy": {"kind": "short-polling", "interval_s": 1.0},
        "workload": {"kind": "periodic", "rate_per_s": 1.0, "payload_bytes": 200},
    },
    source="answers 04",
)
L, T = base.network.latency_s.mean(), base.strategy.interval_s

# %% [markdown]
# ## 1. Eight workers
#
# *With 8 workers at 1 ms, at how many polling clients does the server saturate?*
#
# ρ = clients × D / (c × T) reaches 1 at c × T / D = 8 × 1 s / 1 ms = 8,000 clients.

# %%
workers, service_s = 8, 0.001
saturation = workers * T / service_s
limited = base.replace(
    {
        "server.workers": workers,
        "server.service_time_s": service_s,
        "duration_s": SATURATION_RUN_S,
        "warmup_s": 0.0,
    }
)
rows = []
for clients in (7000, 9000):
    result = run(limited.replace({"clients": clients}))
    rows.append(
        {
            "clients": clients,
            "busy fraction": result.summary()["server_busy_fraction"],
            "closed form": min(1.0, clients * service_s / (workers * T)),
            "peak queue (requests)": result.stats.server_peak_queue,
            "closed-form queue": max(0.0, clients / T - workers / service_s)
            * (SATURATION_RUN_S - 2 * L),
        }
    )
eight = pd.DataFrame(rows).set_index("clients")
below, above = eight[eight.index < saturation], eight[eight.index > saturation]
assert saturation == 8000
assert (abs(eight["busy fraction"] - eight["closed form"]) < 0.03).all()
# below: only the bunching of the first polls; above: a queue that grows all run long
assert below["peak queue (requests)"].max() < 0.2 * above["peak queue (requests)"].min()
assert (abs(above["peak queue (requests)"] / above["closed-form queue"] - 1) < 0.1).all()
eight

# %%
display(
    Markdown(
        f"Saturation at **{saturation:,.0f} clients**. Below it the workers are busy "
        f"the fraction ρ, and the only queue is the first polls bunching up (at most "
        f"{below['peak queue (requests)'].max():,.0f} waiting at 7,000 clients). Above it "
        f"the queue grows by clients/T − c/D = 1,000 requests every second at 9,000 "
        f"clients: {above['peak queue (requests)'].iloc[-1]:,.0f} wait at the end of a "
        f"{SATURATION_RUN_S:g} s run, close to the closed form's "
        f"{above['closed-form queue'].iloc[-1]:,.0f}. Finding it by simulation means "
        f"bracketing it: a run just below and one just above."
    )
)

# %% [markdown]
# ## 2. Long polling's requests
#
# *How does long polling's `server_requests` compare with short polling at 1 update per
# second, and at 0.1?*
#
# A short poller asks every T whatever happens; a long poller asks again only after a
# response, and a response comes with each update (or after the hold timeout).

# %%
rows = []
for rate in (1.0, 0.1):
    for kind in ("short-polling", "long-polling"):
        scenario = base.replace(
            {"strategy.kind": kind, "workload.rate_per_s": rate, "duration_s": 60.0}
        )
        summary = run(scenario).summary()
        rows.append(
            {
                "updates per second": rate,
                "strategy": kind,
                "requests per client per second": summary["server_requests"]
                / scenario.clients
                / scenario.duration_s,
            }
        )
requests = pd.DataFrame(rows).pivot(
    index="updates per second", columns="strategy", values="requests per client per second"
)
hold = base.replace({"strategy.kind": "long-polling"}).strategy.hold_timeout_s
assert hold > 10.0  # every hold ends with an update, even at 0.1 per second
assert (abs(requests["short-polling"] - 1 / T) < 0.05).all()
# one request per update, plus each client's first: at most one more per client per run
assert ((requests["long-polling"] - requests.index).abs() * 60.0 <= 1.01).all()
requests

# %%
display(
    Markdown(
        f"At one update a second both make about one request per client per second: "
        f"every short poll finds one update, and every long poll is answered by one. At 0.1 "
        f"update per second short polling still asks "
        f"{requests.loc[0.1, 'short-polling']:.2f} times a second, long polling "
        f"{requests.loc[0.1, 'long-polling']:.3f}: "
        f"{requests.loc[0.1, 'short-polling'] / requests.loc[0.1, 'long-polling']:.0f} times "
        f"fewer requests, since a hold of {hold:g} s outlasts the 10 s between updates."
    )
)

# %% [markdown]
# ## 3. Memory
#
# *How many idle WebSockets fit in 16 GiB at 70 KiB each? What changes at 10 KiB?*

# %%
fit = {kib: 16 * 2**30 // (kib * 2**10) for kib in (70, 10)}
check = {}
for kib in (70, 10):
    scenario = base.replace(
        {
            "strategy.kind": "websocket",
            "clients": 500,
            "server.memory_per_connection_bytes": kib * 2**10,
        }
    )
    check[kib] = run(scenario).summary()["peak_memory_bytes"] / scenario.clients
assert all(check[kib] == kib * 2**10 for kib in check)  # one connection per client
assert fit[70] == 239_674 and fit[10] == 1_677_721
print(
    f"16 GiB / 70 KiB = {fit[70]:,} WebSockets; / 10 KiB = {fit[10]:,} "
    f"({fit[10] / fit[70]:.0f} times as many). Simulated memory per client: "
    + ", ".join(f"{check[kib] / 2**10:g} KiB" for kib in check)
)

# %% [markdown]
# Memory per connection is the only term: a server that keeps 10 KiB per idle socket
# (small buffers, no per-connection state beyond the socket) holds seven times as many
# clients in the same memory. Bandwidth and the CPU work per message are unchanged.
