# %% [markdown]
# # Answers: 5. Socket.IO rooms
#
# Worked answers to the exercises of `05_socketio_rooms`. Every number comes from the
# runs below (shorter runs with `RTSIM_QUICK=1`), and the claims are asserted.

# %% tags=["parameters"]
import os

QUICK = os.environ.get("RTSIM_QUICK") == "1"
DURATION_S = 30.0 if QUICK else 120.0

# %%
import pandas as pd
from IPython.display import Markdown, display

from simulation import load_scenario, parse_scenario, run

chat = load_scenario("../../scenarios/socketio-chat.toml").replace({"duration_s": DURATION_S})

# %% [markdown]
# ## 1. The last recipient of a 1,000-member room
#
# *How much longer than the first does the last recipient wait?* The server writes to
# the 999 other members one after another, 50 µs each, so the spread is the notebook's
# closed form, (members − 1) × 50 µs: about 50 ms.

# %%
members = 1000
room = parse_scenario(
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
        "workload": {"rate_per_s": 0.01, "start_s": 100.0, "up": {"rate_per_s": 1 / members}},
    },
    source="answers 05",
)
summary = run(room).summary()
spread_ms = (summary["fanout_last_mean_s"] - summary["fanout_first_mean_s"]) * 1e3
closed_form_ms = (members - 1) * 50e-6 * 1e3
assert abs(spread_ms - closed_form_ms) < 1.0
print(
    f"last minus first: {spread_ms:.2f} ms over {summary['broadcasts']} broadcasts; "
    f"(members − 1) × 50 µs = {closed_form_ms:.2f} ms"
)

# %% [markdown]
# ## 2. Acknowledgements: two trips, or more
#
# *Why is `ack_rtt_mean_s` about twice the one-way latency once upgraded, and more on
# polling?*

# %%
by_transport = {
    "+".join(transports): run(chat.replace({"strategy.transports": transports})).summary()
    for transports in (["polling", "websocket"], ["polling"])
}
one_way = chat.network.latency_s.mean()
acks = pd.DataFrame(
    {
        name: {
            "ack RTT (ms)": s["ack_rtt_mean_s"] * 1e3,
            "ack RTT / one-way latency": s["ack_rtt_mean_s"] / one_way,
        }
        for name, s in by_transport.items()
    }
).T
upgraded, polling = acks.loc["polling+websocket"], acks.loc["polling"]
assert abs(upgraded["ack RTT / one-way latency"] - 2) < 0.2
assert polling["ack RTT (ms)"] > 1.1 * upgraded["ack RTT (ms)"]
acks.round(2)

# %%
display(
    Markdown(
        f"On the WebSocket the emit travels up (one trip, {one_way * 1e3:.0f} ms on "
        f"average) and the server writes the ack at once, which travels down: "
        f"{upgraded['ack RTT / one-way latency']:.2f} one-way trips. On polling the emit "
        f"goes up in a POST, but the ack can only come down in the response to a GET. When "
        f"a GET is held at the server, that is at once; after each poll response there is "
        f"a gap of about two trips (the response down, the next GET up) with no GET "
        f"waiting, and an ack made then waits for it. So polling's acks take "
        f"{polling['ack RTT / one-way latency']:.2f} trips on average, "
        f"{polling['ack RTT (ms)'] - upgraded['ack RTT (ms)']:.0f} ms more."
    )
)

# %% [markdown]
# ## 3. One client in two rooms
#
# *Put client 99 in both `general` and `dev`. How many copies of its messages does each
# member of the two rooms get?*
#
# `dev` starting at client 99 holds clients 99 to 138, so client 99 is in both rooms
# (and client 139 in none). Socket.IO broadcasts to the union of the sender's rooms,
# without the sender, and sends each socket one copy.

# %%
both = chat.replace(
    {
        "strategy.rooms": [
            {"name": "general", "first_client": 0, "members": 100},
            {"name": "dev", "first_client": 99, "members": 40},
            {"name": "ops", "first_client": 140, "members": 10},
        ]
    }
)
updates = run(both).updates
from_99 = updates[(updates["direction"] == "down") & (updates["origin"] == 99)]
copies = from_99.groupby(["created_at", "target"]).size()
recipients = from_99.groupby("created_at")["target"].nunique()
assert len(recipients) > 0
assert (copies == 1).all() and (recipients == 99 + 39).all()
print(
    f"{len(recipients)} messages from client 99, each to {recipients.iloc[0]} clients "
    f"(99 others in general, 39 others in dev), one copy each"
)
