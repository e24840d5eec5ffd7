# %% [markdown]
# # 1. Channels: simplex, half-duplex and full-duplex
#
# **What you will see.** The same traffic over three kinds of channel between one client
# and the server:
#
# * **full-duplex**: two independent links, so both ends can send *at the same time*;
# * **half-duplex** (a walkie-talkie, a shared radio link): one medium, one direction at a
#   time, and every change of direction costs a *turnaround*;
# * **simplex** (a broadcast downlink): only the server can send; the client can never
#   ask, acknowledge or answer.
#
# You will put a push feed and a two-way chat side by side on all three, make both ends
# send at once to see half-duplex contention, derive what a turnaround costs and check
# the formula against a sweep, watch messages cross the channel step by step, and count
# what a simplex feed loses on a lossy link. Times are in seconds or milliseconds as
# labelled, sizes in bytes.

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
DURATION_S = 60.0 if QUICK else 300.0
REPLICATIONS = 3 if QUICK else 10

# %%
import numpy as np
import pandas as pd
from IPython.display import Markdown, display
from matplotlib import pyplot as plt

from simulation import ScenarioError, aggregate, analytic, parse_scenario, plots, run, sweep
from simulation.course import check_prediction

RADIO = {"latency_s": 0.005, "bandwidth_bps": 64e3}  # a slow radio link, 5 ms one way
TURNAROUND_S = 0.02  # 20 ms to turn the half-duplex medium around
PAYLOAD = 200  # bytes per message, both ways


def scenario(mode, strategy="websocket", down=2.0, up=None, turnaround_s=TURNAROUND_S, **more):
    """One client on the radio link: server updates at ``down`` per second (Poisson), and
    client messages at ``up`` per second when given. Raises ScenarioError when rtsim
    refuses the combination."""
    network = {"mode": mode, **RADIO, **more.pop("network", {})}
    if mode == "half-duplex":
        network["turnaround_s"] = turnaround_s
    workload = {"kind": "poisson", "rate_per_s": down, "payload_bytes": PAYLOAD}
    if up is not None:
        workload["up"] = {"kind": "poisson", "rate_per_s": up, "payload_bytes": PAYLOAD}
    return parse_scenario(
        {
            "name": mode,
            "duration_s": more.pop("duration_s", DURATION_S),
            "warmup_s": 5.0,
            "clients": 1,
            "network": network,
            "strategy": {"kind": strategy},
            "workload": workload,
        },
        source="notebook 01",
    )


def self_check(what, predicted, simulated, unit="", tolerance=0.15, **options):
    """Print how a prediction compares with the run (simulation.course)."""
    print(check_prediction(what, predicted, simulated, unit, tolerance, **options))


# %% [markdown]
# ## 1. The same traffic on three channels
#
# Three workloads, each on a simplex, a half-duplex (20 ms turnaround) and a full-duplex
# channel: a raw one-way **feed** (the server sends each update as it happens, no
# connection at all), **push over WebSocket** (the same updates, over TCP), and a
# two-way **chat** over WebSocket (2 updates per second down *and* 2 client messages per
# second up). Each message carries 200 bytes.
#
# **Predict first.** The feed never sends anything up. How many milliseconds slower is
# its mean latency on half-duplex than on full-duplex? And the chat?

# %% tags=["prediction"]
predicted_feed_extra_ms = None  # a number of milliseconds, e.g. 20
predicted_chat_extra_ms = None

# %%
WORKLOADS = {
    "one-way feed": {"strategy": "stream"},
    "push over WebSocket": {"strategy": "websocket"},
    "two-way chat over WebSocket": {"strategy": "websocket", "up": 2.0},
}
MODES = ["simplex", "half-duplex", "full-duplex"]
rows, refusals, table_results = [], {}, {}
for workload, settings in WORKLOADS.items():
    for mode in MODES:
        row = {"workload": workload, "channel": mode}
        try:
            result = run(scenario(mode, **settings))
        except ScenarioError as error:
            reason = str(error).split(": ", 1)[1]  # without the "notebook 01: " prefix
            row["note"] = "not possible: " + reason.split(". ")[0]
            refusals[(workload, mode)] = str(error)
            rows.append(row)
            continue
        table_results[(workload, mode)] = result
        s = result.summary()
        row.update(
            {
                "mean latency down (ms)": s["latency_mean_s"] * 1e3,
                "95th percentile down (ms)": s["latency_p95_s"] * 1e3,
                "mean latency up (ms)": s["latency_up_mean_s"] * 1e3,
                "updates delivered": s["deliveries"],
                "updates created": s["updates"],
                "client messages delivered": s["up_deliveries"],
                "lost on the link": s["lost_messages"],
                "bytes on the wire": s["wire_bytes"],
                "note": "",
            }
        )
        rows.append(row)
