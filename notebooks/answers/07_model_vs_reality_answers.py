# %% [markdown]
# # Answers: 7. Model versus reality
#
# Worked answers to the exercises of `07_model_vs_reality`. They run no real servers:
# the model's side comes from rtsim, run here on the testbed's scenarios
# (`cell_scenario`), and the real side from the full testbed run recorded in
# docs/validation.md ("Validation against real servers": 10 clients, 20 s, Poisson updates
# of 200 bytes, on a 2-core machine). Rerun `compare_cell` (notebook 07) to measure your
# own machine.

# %% tags=["parameters"]
import os

QUICK = os.environ.get("RTSIM_QUICK") == "1"  # every run here is short: the same in both

# %%
import pandas as pd
from IPython.display import Markdown, display

from simulation import analytic, run
from simulation.testbed import Cell
from simulation.testbed.compare import cell_scenario

# Recorded in docs/validation.md: mean latency and ack RTT (ms), measured / simulated with
# an instant server and client ("rtsim without those times"), at 1 update per second
# (acks with one client message per second).
RECORDED = pd.DataFrame(
    [
        ("short-polling", 50, 548.8, 544.5),
        ("short-polling", 150, 631.3, 632.7),
        ("long-polling", 50, 60.6, 57.4),
        ("long-polling", 150, 209.5, 203.4),
        ("websocket", 50, 52.2, 50.0),
        ("socketio-websocket", 10, 11.7, 10.0),
        ("socketio-websocket", 50, 51.9, 50.0),
        ("socketio-websocket", 150, 152.0, 150.0),
    ],
    columns=["strategy", "latency_ms", "measured_ms", "simulated_ms"],
).set_index(["strategy", "latency_ms"])
RECORDED_ACKS = pd.DataFrame(  # socketio-websocket, ack RTT (ms): at the client's socket,
    # at the client library (emit to callback), and rtsim's without the server's time
    [(10, 21.0, 21.6, 20.0), (50, 101.9, 102.6, 100.0), (150, 302.2, 302.8, 300.0)],
    columns=["latency_ms", "measured_ms", "library_ms", "simulated_ms"],
).set_index("latency_ms")
ACK_SERVICE_MS = {10: 0.4, 50: 0.5, 150: 0.4}  # the server's measured time to ack
# and the times the testbed measured in the same cells at 50 ms (ms): the server's mean
# push time, and a long-poll client's mean turnaround from a response to its next request
TIMES = pd.DataFrame(
    [("websocket", 1.3, float("nan")), ("long-polling", 1.3, 1.7)],
    columns=["strategy", "push_ms", "turnaround_ms"],
).set_index("strategy")


def model_ms(kind, latency_ms, metric="latency_mean_s", **changes):
    """rtsim's mean for a testbed cell at 1 update per second, in milliseconds."""
    cell = Cell(kind, latency_ms / 1000, 1.0, client_rate_per_s=1.0 if "ack" in metric else 0.0)
    scenario = cell_scenario(cell)
    return run(scenario.replace(changes) if changes else scenario).summary()[metric] * 1e3


# the model run here is the model the recorded run compared with: same cells, same seeds
for (kind, latency_ms), row in RECORDED.iterrows():
    assert abs(model_ms(kind, latency_ms) - row["simulated_ms"]) < 0.1, (kind, latency_ms)

# %% [markdown]
# ## 1. What the stack's times add
#
# *Compare the filled and hollow dots of long polling with those of WebSocket. Why does
# long polling gain more than its push time from being given the stack's times?*

# %%
rows = []
for kind in ["websocket", "long-polling"]:
    push_ms, turnaround_ms = TIMES.loc[kind, ["push_ms", "turnaround_ms"]]
    changes = {"server.push_time_s": push_ms / 1e3, "server.push_fanout": "parallel"}
    if kind == "long-polling":
        changes["strategy.reconnect_delay_s"] = turnaround_ms / 1e3
    rows.append(
        {
            "strategy": kind,
            "push time (ms)": push_ms,
            "turnaround (ms)": turnaround_ms,
            "instant (ms)": model_ms(kind, 50),
            "given the times (ms)": model_ms(kind, 50, **changes),
        }
    )
