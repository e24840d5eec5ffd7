# %% [markdown]
# # 5. Socket.IO: the upgrade, rooms, broadcasting and acknowledgements
#
# **What you will see.** A Socket.IO session starts on plain HTTP long polling and then
# upgrades to a WebSocket: you will watch the handshake packet by packet. Then a chat:
# clients in rooms, each message broadcast to the rest of its room. The bigger the room,
# the longer the last recipient waits, because the server writes to one socket after
# another. Last, acknowledgements: how long until the server confirms it got a message.

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
DURATION_S = 30.0 if QUICK else 120.0

# %%
import numpy as np
import pandas as pd
from matplotlib import pyplot as plt

from simulation import load_scenario, parse_scenario, plots, run

# %% [markdown]
# ## The handshake and the upgrade
#
# One client, 20 ms each way. Read the arrows from the top: the polling handshake
# (`eio-handshake`, `eio-open`), the CONNECT in a POST, the first long poll, then the
# WebSocket's `2probe`/`3probe` and the `5` that moves the session over.

# %%
upgrade = parse_scenario(
    {
        "duration_s": 1.0,
        "network": {"latency_s": 0.02},
        "strategy": {"kind": "socketio"},
        "workload": {"kind": "periodic", "rate_per_s": 2.0, "start_s": 0.25},
    },
    source="notebook 05",
)
result = run(upgrade)
ax = plots.sequence_chart(result, start_s=0.0, end_s=0.3)

# %%
result.transfers[["kind", "sent_at", "received_at", "overhead_bytes"]].head(16)

# %% [markdown]
# ## What staying on polling costs
#
# The same chat over the three transport choices. Polling pays HTTP headers for every
# packet and waits for the next GET; once upgraded, an event costs a few bytes of frame.

# %%
chat = load_scenario("../scenarios/socketio-chat.toml").replace({"duration_s": DURATION_S})
by_transport = {}
for transports in (["polling", "websocket"], ["polling"], ["websocket"]):
    scenario = chat.replace({"strategy.transports": transports})
    by_transport["+".join(transports)] = run(scenario).summary()
columns = [
    "latency_mean_s",
    "latency_p95_s",
    "ack_rtt_mean_s",
    "bytes_per_delivery",
    "requests",
]
# the exercises below rely on these: an ack takes about two one-way trips once upgraded,
# longer on polling
one_way = chat.network.latency_s.mean()
upgraded, polling = by_transport["polling+websocket"], by_transport["polling"]
assert abs(upgraded["ack_rtt_mean_s"] / (2 * one_way) - 1) < 0.1
assert polling["ack_rtt_mean_s"] > 1.1 * upgraded["ack_rtt_mean_s"]
pd.DataFrame({name: summary[columns] for name, summary in by_transport.items()})

# %% [markdown]
# ## Rooms and fan-out
#
# In `socketio-chat.toml`, rooms hold 100, 40 and 10 clients, and writing a broadcast
# costs the server 50 µs per recipient. The first recipient of a message hears it after
# one trip to the server and one back; the last also waits for the writes before it, and
# has the slowest path of them all.

# %%
assert [room.members for room in chat.strategy.rooms] == [100, 40, 10]
assert chat.strategy.fanout_s_per_recipient == 50e-6
summary = by_transport["polling+websocket"]
rooms = {k: v for k, v in summary.items() if k.startswith("room_")}
summary[["broadcasts", "fanout_first_mean_s", "fanout_last_mean_s"]], rooms

# %% [markdown]
# How does the last recipient's wait grow with the room? One room, growing, with a
# constant 20 ms path so that only the fan-out changes the spread.

# %%
rows = []
for members in [10, 100, 1000] if QUICK else [10, 100, 1000, 5000]:
    scenario = parse_scenario(
        {
            "duration_s": 20.0,
            "warmup_s": 2.0,
            "clients": members,
            "network": {"latency_s": 0.02},
            "strategy": {
                "kind": "socketio",
                "transports": ["websocket"],
                "rooms": [{"name": "room", "members": members}],
                "fanout_s_per_recipient": 50e-6,
            },
            # about one message a second in the whole room
            "workload": {"rate_per_s": 0.01, "start_s": 100.0, "up": {"rate_per_s": 1 / members}},
        },
        source="notebook 05",
    )
    s = run(scenario).summary()
    rows.append(
        {
            "members": members,
            "broadcasts": s["broadcasts"],
            "first recipient (s)": s["fanout_first_mean_s"],
            "last recipient (s)": s["fanout_last_mean_s"],
        }
    )
fanout = pd.DataFrame(rows)
fanout

# %% [markdown]
# The writes before the last recipient take (members − 1) × 50 µs, so the spread between
# the first and the last recipient grows in a straight line with the room. Both axes are
# linear, so a straight line is what you see; the dashed line is that closed form.

# %%
fanout["spread (ms)"] = (fanout["last recipient (s)"] - fanout["first recipient (s)"]) * 1e3
fanout["closed form (ms)"] = (fanout["members"] - 1) * 50e-6 * 1e3
assert np.allclose(fanout["spread (ms)"], fanout["closed form (ms)"], atol=1.0), fanout
fig, ax = plt.subplots(figsize=(7, 4.5), layout="constrained")
ax.plot(fanout["members"], fanout["first recipient (s)"] * 1e3, "o-", label="first recipient")
ax.plot(fanout["members"], fanout["last recipient (s)"] * 1e3, "s-", label="last recipient")
ax.plot(
    fanout["members"],
    fanout["first recipient (s)"] * 1e3 + fanout["closed form (ms)"],
    "k--",
    linewidth=1,
    label="first + (members − 1) × 50 µs",
)
ax.set_xlabel("members in the room")
ax.set_ylabel("latency from the emit (ms)")
ax.set_title("Broadcast fan-out: 50 µs per recipient")
ax.legend(fontsize="small")
ax.grid(True, alpha=0.3)

# %% [markdown]
# ## Exercises
#
# 1. How much longer than the first does the last recipient of a 1,000-member room wait?
#    Derive it from the per-recipient cost, then check `fanout_last_mean_s`.
# 2. Why is `ack_rtt_mean_s` about twice the one-way latency once upgraded, and more on
#    polling? (Hint: the ack rides the next poll response.)
# 3. Put client 99 in both `general` and `dev` (change `first_client` of `dev`). How many
#    copies of its messages does each member of the two rooms get?