side_by_side = pd.DataFrame(rows).set_index(["workload", "channel"])
shown = side_by_side.astype(object)  # numbers as text: "–" where there is none
for column in side_by_side.columns.drop("note"):
    digits = 1 if "(ms)" in column else 0
    shown[column] = [f"{v:,.{digits}f}" if pd.notna(v) else "–" for v in side_by_side[column]]
with pd.option_context("display.max_colwidth", 120):
    display(shown)

# %% [markdown]
# Where a cell says "not possible", rtsim refused the scenario before simulating
# anything. Its messages, in full:

# %%
for (workload, mode), message in refusals.items():
    print(f"{workload} on {mode}:\n  {message}\n")

# %%
means = side_by_side["mean latency down (ms)"]
feed_extra_ms = means["one-way feed", "half-duplex"] - means["one-way feed", "full-duplex"]
push_extra_ms = (
    means["push over WebSocket", "half-duplex"] - means["push over WebSocket", "full-duplex"]
)
chat_extra_ms = (
    means["two-way chat over WebSocket", "half-duplex"]
    - means["two-way chat over WebSocket", "full-duplex"]
)
self_check("feed, half minus full duplex", predicted_feed_extra_ms, feed_extra_ms, "ms", absolute=1)
self_check("chat, half minus full duplex", predicted_chat_extra_ms, chat_extra_ms, "ms")
# the answer below, checked: one direction never turns the medium
assert feed_extra_ms == 0 and push_extra_ms == 0
assert means["one-way feed", "simplex"] == means["one-way feed", "full-duplex"]
assert set(refusals) == {
    ("push over WebSocket", "simplex"),
    ("two-way chat over WebSocket", "simplex"),
}
serialization_ms = (PAYLOAD + 4 + 40) * 8 / RADIO["bandwidth_bps"] * 1e3
assert 30 < serialization_ms < 31  # "about 30 ms to send a frame"
assert 10 < chat_extra_ms < 16  # "about 10 ms from turnarounds, a few more from waiting"
print(f"chat on half-duplex: {chat_extra_ms:.1f} ms slower than on full duplex")

# %% [markdown] tags=["answer"]
# **Answer.** The feed: **0 ms**, exactly. Traffic in one direction never turns the medium,
# and one message at a time on one medium is all a full-duplex link's down direction
# does too; the simplex channel gives the very same numbers. WebSocket push is identical
# on half- and full-duplex as well: its only up messages are the TCP and WebSocket
# handshakes at the start (before the 5 s warm-up), and rtsim's bare TCP
# acknowledgements take no medium time.
#
# The chat: **about 12 to 14 ms**. Half of its messages find the medium last used the
# other way (the direction of each message is a coin toss when both sides send at the
# same rate), and each of those pays the 20 ms turnaround: 10 ms on average. The rest is
# waiting for a message of the other direction to be sent (about 30 ms for a frame of
# 244 bytes at 64 kbit/s) and to arrive. Simplex cannot run either WebSocket row: TCP
# needs the client to answer the server's SYN-ACK, and a chat needs the client to talk.
# Only the raw feed runs there.

# %% [markdown]
# ## 2. Both ends sending at once
#
# A busier chat: 5 messages per second each way. A message takes about 30 ms to send,
# so it often happens that the client starts a message while one from the server is
# still on its way. On a full-duplex channel that does not matter. On a half-duplex
# channel one of them has to wait, **even when turning around is free**.
#
# **Predict first.** With a turnaround of **zero**, how many milliseconds slower is the
# mean latency on half-duplex than on full-duplex, at 5 messages a second each way?