given = pd.DataFrame(rows).set_index("strategy")
given["gain (ms)"] = given["given the times (ms)"] - given["instant (ms)"]
# the closed form's share of the turnaround: a longer blind window, 2L + turnaround
turnaround_s = TIMES.loc["long-polling", "turnaround_ms"] / 1e3
blind_ms = (
    analytic.long_poll_mean_latency_s(0.05, 1.0, reconnect_delay_s=turnaround_s)
    - analytic.long_poll_mean_latency_s(0.05, 1.0)
) * 1e3
assert abs(given.loc["websocket", "gain (ms)"] - given.loc["websocket", "push time (ms)"]) < 0.01
# websocket gains its push time; long polling more than its push time
assert given.loc["long-polling", "gain (ms)"] > given.loc["long-polling", "push time (ms)"]
given.round(2)

# %%
display(
    Markdown(
        f"A WebSocket update pays the server's push time once: rtsim given "
        f"{given.loc['websocket', 'push time (ms)']:.1f} ms of it says "
        f"{given.loc['websocket', 'gain (ms)']:.1f} ms more than an instant server. Long "
        f"polling pays its push time too, "
        f"{given.loc['long-polling', 'push time (ms)']:.1f} ms, and then the client's "
        f"turnaround, {given.loc['long-polling', 'turnaround (ms)']:.1f} ms from a "
        f"response to the next request, lengthens the blind window from 2L to 2L plus "
        f"that: more updates arrive while no request is held, and each of those waits for "
        f"the next one. The closed form puts that share at {blind_ms:.1f} ms at one update "
        f"a second; rtsim's run says {given.loc['long-polling', 'gain (ms)']:.1f} ms in "
        f"all."
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
# *Without the server's time, the model's ack takes exactly two one-way trips; how much
# longer does the real one take, and is it the same extra time as for a pushed update, or
# twice it?*

# %%
pushed = RECORDED.xs("socketio-websocket", level="strategy")
extra = pd.DataFrame(
    {
        "pushed update: extra (ms)": pushed["measured_ms"] - pushed["simulated_ms"],
        "ack: extra (ms)": RECORDED_ACKS["measured_ms"] - RECORDED_ACKS["simulated_ms"],
        "ack at the library: extra (ms)": (
            RECORDED_ACKS["library_ms"] - RECORDED_ACKS["simulated_ms"]
        ),
        "server's time to ack (ms)": pd.Series(ACK_SERVICE_MS),
    }
)
for latency_ms in RECORDED_ACKS.index:  # the model's ack: exactly two trips
    assert abs(model_ms("socketio-websocket", latency_ms, "ack_rtt_mean_s") - 2 * latency_ms) < 0.01
ratio = extra["ack: extra (ms)"] / extra["pushed update: extra (ms)"]
assert (ratio < 2).all()  # an ack crosses the path twice, but its extra is less than double
extra.round(1)

# %%
display(
    Markdown(
        f"In the recorded run the real ack, timed at the client's socket as a delivery "
        f"is, takes {extra['ack: extra (ms)'].min():.1f} to "
        f"{extra['ack: extra (ms)'].max():.1f} ms more than 2L, and a pushed update "
        f"{extra['pushed update: extra (ms)'].min():.1f} to "
        f"{extra['pushed update: extra (ms)'].max():.1f} ms more than L: no more than "
        f"about one push's extra (ratio {ratio.min():.2f} to {ratio.max():.2f}), not "
        f"twice it, although the ack crosses the path twice. The extra is not in the "
        f"path's latency but in the work at its ends and the proxy's timers, which fire a "
        f"fraction of a millisecond late at each crossing. The server's measured time to "
        f"answer a message ({min(ACK_SERVICE_MS.values()):.1f} to "
        f"{max(ACK_SERVICE_MS.values()):.1f} ms) is shorter than its push time, which "
        f"runs from the update's creation through the broadcast to the room until the "
        f"bytes leave. At the client library (emit to callback) the ack takes another "
        f"{(extra['ack at the library: extra (ms)'] - extra['ack: extra (ms)']).mean():.1f} "
        f"ms: python-socketio writing the emit and parsing the ack."
    )
)
