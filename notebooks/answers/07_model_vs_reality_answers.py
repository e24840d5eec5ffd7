# %% [markdown]
# # Answers: 7. Model versus reality
#
# Worked answers to the exercises of `07_model_vs_reality`. They run no real servers:
# the model's side comes from rtsim, run here on the testbed's scenarios
# (`cell_scenario`), and the real side from the full testbed run recorded in the README
# ("Validation against real servers": 10 clients, 20 s, Poisson updates of 200 bytes, on
# a 2-core machine). Rerun `compare_cell` (notebook 07) to measure your own machine.

# %% tags=["parameters"]
import os

QUICK = os.environ.get("RTSIM_QUICK") == "1"  # every run here is short: the same in both

# %%
import pandas as pd
from IPython.display import Markdown, display

from simulation import analytic, run
from simulation.testbed import Cell
from simulation.testbed.compare import cell_scenario

# Recorded in README.md: mean latency and ack RTT (ms), measured / simulated, at 1 update
# per second (acks with one client message per second).
RECORDED = pd.DataFrame(
    [
        ("short-polling", 50, 548.5, 544.5),
        ("short-polling", 150, 637.2, 632.7),
        ("long-polling", 50, 61.2, 57.4),
        ("long-polling", 150, 210.8, 203.4),
        ("websocket", 50, 51.9, 50.0),
        ("socketio-websocket", 10, 12.1, 10.0),
        ("socketio-websocket", 50, 52.8, 50.0),
        ("socketio-websocket", 150, 153.0, 150.0),
    ],
    columns=["strategy", "latency_ms", "measured_ms", "simulated_ms"],
).set_index(["strategy", "latency_ms"])
RECORDED_ACKS = pd.DataFrame(  # socketio-websocket, ack RTT (ms)
    [(10, 21.8, 20.0), (50, 102.8, 100.0), (150, 302.9, 300.0)],
    columns=["latency_ms", "measured_ms", "simulated_ms"],
).set_index("latency_ms")


def model_ms(kind, latency_ms, metric="latency_mean_s", **changes):
    """rtsim's mean for a testbed cell at 1 update per second, in milliseconds."""
    cell = Cell(kind, latency_ms / 1000, 1.0, client_rate_per_s=1.0 if "ack" in metric else 0.0)
    scenario = cell_scenario(cell)
    return run(scenario.replace(changes) if changes else scenario).summary()[metric] * 1e3


# the model run here is the model the README recorded: same cells, same seeds
for (kind, latency_ms), row in RECORDED.iterrows():
    assert abs(model_ms(kind, latency_ms) - row["simulated_ms"]) < 0.1, (kind, latency_ms)

# %% [markdown]
# ## 1. A server that takes 1.5 ms
#
# *Add `[server] service_time_s = 0.0015` to the model. Does the latency gap close?*

# %%
rows = []
for kind in ["short-polling", "long-polling", "websocket"]:
    measured = RECORDED.loc[(kind, 50), "measured_ms"]
    plain = model_ms(kind, 50)
    served = model_ms(kind, 50, **{"server.service_time_s": 0.0015})
    rows.append(
        {
            "strategy": kind,
            "measured (ms)": measured,
            "gap before (ms)": measured - plain,
            "gap with 1.5 ms (ms)": measured - served,
        }
    )
ack_plain = model_ms("socketio-websocket", 50, "ack_rtt_mean_s")
ack_served = model_ms(
    "socketio-websocket", 50, "ack_rtt_mean_s", **{"server.service_time_s": 0.0015}
)
rows.append(
    {
        "strategy": "socketio-websocket ack",
        "measured (ms)": RECORDED_ACKS.loc[50, "measured_ms"],
        "gap before (ms)": RECORDED_ACKS.loc[50, "measured_ms"] - ack_plain,
        "gap with 1.5 ms (ms)": RECORDED_ACKS.loc[50, "measured_ms"] - ack_served,
    }
)
service = pd.DataFrame(rows).set_index("strategy")
closed = service["gap before (ms)"] - service["gap with 1.5 ms (ms)"]
assert (
    abs(closed["short-polling"] - 1.5) < 0.01 and abs(closed["socketio-websocket ack"] - 1.5) < 0.01
)
assert closed["websocket"] == 0 and 0 < closed["long-polling"] < 1.0
service.round(2)

# %%
display(
    Markdown(
        f"Only in part. `service_time_s` is the time a worker takes to answer a request: "
        f"it moves every short poll's answer, and a Socket.IO ack, {closed['short-polling']:.1f}"
        f" ms later, so their gaps shrink by that much (short polling's to "
        f"{service.loc['short-polling', 'gap with 1.5 ms (ms)']:.1f} ms, the ack's to "
        f"{service.loc['socketio-websocket ack', 'gap with 1.5 ms (ms)']:.1f} ms). A pushed "
        f"update is no request: WebSocket's gap stays at "
        f"{service.loc['websocket', 'gap with 1.5 ms (ms)']:.1f} ms. Long polling gains "
        f"only {closed['long-polling']:.2f} ms, since most updates find a request already "
        f"waiting and leave at once; its real gap comes from the client's turnaround "
        f"between requests, which a server-side delay does not model."
    )
)