# %% tags=["prediction"]
predicted_contention_ms = None  # milliseconds

# %%
BUSY = 5.0  # messages per second, each way
busy = {
    "full-duplex": run(scenario("full-duplex", down=BUSY, up=BUSY)),
    "half-duplex, no turnaround": run(scenario("half-duplex", down=BUSY, up=BUSY, turnaround_s=0)),
    "half-duplex, 20 ms turnaround": run(scenario("half-duplex", down=BUSY, up=BUSY)),
}


def frames(result):
    """The WebSocket frames of the measured window (after the warm-up), both ways."""
    t = result.transfers
    t = t[t["kind"].astype(str).isin(["ws-frame", "ws-frame-up"])]
    return t[t["sent_at"] >= result.scenario.warmup_s]


def all_latencies_ms(result):
    d = result.deliveries
    return d.loc[d["created_at"] >= result.scenario.warmup_s, "latency_s"].to_numpy() * 1e3


rows = {}
for name, result in busy.items():
    latency, f = all_latencies_ms(result), frames(result)
    rows[name] = {
        "mean latency, both ways (ms)": latency.mean(),
        "95th percentile (ms)": np.percentile(latency, 95),
        "messages": len(latency),
        "share that waited to start (%)": 100 * (f["started_at"] > f["sent_at"]).mean(),
    }
contention = pd.DataFrame(rows).T
contention.round(1)

# %%
contention_ms = (
    contention.loc["half-duplex, no turnaround", "mean latency, both ways (ms)"]
    - contention.loc["full-duplex", "mean latency, both ways (ms)"]
)
self_check("half minus full duplex, no turnaround", predicted_contention_ms, contention_ms, "ms")
waited = contention["share that waited to start (%)"]
# the answer below, checked
assert 3 < contention_ms < 8
assert 10 < waited["full-duplex"] < 20  # "about one in six"
assert 30 < waited["half-duplex, no turnaround"] < 40  # "about a third"
print(
    f"{waited['full-duplex']:.0f}% of messages waited to start on full duplex, "
    f"{waited['half-duplex, no turnaround']:.0f}% on half-duplex with a free turnaround"
)

# %% [markdown] tags=["answer"]
# **Answer.** **About 5 ms**, although no message pays a turnaround. On a full-duplex
# channel a message waits only behind messages *of its own direction* (about one in six
# does). On a half-duplex channel a message may also find the medium carrying a message
# the other way, and then it waits until that message has been sent *and* its last bit
# has arrived at the far end, 5 ms later: about a third of the messages wait. That is the
# whole difference between the modes: full duplex sends both ways at the same time.
# With a 20 ms turnaround, half of all messages also pay the turnaround.

# %% [markdown]
# The latency distributions of all messages, both directions. Full duplex is a step at
# about 36 ms (about 31 ms to send a frame, 5 ms to travel) and a short tail of messages
# that queued behind their own direction. Half-duplex without a turnaround moves about a
# third of the messages to the right, by up to a message's time on the medium; with a
# 20 ms turnaround, half of the messages (those that turn the medium) also start 20 ms
# later: the second step, at about 56 ms.

# %%
fig, ax = plt.subplots(figsize=(7, 4.5), layout="constrained")
for name, result in busy.items():
    latency = np.sort(all_latencies_ms(result))
    ax.step(latency, np.arange(1, len(latency) + 1) / len(latency), where="post", label=name)
ax.set_xlabel("delivery latency (ms)")
ax.set_ylabel("fraction of messages delivered within")
ax.set_title(f"{BUSY:g} messages per second each way, 64 kbit/s, 5 ms one way")
ax.set_xlim(0, np.percentile(all_latencies_ms(busy["half-duplex, 20 ms turnaround"]), 99))
ax.grid(True, alpha=0.3)
ax.legend(loc="lower right")
for frame_bytes in (PAYLOAD + 4 + 40, PAYLOAD + 8 + 40):  # down, and up with its mask
    step_ms = 1e3 * (RADIO["latency_s"] + frame_bytes * 8 / RADIO["bandwidth_bps"])
    assert 35 < step_ms < 36.5 and 55 < step_ms + TURNAROUND_S * 1e3 < 56.5  # 36, 56 ms
