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
from simulation.course import check_prediction


def self_check(*args, **kwargs):
    """Print how a prediction compares with the run (simulation.course)."""
    print(check_prediction(*args, **kwargs))


# %% [markdown]
# ## The handshake and the upgrade
#
# One client, 20 ms each way. Read the arrows from the top: the polling handshake
# (`eio-handshake`, `eio-open`), the CONNECT in a POST, the first long poll, then the
# WebSocket's `2probe`/`3probe` and the `5` that moves the session over.
#
# **Predict first.** Each step waits for the answer to the one before: TCP's handshake,
# the Engine.IO handshake (`eio-handshake`, answered by `eio-open`), then a new TCP
# connection for the WebSocket, its HTTP Upgrade, and the probe (`2probe`, answered by
# `3probe`). When, in milliseconds after the client starts, does the server receive the
# `5` (`eio-upgrade`) that moves the session to the WebSocket?

# %% tags=["prediction"]
predicted_upgrade_ms = None  # a number

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

# %%
transfers = result.transfers.set_index("kind")
upgrade_ms = transfers.loc["eio-upgrade", "received_at"] * 1e3
self_check("the 5 reaches the server", predicted_upgrade_ms, upgrade_ms, "ms")
# the worked answer below, checked: five round trips of 40 ms, then one trip of 20 ms
round_trip_ms = 2 * upgrade.network.latency_s.mean() * 1e3
assert abs(upgrade_ms - (5 * round_trip_ms + round_trip_ms / 2)) < 1e-6
assert abs(transfers.loc["eio-open", "received_at"] * 1e3 - 2 * round_trip_ms) < 1e-6

# %% [markdown] tags=["answer"]
# **Answer.** **220 ms**, five and a half round trips of 40 ms. TCP's SYN and SYN-ACK
# (40 ms), the Engine.IO handshake (`eio-open` is back at 80 ms), a second TCP
# connection for the WebSocket (120 ms), the HTTP Upgrade and its 101 (160 ms), the
# probe and its answer (200 ms); then the `5` needs one more one-way trip, 20 ms. Until
# then the session runs on polling: the CONNECT and the first long poll travel on the
# first connection meanwhile, so the upgrade costs no delivery time, only round trips
# and bytes.

# %% [markdown]
# ## What staying on polling costs
#
# The same chat over the three transport choices. Polling pays HTTP headers for every
# packet and waits for the next GET; once upgraded, an event costs a few bytes of frame.

# %%
chat = load_scenario("../scenarios/socketio-chat.toml").replace({"duration_s": DURATION_S})
by_transport, chat_runs = {}, {}
for transports in (["polling", "websocket"], ["polling"], ["websocket"]):
    scenario = chat.replace({"strategy.transports": transports})
    chat_runs["+".join(transports)] = run(scenario)
    by_transport["+".join(transports)] = chat_runs["+".join(transports)].summary()
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
#
# **Predict first.** A client of `general` (100 members) sends a message. How many copies
# does the server write?

# %% tags=["prediction"]
predicted_copies = None  # a number

# %%
assert [room.members for room in chat.strategy.rooms] == [100, 40, 10]
assert chat.server.push_time_s.constant_value() == 50e-6  # per recipient ...
assert chat.server.push_fanout == "serial"  # ... one after the other
summary = by_transport["polling+websocket"]
rooms = {k: v for k, v in summary.items() if k.startswith("room_")}
summary[["broadcasts", "fanout_first_mean_s", "fanout_last_mean_s"]], rooms

# %%
# every copy of a broadcast is an update down to one member, from the sender ("origin")
updates = chat_runs["polling+websocket"].updates
general = chat.strategy.rooms[0]
copies = updates[
    (updates["direction"] == "down")
    & updates["origin"].between(general.first_client, general.first_client + general.members - 1)
].groupby(["origin", "created_at"])
self_check("copies of a message in general", predicted_copies, copies.size().mean())
# the worked answer below, checked
assert (copies.size() == general.members - 1).all()
assert (copies["target"].apply(lambda targets: targets.nunique()) == 99).all()

# %% [markdown] tags=["answer"]
# **Answer.** **99**: one for each *other* member of the room. A broadcast from a socket
# (`socket.to(room).emit`) skips the sender, and every copy goes down its own
# connection: the server writes the same event 99 times, at 50 µs each. A room's
# traffic therefore grows with the square of its size: each of its n members' messages
# costs n − 1 writes.

# %% [markdown]
# How does the last recipient's wait grow with the room? One room, growing, with a
# constant 20 ms path so that only the fan-out changes the spread.
#
# **Predict first.** In a room of 100, how many milliseconds after the first recipient
# does the last one hear a message?

# %% tags=["prediction"]
predicted_spread_ms = None  # a number

# %%
rows = []
for members in [10, 100, 1000] if QUICK else [10, 100, 1000, 5000]:
    scenario = parse_scenario(
        {
            "duration_s": 20.0,
            "warmup_s": 2.0,
            "clients": members,
            "network": {"latency_s": 0.02},
            "server": {"push_time_s": 50e-6, "push_fanout": "serial"},
            "strategy": {
                "kind": "socketio",
                "transports": ["websocket"],
                "rooms": [{"name": "room", "members": members}],
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
# From 1,000 members the first recipient's line rises too. Writing to 999 members takes
# 50 ms: a message that arrives while the previous broadcast is still being written waits
# for it, as on one event loop (`push_fanout = "serial"`), and so do all its recipients.

# %%
large = fanout[fanout["members"] >= 1000]
# from 1,000 members the first recipient waits more than its two trips and one write
assert (large["first recipient (s)"] > 0.04 + 50e-6 + 0.001).all(), large

# %%
at_100 = fanout.set_index("members").loc[100]
self_check("spread in a room of 100", predicted_spread_ms, at_100["spread (ms)"], "ms")
# the worked answer below, checked
assert abs(at_100["spread (ms)"] - 99 * 0.05) < 0.1

# %% [markdown] tags=["answer"]
# **Answer.** **About 5 ms.** The path is the same 20 ms for everyone, so the only
# difference is the order of the writes: the server writes to one socket after another,
# 50 µs each, and the table's closed form, (members − 1) × 50 µs, gives 4.95 ms for the
# 99 recipients of a room of 100. The spread grows by 50 µs per member: about 50 ms at
# 1,000 members.

# %% [markdown]
# ## Exercises
#
# 1. How much longer than the first does the last recipient of a 1,000-member room wait?
#    Derive it from the per-recipient cost, then check `fanout_last_mean_s`.
# 2. Why is `ack_rtt_mean_s` about twice the one-way latency once upgraded, and more on
#    polling? (Hint: the ack rides the next poll response.)
# 3. Put client 99 in both `general` and `dev` (change `first_client` of `dev`). How many
#    copies of its messages does each member of the two rooms get?