# %% [markdown]
# ## 2. Short polling's small relative error
#
# *Run short polling at 150 ms. Why is its relative error smaller than long polling's?*

# %%
at_150 = RECORDED.xs(150, level="latency_ms").loc[["short-polling", "long-polling"]].copy()
at_150["gap (ms)"] = at_150["measured_ms"] - at_150["simulated_ms"]
at_150["relative error"] = at_150["gap (ms)"] / at_150["measured_ms"]
short_mean = analytic.short_poll_mean_latency_s(0.15, 1.0) * 1e3
assert (
    at_150.loc["short-polling", "relative error"] < at_150.loc["long-polling", "relative error"] / 3
)
at_150.round(3)

# %%
display(
    Markdown(
        f"Both stacks lose a few milliseconds to real work: "
        f"{at_150.loc['short-polling', 'gap (ms)']:.1f} ms for short polling, "
        f"{at_150.loc['long-polling', 'gap (ms)']:.1f} ms for long polling. But short "
        f"polling's latency is mostly the wait for the next poll, L + T/2 = "
        f"{short_mean:.0f} ms, which model and real client share exactly (the same "
        f"interval); the same milliseconds are "
        f"{at_150.loc['short-polling', 'relative error']:.1%} of it, against "
        f"{at_150.loc['long-polling', 'relative error']:.1%} of long polling's "
        f"{at_150.loc['long-polling', 'measured_ms']:.0f} ms."
    )
)

# %% [markdown]
# ## 3. Bytes per update as updates get more frequent
#
# *Which strategy's bytes per update fall fastest as the update rate grows, and why?*
# (rtsim's default header sizes here; the testbed calibrates them, but the shape is the
# same.)

# %%
rates = [1.0, 2.0, 5.0, 10.0]
bytes_per_update = pd.DataFrame(
    {
        kind: [
            run(cell_scenario(Cell(kind, 0.05, rate))).summary()["bytes_per_delivery"]
            for rate in rates
        ]
        for kind in ["short-polling", "long-polling", "sse", "websocket"]
    },
    index=pd.Index(rates, name="updates per second"),
)
fall = bytes_per_update.loc[1.0] / bytes_per_update.loc[10.0]
assert fall.idxmax() == "short-polling" and fall["short-polling"] > 3
bytes_per_update.round(0)

# %%
display(
    Markdown(
        f"**Short polling**: from 1 to 10 updates a second its bytes per update fall "
        f"{fall['short-polling']:.1f} times, long polling's {fall['long-polling']:.1f} "
        f"times, SSE's {fall['sse']:.2f} and WebSocket's {fall['websocket']:.2f}. A short "
        f"poll costs the same headers whatever it carries, so they are shared by λT "
        f"updates: the more updates, the cheaper each. A long-poll response carries only "
        f"the updates of its blind window, about λ·2L, so it shares its headers only once "
        f"updates come faster than one per round trip. Push pays a few bytes of framing "
        f"per update from the start; only its one-off handshake is spread thinner."
    )
)

# %% [markdown]
# ## 4. Socket.IO acknowledgements
#
# *The model says an ack takes exactly two one-way trips; how much longer does the real
# one take, and is it the same extra time as for a pushed update, or twice it?*

# %%
pushed = RECORDED.xs("socketio-websocket", level="strategy")
extra = pd.DataFrame(
    {
        "pushed update: extra (ms)": pushed["measured_ms"] - pushed["simulated_ms"],
        "ack: extra (ms)": RECORDED_ACKS["measured_ms"] - RECORDED_ACKS["simulated_ms"],
    }
)
for latency_ms in RECORDED_ACKS.index:  # the model's ack: exactly two trips
    assert abs(model_ms("socketio-websocket", latency_ms, "ack_rtt_mean_s") - 2 * latency_ms) < 0.01
ratio = extra["ack: extra (ms)"] / extra["pushed update: extra (ms)"]
assert (ratio < 1.5).all()  # about the same, not twice
extra.round(1)

# %%
display(
    Markdown(
        f"In the recorded run the real ack takes {extra['ack: extra (ms)'].min():.1f} to "
        f"{extra['ack: extra (ms)'].max():.1f} ms more than 2L, and a pushed update "
        f"{extra['pushed update: extra (ms)'].min():.1f} to "
        f"{extra['pushed update: extra (ms)'].max():.1f} ms more than L: about the same "
        f"extra, not twice it (ratio {ratio.min():.2f} to {ratio.max():.2f}), although the "
        f"ack crosses the path twice. The extra is not in the path (the proxy adds exactly "
        f"L per crossing) but in the Python work at the ends, parsing and encoding the "
        f"packets and the event loop's turns, and an emit, its handling and its ack cost "
        f"about as much of that as one pushed event."
    )
)