plt.show()

# %% [markdown]
# ## 3. Watch it happen
#
# Below, one moment of the busy chat when the server and the client offer a message
# within a few milliseconds of each other, on the half-duplex (20 ms turnaround) and the
# full-duplex channel. A dot is a message offered; a dotted line down the sender's
# lifeline is its wait; the arrow runs from its first bit sent to its last bit received.
# The shading beside the client shows the half-duplex medium busy (green: down, blue:
# up) and turning (orange).

# %%
half_busy, full_busy = busy["half-duplex, 20 ms turnaround"], busy["full-duplex"]
f = frames(half_busy).sort_values("sent_at").reset_index(drop=True)
gap = f["sent_at"].diff()
serialization_s = (PAYLOAD + 4 + 40) * 8 / RADIO["bandwidth_bps"]
# a server frame that started at once, then a client frame offered while it was sent
candidates = f.index[
    (f["direction"] == "up")
    & (f["direction"].shift() == "down")
    & (gap > 0.005)
    & (gap < serialization_s - 0.005)
    & (f["started_at"].shift() == f["sent_at"].shift())
]
first, second = f.loc[candidates[0] - 1], f.loc[candidates[0]]
offset_ms = (second["sent_at"] - first["sent_at"]) * 1e3
print(
    f"At t = {first['sent_at']:.3f} s the server offers a frame; {offset_ms:.1f} ms later "
    "the client offers one."
)

# %% [markdown]
# **Predict first.** On the half-duplex channel, how long (ms) does the client's frame
# wait between being offered and its first bit being sent? (The server's frame takes
# 30.5 ms to send and 5 ms to arrive; turning costs 20 ms.)

# %% tags=["prediction"]
predicted_wait_ms = None  # milliseconds

# %%
start_s = first["sent_at"] - 0.03
player, figure = plots.sequence_player(
    [half_busy, full_busy],
    start_s=start_s,
    end_s=start_s + 0.3,
    steps=30,
    titles=["half-duplex, 20 ms turnaround", "full-duplex"],
)
if player is not None:
    display(player)  # press Play, or drag the slider
display(figure)  # the static chart: the whole window at once

# %%
wait_ms = (second["started_at"] - second["sent_at"]) * 1e3
full_second = frames(full_busy).set_index("message_id").loc[second["message_id"]]
full_wait_ms = (full_second["started_at"] - full_second["sent_at"]) * 1e3
self_check("the client frame's wait", predicted_wait_ms, wait_ms, "ms", absolute=2)
expected_wait_ms = 1e3 * (serialization_s + RADIO["latency_s"] + TURNAROUND_S) - offset_ms
assert abs(wait_ms - expected_wait_ms) < 1e-6 and full_wait_ms == 0  # the answer below
print(f"half-duplex: it waits {wait_ms:.1f} ms; full duplex: {full_wait_ms:.0f} ms")

# %% [markdown] tags=["answer"]
# **Answer.** 30.5 + 5 + 20 ms minus the head start the server had (printed above):
# the client must wait for the server's frame to be sent (30.5 ms), for its last bit
# to reach the client (5 ms: until then the medium is still busy), and then for the
# turnaround (20 ms). On full duplex it waits **0 ms**: its own direction was free.

# %% [markdown]
# ## 4. What a turnaround costs: a formula
#
# Follow the model's rules (`simulation/channel.py`): a message in the same direction as
# the message offered before it starts as soon as the transmitter is free. A message in
# the other direction waits until the medium is idle (every earlier message received),
# then pays the turnaround **T**, even if the medium has been idle for a long time. Who
# goes first is decided by the order messages are offered in.
#
# Take down messages at rate *a* and up messages at rate *b*, both Poisson and
# independent, λ = *a* + *b*. Then:
#
# 1. **The channel points the wrong way.** Each message's direction is an independent
#    draw (down with probability *a*/λ), so a down message finds the medium last used
#    the other way with probability *b*/λ and pays T: **T·b/λ** on average. With equal
#    rates, half the messages turn: the cost is **T/2**.
# 2. **The medium is busy.** The medium is one first-come-first-served server. Message
#    *n* holds it for **X = T·[n turns] + S + L·[the next one turns]**: its turnaround,
#    its sending time S, and, when the next message goes the other way, the one-way
#    latency L that the next one waits for the last bit. The mean wait for such a server
#    with Poisson arrivals is Pollaczek-Khinchine's **λ·E[X²] / (2(1 − ρ))** with
#    **ρ = λ·E[X]** the fraction of time the medium is held.
#
# So the mean latency of a down message is
# **L + S + T·b/λ + λ·E[X²] / (2(1 − ρ))**, and full duplex's is
# L + S + the M/D/1 wait of its own direction alone. The difference is the turnaround's
# cost. It is `analytic.half_duplex_mean_latency_s`; the test suite checks it against
# 20 replications (`tests/test_half_duplex_theory.py`).
#
# **Assumptions:** Poisson messages both ways; fixed message sizes and a fixed one-way
# latency (no jitter); no loss; nothing else on the medium; and the X of successive
# messages treated as independent (they share whether a message turns; this matters
# little with equal rates). It holds only while ρ < 1: above, the medium cannot keep up.
#
# **Predict first.** At a light load (1 message per second each way), each extra
# millisecond of turnaround adds how many milliseconds to the mean latency?

# %% tags=["prediction"]
predicted_slope = None  # milliseconds of latency per millisecond of turnaround

# %%
TURNAROUNDS = [0.0, 0.01, 0.02, 0.04, 0.06, 0.08, 0.10, 0.12, 0.14, 0.16]
LOADS = {"light: 1 message/s each way": 1.0, f"busy: {BUSY:g} messages/s each way": BUSY}
cells = [
    {"network.turnaround_s": t, "workload.rate_per_s": r, "workload.up.rate_per_s": r}
    for r in LOADS.values()
    for t in TURNAROUNDS
]
half_runs = sweep(
    scenario("half-duplex", up=1.0), cells, REPLICATIONS, executor="serial", progress=False
)
full_runs = sweep(
    scenario("full-duplex", up=1.0),
    [{"workload.rate_per_s": r, "workload.up.rate_per_s": r} for r in LOADS.values()],
    REPLICATIONS,
    executor="serial",
    progress=False,
)
print(f"{len(half_runs) + len(full_runs)} runs, {REPLICATIONS} replications per cell")

# %%
# Mean latency of both directions (equal rates), and the extra over full duplex, paired
# by replication: replication r of every cell ran with the same seed
both = lambda runs: (runs["latency_mean_s"] + runs["latency_up_mean_s"]) / 2  # noqa: E731
half_runs["both_s"], full_runs["both_s"] = both(half_runs), both(full_runs)
full_by = full_runs.set_index(["workload.rate_per_s", "replication"])["both_s"]
paired = pd.MultiIndex.from_frame(half_runs[["workload.rate_per_s", "replication"]])
half_runs["extra_ms"] = (half_runs["both_s"].to_numpy() - full_by.loc[paired].to_numpy()) * 1e3
extra = aggregate(half_runs, ["extra_ms"])

# the closed form, from the frames' real sizes
frame_bytes = frames(busy["full-duplex"]).assign(
    wire=lambda t: t["payload_bytes"] + t["overhead_bytes"] + t["transport_bytes"]
)
S = (frame_bytes.groupby("direction")["wire"].first() * 8 / RADIO["bandwidth_bps"]).to_dict()
L = RADIO["latency_s"]


def formula_extra_ms(rate, turnaround):
    half = [
        analytic.half_duplex_mean_latency_s(d, rate, rate, L, turnaround, S["down"], S["up"])
        for d in ("down", "up")
    ]
    full = [analytic.full_duplex_mean_latency_s(rate, L, S[d]) for d in ("down", "up")]
    return (np.mean(half) - np.mean(full)) * 1e3


def utilisation(rate, turnaround):
    return analytic.half_duplex_utilisation(rate, rate, L, turnaround, S["down"], S["up"])


extra["rho"] = [
    utilisation(r, t)
    for r, t in zip(extra["workload.rate_per_s"], extra["network.turnaround_s"], strict=True)
]
extra["formula_ms"] = [
    formula_extra_ms(r, t) if rho < 0.9 else np.nan
    for r, t, rho in zip(
        extra["workload.rate_per_s"], extra["network.turnaround_s"], extra["rho"], strict=True
    )
]
names = {
    "workload.rate_per_s": "messages/s each way",
    "network.turnaround_s": "turnaround (s)",
    "rho": "ρ, medium held (fraction of time)",
    "extra_ms_mean": "extra latency (ms), mean",
    "extra_ms_ci": "95% CI half-width (ms)",
    "formula_ms": "closed form (ms), where ρ < 0.9",
}
extra[list(names)].rename(columns=names).round(3)

# %% [markdown]
# The closed form is drawn only where ρ < 0.9; the dashed grey line is the first term
# alone, T/2. Error bars are 95% confidence intervals over the replications.

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 4.5), layout="constrained")
fine = np.linspace(0, max(TURNAROUNDS), 161)
for ax, (label, rate) in zip(axes, LOADS.items(), strict=True):
    cell = extra[extra["workload.rate_per_s"] == rate]
    ax.errorbar(
        cell["network.turnaround_s"] * 1e3,
        cell["extra_ms_mean"],
        yerr=cell["extra_ms_ci"],
        marker="o",
        linestyle="",
        capsize=3,
        label=f"simulated, mean and 95% CI ({REPLICATIONS} runs)",
    )
    holds = [t for t in fine if utilisation(rate, t) < 0.9]
    ax.plot(
        np.array(holds) * 1e3,
        [formula_extra_ms(rate, t) for t in holds],
        color="tab:red",
        label="closed form (where ρ < 0.9)",
    )
    ax.plot(fine[1:] * 1e3, fine[1:] * 1e3 / 2, color="0.5", linestyle="--", label="T/2 alone")
    ax.set_xlabel("turnaround T (ms)")
    ax.set_ylabel("extra mean latency over full duplex (ms)")
    ax.set_title(label)
    ax.grid(True, alpha=0.3)
saturation_s = fine[np.argmax([utilisation(BUSY, t) >= 1 for t in fine])]
axes[1].axvline(saturation_s * 1e3, color="0.3", linestyle=":", label="ρ = 1: saturated")
axes[1].set_yscale("log")
axes[1].set_ylabel("extra mean latency over full duplex (ms, log scale)")
for ax in axes:
    ax.legend(loc="upper left", fontsize="small")
plt.show()

# %%
light = extra[extra["workload.rate_per_s"] == 1.0].set_index("network.turnaround_s")
busy_cells = extra[extra["workload.rate_per_s"] == BUSY].set_index("network.turnaround_s")
light_slope = (light.loc[0.1, "extra_ms_mean"] - light.loc[0.0, "extra_ms_mean"]) / 100
self_check("ms per ms of turnaround, light load", predicted_slope, light_slope)
held = extra.dropna(subset=["formula_ms"])
off = (held["extra_ms_mean"] - held["formula_ms"]).abs()
within = (off <= held["extra_ms_ci"] + 0.02 * held["formula_ms"]).mean()
display(
    Markdown(
        f"At light load the slope is **{light_slope:.2f}**: about 1/2, the chance the "
        f"medium points the wrong way, plus a little queueing. Where ρ < 0.9 the closed "
        f"form lies within the confidence interval (or 2%) in {within:.0%} of the cells. "
        f"The busy chat saturates at T = {saturation_s * 1e3:.0f} ms (ρ = 1): at "
        f"T = 160 ms its messages are late by "
        f"{busy_cells.loc[0.16, 'extra_ms_mean'] / 1e3:.1f} s on average, and the longer "
        f"the run, the later."
    )
)
assert 0.45 < light_slope < 0.65 and within >= 0.8
assert busy_cells.loc[0.16, "extra_ms_mean"] > 1000

# %% [markdown] tags=["answer"]
# **Answer.** **About 0.5.** At a light load a message almost never finds the medium
# busy, so the turnaround's whole cost is term 1: the probability that the medium points
# the wrong way (1/2 with equal rates) times T. Queueing adds a little, and more the
# larger T, since a turn holds the medium for T too.
#
# At 5 messages a second each way the same T costs far more: every turn holds the
# medium for T + L on top of the 30.5 ms of sending, so ρ grows with T and the wait
# grows as 1/(1 − ρ). The curve bends upwards and ends in saturation: past ρ = 1 the
# medium carries less than is offered, the queue grows for as long as the run lasts, and
# no steady-state formula applies (the closed form returns infinity). Near ρ = 1 even
# the simulated means are shaky: their confidence intervals are wide, and a 300 s run
# is too short to reach the steady state the formula describes.

# %% [markdown]
# ### What the old polling sweep showed
#
# An earlier version of this notebook swept the turnaround for *one short-polling
# client* (a request every 0.5 s, 1 update per second) in a single run, and saw the mean
# latency grow by 2 T at first, flattening towards 1 T. Each poll turns the medium
# twice, request up and response down, so every delivery comes 2 T later. But the
# request also reaches the server T later, so it collects the updates created during
# that extra T, which would otherwise have waited a whole interval for the next poll:
# that gives back T on average. The net cost is **1 T**. In a single run with a small T,
# though, few or no updates fall in that short window, so one run shows nearly 2 T; the
# wider the window, the closer a single run comes to 1 T. Replications show it:

# %%
polling = parse_scenario(
    {
        "name": "polling",
        "duration_s": 120.0,
        "warmup_s": 5.0,
        "clients": 1,
        "network": {"mode": "half-duplex", **RADIO},
        "strategy": {"kind": "short-polling", "interval_s": 0.5},
        "workload": {"kind": "poisson", "rate_per_s": 1.0, "payload_bytes": PAYLOAD},
    },
    source="notebook 01",
)
poll_turnarounds = [0.0, 0.01, 0.02, 0.05, 0.1]
poll_runs = sweep(
    polling,
    {"network.turnaround_s": poll_turnarounds},
    2 * REPLICATIONS,
    executor="serial",
    progress=False,
)
base = poll_runs[poll_runs["network.turnaround_s"] == 0].set_index("replication")
t = poll_runs["network.turnaround_s"]
extra_s = poll_runs["latency_mean_s"] - poll_runs["replication"].map(base["latency_mean_s"])
poll_runs["per_turnaround"] = (extra_s / t).where(t > 0)
slopes = aggregate(poll_runs[poll_runs["network.turnaround_s"] > 0], ["per_turnaround"])
one_run = poll_runs[poll_runs["replication"] == 0].set_index("network.turnaround_s")
slopes["one run (replication 0)"] = one_run.loc[
    slopes["network.turnaround_s"], "per_turnaround"
].to_numpy()
slopes = slopes.rename(
    columns={
        "per_turnaround_mean": f"mean of {2 * REPLICATIONS} runs",
        "per_turnaround_ci": "95% CI half-width",
    }
)
slopes[
    [
        "network.turnaround_s",
        "one run (replication 0)",
        f"mean of {2 * REPLICATIONS} runs",
        "95% CI half-width",
    ]
].round(2)

# %% [markdown]
# Each number is the extra mean latency divided by the turnaround. The replicated means
# sit near 1; single runs scatter around them, more the smaller the turnaround.

# %%
at_100ms = slopes.set_index("network.turnaround_s").loc[0.1]
assert abs(at_100ms[f"mean of {2 * REPLICATIONS} runs"] - 1) < max(
    0.15, at_100ms["95% CI half-width"]
)

# %% [markdown]
# ## 5. What simplex loses
#
# A simplex client cannot send anything, not even an acknowledgement. So when the link
# loses a message, nobody finds out and nobody sends it again: it is simply gone. Over
# TCP (WebSocket, on half- or full-duplex) the receiver's acknowledgements tell the
# sender what is missing, and it retransmits.
#
# Updates are counted from the end of the warm-up until 30 s before the end of the run,
# so that a lost update has had time to be sent again.
#
# **Predict first.** The link now loses 5% of messages. Of the updates the feed sends
# on the simplex channel, what percentage arrive?

# %% tags=["prediction"]
predicted_delivered_percent = None  # a percentage

# %%
LOSS = 0.05
lossy_runs = {
    "simplex, one-way feed": run(scenario("simplex", "stream", network={"loss": LOSS})),
    "half-duplex, WebSocket": run(scenario("half-duplex", network={"loss": LOSS})),
    "full-duplex, WebSocket": run(scenario("full-duplex", network={"loss": LOSS})),
}
MARGIN_S = 30.0  # count updates created at least this long before the end: time to resend
rows = {}
for name, result in lossy_runs.items():
    s, u, d = result.summary(), result.updates, result.deliveries
    counted = u[
        (u["direction"] == "down")
        & (u["created_at"] >= result.scenario.warmup_s)
        & (u["created_at"] < result.end_s - MARGIN_S)
    ]
    arrived = d[d["update_id"].isin(counted["update_id"])]
    rows[name] = {
        "updates sent": len(counted),
        "delivered": arrived["update_id"].nunique(),
        "never arrived": len(counted) - arrived["update_id"].nunique(),
        "delivered (%)": 100 * arrived["update_id"].nunique() / len(counted),
        "copies lost on the link": s["lost_messages"],
        "retransmissions": s["retransmissions"],
        "mean latency (ms)": arrived["latency_s"].mean() * 1e3,
        "99th percentile (ms)": arrived["latency_s"].quantile(0.99) * 1e3,
    }
losses = pd.DataFrame(rows).T
losses.round(1)

# %%
simplex_percent = losses.loc["simplex, one-way feed", "delivered (%)"]
self_check("delivered on simplex", predicted_delivered_percent, simplex_percent, "%", absolute=3)
# the answer below, checked
assert abs(simplex_percent - 95) < 4
assert (
    losses.loc[["half-duplex, WebSocket", "full-duplex, WebSocket"], "never arrived"] == 0
).all()
assert losses.loc["simplex, one-way feed", "retransmissions"] == 0
tcp = losses.loc["full-duplex, WebSocket"]
p99 = losses["99th percentile (ms)"]
assert (p99.drop("simplex, one-way feed") > 900).all() and p99["simplex, one-way feed"] < 100
print(
    f"simplex: {losses.loc['simplex, one-way feed', 'never arrived']:.0f} of "
    f"{losses.loc['simplex, one-way feed', 'updates sent']:.0f} updates never arrived; "
    f"WebSocket on full duplex: all arrived, after {tcp['retransmissions']:.0f} "
    f"retransmissions, with a 99th percentile of {tcp['99th percentile (ms)'] / 1e3:.1f} s"
)

# %% [markdown] tags=["answer"]
# **Answer.** **About 95%**: each update is lost with probability 5% and nothing is
# resent, so about one in twenty never arrives, and the client does not even know. Over
# TCP every update arrives, on half- and full-duplex alike: the lost copies are sent
# again. That costs time, not data: a lost frame waits for three frames behind it (fast
# retransmit) or for the retransmission timer (1 s, doubling after each further loss),
# and the frames behind it wait too, so the 99th percentile grows from tens of
# milliseconds to seconds. (The two WebSocket rows differ by chance: a 99th percentile
# of about 500 updates rests on the 5 slowest, and in one run a lost frame started a
# longer chain of timer back-offs than in the other.) A simplex feed can only protect
# itself without feedback: by sending everything twice, or with forward error
# correction, at the price of bandwidth.

# %% [markdown]
# ## Exercises
#
# Worked answers are in `answers/01_channels_answers.ipynb`.
#
# 1. **Unequal rates.** Make the chat lopsided: 8 updates per second down and 2 client
#    messages up, turnaround 20 ms. Which direction pays more turnaround, and how much
#    does the closed form predict for each? Check with a few replications.
# 2. **A faster radio.** Raise the bandwidth to 1 Mbit/s (`network.bandwidth_bps`). At
#    5 messages a second each way, at what turnaround does the busy chat saturate now?
#    Use `analytic.half_duplex_utilisation`, then confirm with runs on either side.
# 3. **Late, not lost.** On full duplex with 5% loss, what share of WebSocket's updates
#    arrive more than 0.5 s late, and why is it close to the loss rate? And what
#    fraction of updates would a simplex feed deliver if it sent every update twice?
