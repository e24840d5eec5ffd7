# %% [markdown]
# # 8. HTTP/2 and HTTP/3: what changes for polling and push
#
# **What you will see.** The same strategies over HTTP/1.1, HTTP/2 and HTTP/3
# (`[transport] http = "1.1"`, `"2"` or `"3"`). You will count the round trips before the
# first poll is answered and before a WebSocket is ready, measure what header compression
# (HPACK, QPACK) does to polling's bytes, watch HTTP/2 free a Server-Sent Events tab from
# the six-connection limit, and take apart what HTTP/3 gains on a lossy mobile link: the
# head-of-line blocking it removes, and the faster retransmission timer it brings along.
# Times are in milliseconds or seconds as labelled, sizes in bytes.

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
DURATION_S = 60.0 if QUICK else 120.0
LOSSY_DURATION_S = 30.0 if QUICK else 60.0  # section 4, per replication
REPLICATIONS = 2 if QUICK else 6

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import Markdown, display

from simulation import analytic, load_scenario, parse_scenario, plots, run
from simulation.course import check_prediction
from simulation.metrics import byte_breakdown
from simulation.protocols.kinds import TRANSPORT_HANDSHAKE_KINDS
from simulation.sweep.stats import mean_half_width
from simulation.transport.connection import QUIC_MAX_ACK_DELAY_S


def self_check(*args, **kwargs):
    """Print how a prediction compares with the run (simulation.course)."""
    print(check_prediction(*args, **kwargs))


# %% [markdown]
# ## 1. Set-up round trips per protocol
#
# One client connects at t = 0 over a path of L = 50 ms each way, constant, on a link so
# fast that sending takes no time: every step of a handshake then costs exactly one
# round trip, RTT = 2L = 100 ms. It polls at once (and once a second after that) in one
# run, and opens a WebSocket in another.
#
# * **HTTP/1.1 and HTTP/2** run over TCP, and TLS on top: TCP's SYN and SYN-ACK, then
#   TLS's handshake (two round trips for TLS 1.2, one for TLS 1.3), then the request.
#   HTTP/2 also exchanges a connection preface and SETTINGS frames, which ride along
#   with the TLS flights. Without TLS, HTTP/2 is "h2c" (browsers do not speak it).
# * **HTTP/3** runs over QUIC, whose handshake *is* TLS 1.3's: one round trip, then the
#   request. A client returning to a server it knows can send its request in the very
#   first packet (**0-RTT**, `quic_0rtt = true`).
#
# A WebSocket needs one more exchange after set-up: the HTTP/1.1 `Upgrade` request and
# its 101 response, or, on HTTP/2 and HTTP/3, an extended `CONNECT` request and its 200.
#
# **Predict first.** How many round trips after t = 0 is the first poll answered over
# HTTP/2 with TLS 1.3? And over HTTP/3 on a first visit (no 0-RTT)?

# %% tags=["prediction"]
predicted_h2_round_trips = None  # a whole number
predicted_h3_round_trips = None

# %%
L = 0.05  # one way, seconds
RTT = 2 * L
PROTOCOLS = {
    "HTTP/1.1, TLS 1.2": {"http": "1.1", "tls": "1.2"},
    "HTTP/1.1, TLS 1.3": {"http": "1.1", "tls": "1.3"},
    "HTTP/2, h2c (no TLS)": {"http": "2", "tls": "none"},
    "HTTP/2, TLS 1.3": {"http": "2", "tls": "1.3"},
    "HTTP/3, 1-RTT": {"http": "3", "tls": "1.3"},
    "HTTP/3, 0-RTT": {"http": "3", "tls": "1.3", "quic_0rtt": True},
}


def first_contact(kind, transport):
    """One client on a 50 ms path with no sending time, from t = 0."""
    strategy = {"kind": kind}
    if kind == "short-polling":
        strategy["phase_s"] = 0.0  # the first poll at once
    return run(
        parse_scenario(
            {
                "name": kind,
                "duration_s": 2.0,
                "warmup_s": 0.0,
                "clients": 1,
                "network": {"latency_s": L, "bandwidth_bps": 1e15},
                "strategy": strategy,
                "transport": transport,
                "workload": {"kind": "periodic", "rate_per_s": 1.0},
            },
            source="notebook 08",
        )
    )


def derived_round_trips(transport, websocket=False):
    """Handshake round trips, then one for the request (a poll, an Upgrade or a CONNECT)
    and its answer. An extended CONNECT waits for the server's SETTINGS (RFC 8441): on
    h2c they come only in answer to the client's preface, one round trip more."""
    if transport["http"] == "3":  # QUIC carries TLS 1.3: one round trip, none with 0-RTT
        handshake = 0 if transport.get("quic_0rtt") else 1
    else:  # TCP (1), then TLS (0, 1 or 2)
        handshake = analytic.setup_round_trips(transport["tls"])
    h2c = transport["http"] == "2" and transport["tls"] == "none"
    return handshake + 1 + (1 if websocket and h2c else 0)


rows, contact = {}, {}
for label, transport in PROTOCOLS.items():
    polling = contact[label] = first_contact("short-polling", transport)
    t = polling.transfers
    answered_s = t.loc[t["kind"] == "poll-response", "received_at"].min()
    websocket = first_contact("websocket", transport)
    ready_s = websocket.connections["ready_at"].iloc[0]
    rows[label] = {
        "round trips, poll (derived)": derived_round_trips(transport),
        "first poll answered (ms)": answered_s * 1e3,
        "round trips, WebSocket (derived)": derived_round_trips(transport, websocket=True),
        "WebSocket ready (ms)": ready_s * 1e3,
        "set-up bytes, both ways": polling.summary()["handshake_bytes"],
    }
setup = pd.DataFrame(rows).T
for column, derived in [
    ("first poll answered (ms)", "round trips, poll (derived)"),
    ("WebSocket ready (ms)", "round trips, WebSocket (derived)"),
]:  # exact, to rounding
    measured_trips = setup[column] / (RTT * 1e3)
    assert np.allclose(measured_trips, setup[derived], rtol=0, atol=1e-6)
setup.round(1)

# %%
trips = setup["first poll answered (ms)"] / (RTT * 1e3)
self_check("HTTP/2, TLS 1.3", predicted_h2_round_trips, trips["HTTP/2, TLS 1.3"], absolute=0.5)
self_check("HTTP/3, first visit", predicted_h3_round_trips, trips["HTTP/3, 1-RTT"], absolute=0.5)
# the worked answer below, checked
assert round(trips["HTTP/2, TLS 1.3"]) == round(trips["HTTP/1.1, TLS 1.3"]) == 3
assert round(trips["HTTP/3, 1-RTT"]) == 2 and round(trips["HTTP/3, 0-RTT"]) == 1
assert round(trips["HTTP/1.1, TLS 1.2"]) == 4 and round(trips["HTTP/2, h2c (no TLS)"]) == 2
h3_bytes = setup.loc["HTTP/3, 1-RTT", "set-up bytes, both ways"]
h2_bytes = setup.loc["HTTP/2, TLS 1.3", "set-up bytes, both ways"]
assert h3_bytes > 1.4 * h2_bytes  # "half as many again"
quic = contact["HTTP/3, 1-RTT"]
initial = quic.transfers.query("kind == 'quic-initial'")["overhead_bytes"]
assert (initial == 1200).all()  # the client's first packet, padded
assert quic.scenario.transport.tls_certificate_bytes == 2540  # exercise 1
print(f"set-up bytes: HTTP/2 with TLS 1.3 {h2_bytes:,.0f}, HTTP/3 {h3_bytes:,.0f}")

# %% [markdown] jupyter={"source_hidden": true} tags=["answer"]
# **Answer.** HTTP/2 with TLS 1.3: **3 round trips**, the same as HTTP/1.1: TCP (1), TLS
# 1.3 (1), the request (1). HTTP/2's preface and SETTINGS travel with the handshake
# flights and cost no round trip of their own, but HTTP/2 saves none either: what it
# saves comes later, when six requests share one connection instead of opening six.
# HTTP/3: **2 round trips**. QUIC does the transport's and TLS's handshakes in one
# exchange, then the request. A returning client with 0-RTT sends its request with its
# first packet: 1 round trip, the least any request can take. (0-RTT data can be
# replayed by an attacker, so servers accept it only for requests that are safe to
# repeat, such as a poll's GET.)
#
# QUIC costs bytes instead: the client pads its first packet to 1,200 bytes, so that
# the server may answer with up to three times as much before it knows the client's
# address is real (an anti-amplification limit), and its set-up is half as many bytes
# again as TCP and TLS 1.3's (printed above).
#
# One row takes longer for the WebSocket than for the poll: h2c. RFC 8441 makes the
# client wait for the server's SETTINGS, which announce that extended `CONNECT` is
# allowed. Over TLS they come with the server's handshake flight, in time; on h2c the
# server sends them in answer to the client's preface, so they reach the client 2 round
# trips in, and the WebSocket is ready after 3, one more than the poll.

# %% [markdown]
# The same numbers as bars. The grey lines are whole round trips.

# %%
fig, ax = plt.subplots(figsize=(8, 4.5), layout="constrained")
positions = np.arange(len(setup))
ax.bar(positions - 0.2, setup["first poll answered (ms)"], 0.4, label="first poll answered")
ax.bar(positions + 0.2, setup["WebSocket ready (ms)"], 0.4, label="WebSocket ready")
ax.set_xticks(positions, setup.index, rotation=20, ha="right")
ax.set_ylabel("time after the client starts (ms)")
ax.set_title(f"Set-up on a {L * 1e3:.0f} ms path (one round trip = {RTT * 1e3:.0f} ms)")
for k in range(1, 5):
    ax.axhline(k * RTT * 1e3, color="0.6", linewidth=0.8, zorder=0)
right = ax.secondary_yaxis(
    "right", functions=(lambda ms: ms / (RTT * 1e3), lambda n: n * RTT * 1e3)
)
right.set_ylabel("round trips")
ax.legend(loc="upper right")
plt.show()

# %% [markdown]
# ## 2. Polling's header bytes on HTTP/1.1, 2 and 3
#
# `polling-http2.toml` is notebook 00's polling (20 clients poll once a second, two
# updates a second, 50 ms each way) over TLS 1.3 on HTTP/2. The request's headers are
# 700 bytes and the response's 300 as HTTP/1.1 text, on every version: a desktop
# browser's real header list, padded with a cookie to that size. HTTP/1.1 sends all of
# it with every poll. HTTP/2 compresses it with **HPACK** and HTTP/3 with **QPACK**:
# each connection keeps a table of the header lines it has sent (4,096 bytes, the
# `header_table_size`), and a line already in the table costs a byte or two. Below,
# polling on the three versions, and WebSocket push over TLS 1.3 for comparison.
#
# **Predict first.** On HTTP/1.1 polling costs about 745 bytes per delivered update here.
# How many bytes per delivered update on HTTP/2? And what mean latency, in milliseconds
# (it is about 545 ms on HTTP/1.1)?

# %% tags=["prediction"]
predicted_h2_bytes = None  # bytes per delivered update
predicted_h2_latency_ms = None

# %%
polling = load_scenario("../scenarios/polling-http2.toml").replace({"duration_s": DURATION_S})
print(polling.description)
assert (polling.http.request_header_bytes, polling.http.response_header_bytes) == (700, 300)
assert polling.transport.header_table_size == 4096 and polling.strategy.interval_s == 1.0
runs = {}
for version in ["1.1", "2", "3"]:
    name = f"polling, HTTP/{version}"
    runs[name] = run(polling.replace({"transport.http": version, "name": name}))
runs["WebSocket, HTTP/1.1"] = run(
    polling.replace(
        {"transport.http": "1.1", "strategy.kind": "websocket", "name": "WebSocket, HTTP/1.1"}
    )
)


def acknowledgement_bytes(transfers):
    """Wire bytes of QUIC's ACK-only packets and QPACK's decoder instructions."""
    kinds = transfers["kind"].astype(str)
    acks = transfers[kinds.isin(["quic-ack-only", "qpack-decoder"])]
    return int(acks[["payload_bytes", "overhead_bytes", "transport_bytes"]].sum().sum())


rows = {}
for name, result in runs.items():
    s = result.summary()
    window = result.transfers[result.transfers["sent_at"] >= polling.warmup_s]
    parts = byte_breakdown(window)
    measured_s = result.end_s - polling.warmup_s
    rows[name] = {
        "mean latency (ms)": s["latency_mean_s"] * 1e3,
        "requests per second": s["requests"] / measured_s,
        "bytes per delivered update": s["bytes_per_delivery"],
        "of which headers and framing": parts["headers and framing"] / s["deliveries"],
        "of which IP/TCP/TLS": parts["IP/TCP/TLS"] / s["deliveries"],
        "headers and framing (% of bytes)": 100 * parts["headers and framing"] / s["wire_bytes"],
        # HTTP/3 only: packets of their own that acknowledge packets and header sections
        "of which QUIC ACKs and QPACK acknowledgements": acknowledgement_bytes(window)
        / s["deliveries"],
    }
header_table = pd.DataFrame(rows).T
header_table.round(1)

# %% [markdown]
# The first request on a connection fills the table; every later one refers to it. The
# bytes of client 0's poll requests and responses, as each version framed them (headers
# and frame headers, without the payload or IP/TCP/TLS). Responses stay a little dearer
# than requests: their `date` changes once a second and their `content-length` with the
# body, and each new value is a literal. Every new `date` also goes into the 4,096-byte
# table, so about once a minute the oldest entries, the padding cookie among them, are
# evicted, and one response pays for the whole list again (past the figure's 12 polls).

# %%
first_vs_rest = {}
per_poll = {}
for version in ["1.1", "2", "3"]:
    t = runs[f"polling, HTTP/{version}"].transfers
    mine = t[(t["client"] == 0) & (t["attempt"] == 0)]
    requests = mine.loc[mine["kind"] == "poll-request", "overhead_bytes"].to_numpy()
    responses = mine.loc[mine["kind"] == "poll-response", "overhead_bytes"].to_numpy()
    per_poll[f"HTTP/{version}"] = (requests, responses)
    first_vs_rest[f"HTTP/{version}"] = {
        "first request": requests[0],
        "later requests (median)": np.median(requests[1:]),
        "first response": responses[0],
        "later responses (median)": np.median(responses[1:]),
    }
first_vs_rest = pd.DataFrame(first_vs_rest).T
first_vs_rest

# %%
fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5), layout="constrained")
shown_polls = 12
for version, (requests, responses) in per_poll.items():
    (line,) = left.plot(
        np.arange(1, shown_polls + 1),
        requests[:shown_polls],
        marker="o",
        label=f"{version} request",
    )
    left.plot(
        np.arange(1, shown_polls + 1),
        responses[:shown_polls],
        marker="s",
        linestyle="--",
        color=line.get_color(),
        label=f"{version} response",
    )
left.set_yscale("log")
ticks = [20, 50, 100, 200, 500, 700]
left.set_yticks(ticks, [str(tick) for tick in ticks])
left.minorticks_off()
left.set_xlabel("poll number on client 0's connection")
left.set_ylabel("headers and framing per message (bytes, log scale)")
left.set_title("The table fills on the first poll")
left.grid(True, alpha=0.3)
left.legend(fontsize="small", ncols=3, loc="upper center", bbox_to_anchor=(0.5, -0.15))
plots.bytes_breakdown(runs.values(), ax=right)
right.set_xticks(range(len(runs)), list(runs), rotation=15, ha="right")
right.set_title("Bytes per delivered update, after the warm-up")
plt.show()

# %%
h1, h2, h3 = (header_table.loc[f"polling, HTTP/{v}"] for v in ["1.1", "2", "3"])
ws = header_table.loc["WebSocket, HTTP/1.1"]
self_check("bytes on HTTP/2", predicted_h2_bytes, h2["bytes per delivered update"], "bytes")
self_check("latency on HTTP/2", predicted_h2_latency_ms, h2["mean latency (ms)"], "ms")
# the worked answer below, checked
assert abs(h1["bytes per delivered update"] - 745) < 0.05 * 745  # "about 745" above
assert abs(h1["mean latency (ms)"] - 545) < 0.05 * 545
assert h2["mean latency (ms)"] == h1["mean latency (ms)"] == h3["mean latency (ms)"]
assert first_vs_rest.loc["HTTP/2", "first request"] == 474
assert first_vs_rest.loc["HTTP/2", "later requests (median)"] == 25
assert first_vs_rest.loc["HTTP/3", "later requests (median)"] == 20
assert 0.35 < h2["bytes per delivered update"] / h1["bytes per delivered update"] < 0.45
assert 1.05 < h2["bytes per delivered update"] / ws["bytes per delivered update"] < 1.2
assert 60 < h1["headers and framing (% of bytes)"] < 70
assert 10 < h2["headers and framing (% of bytes)"] < 15
assert abs(h2["requests per second"] - 20) < 0.5 and ws["requests per second"] == 0
assert abs(h2["bytes per delivered update"] - 300) < 15 and h2["mean latency (ms)"] > 500
assert 20 < h2["bytes per delivered update"] - ws["bytes per delivered update"] < 60
# HTTP/3: QPACK compresses about as well, its acknowledgements make up the difference
acks_h3 = h3["of which QUIC ACKs and QPACK acknowledgements"]
assert h2["of which QUIC ACKs and QPACK acknowledgements"] == 0
assert abs(h3["headers and framing (% of bytes)"] - h2["headers and framing (% of bytes)"]) < 5
assert 0.8 < (h3["bytes per delivered update"] - h2["bytes per delivered update"]) / acks_h3 < 1.2
# TCP's bare ACKs, which rtsim does not count: one 40-byte packet per response received
h2_responses = runs["polling, HTTP/2"].summary()["responses"]
tcp_acks = 40 * h2_responses / runs["polling, HTTP/2"].summary()["deliveries"]
assert tcp_acks < 0.5 * acks_h3
h2_polls = runs["polling, HTTP/2"].transfers.query("kind.str.startswith('poll-')")
# IP/TCP and a TLS record, 62 bytes a message, so 124 a poll (more for a response that
# needs two segments)
assert (h2_polls["transport_bytes"] == 62).mean() > 0.99
big = [i for i, size in enumerate(per_poll["HTTP/2"][1]) if size > 100]
assert big[0] == 0 and len(big) > 1 and big[1] > 40  # the first, then after ~50 dates
assert max(per_poll["HTTP/2"][1][1 : big[1]]) < 60  # in between: a new date or length
display(
    Markdown(
        f"HTTP/2 polling: **{h2['bytes per delivered update']:.0f} bytes** per delivered "
        f"update, {h2['bytes per delivered update'] / h1['bytes per delivered update']:.0%} "
        f"of HTTP/1.1's {h1['bytes per delivered update']:.0f}; HTTP/3 "
        f"{h3['bytes per delivered update']:.0f}; WebSocket "
        f"{ws['bytes per delivered update']:.0f}. Headers and framing were "
        f"{h1['headers and framing (% of bytes)']:.0f}% of polling's bytes on HTTP/1.1 "
        f"and {h2['headers and framing (% of bytes)']:.0f}% on HTTP/2. Mean latency: "
        f"{h1['mean latency (ms)']:.0f} ms on every version. HTTP/3's acknowledgement "
        f"packets: {acks_h3:.0f} bytes per update; TCP's bare ACKs, which rtsim leaves "
        f"out, would add about {tcp_acks:.0f} to HTTP/1.1's and HTTP/2's."
    )
)

# %% [markdown] jupyter={"source_hidden": true} tags=["answer"]
# **Answer.** **About 300 bytes**, some 40% of HTTP/1.1's, and **the same latency**,
# to the microsecond. On HTTP/1.1 the 1,000 bytes of headers of each poll were about
# two thirds of everything polling sent. HPACK turns the first request's 700 bytes of
# header text into a HEADERS frame of 474 bytes (static table entries and Huffman
# coding), and each later one into 25: the same lines, referred to by their index in
# the table. The response's `date`
# changes every second and its `content-length` with the updates it carries, so a
# response costs a few dozen bytes rather than a few. What is left of a poll is mostly
# the IP, TCP and TLS headers of its two messages, about 124 bytes, shared by the two
# updates an average poll collects.
#
# QPACK compresses about as well as HPACK, yet HTTP/3 sends more bytes per update than
# HTTP/2: its acknowledgements are packets of their own. QUIC acknowledges in UDP
# datagrams (about 60 bytes with their UDP and IP headers), and QPACK's decoder confirms
# every header section that used the dynamic table, once per request and once per
# response. TCP acknowledges too, with 40-byte packets when the receiver has nothing to
# send, but rtsim leaves TCP's bare ACKs out (`docs/model.md`): count them in (printed
# above) and HTTP/3 still costs more, by less.
#
# So does HTTP/2 make polling as cheap as WebSocket? **In bytes, nearly**: at two updates
# per poll, within a few tens of bytes per update (printed above). **In everything
# else, no.** The server still answers 20 requests a second for 20 clients, and
# WebSocket answers none; and an update still waits for the next poll, T/2 = 500 ms on
# average, plus L, on every version. Header compression makes each request cheaper, not
# fewer or sooner. And when updates are rare, most polls are empty and their bytes are
# shared by few updates (exercise 2).

# %% [markdown]
# ## 3. SSE freed from the six-connection limit
#
# An HTTP/1.1 browser opens at most six connections to one host. An SSE stream holds a
# connection for as long as it is open, so a user with six tabs open on the same site
# has used them all, and a seventh tab's stream (and its POSTs) wait forever.
# `sse-six-connections.toml` is that seventh tab (5 clients, 1 update a second, 0.5
# client messages a second). On HTTP/2 and HTTP/3 each tab's stream is a *stream* on
# the browser's one connection to the host, and a connection may carry 100 at once
# (`max_concurrent_streams`). Both runs below use TLS 1.3, as browsers require for
# HTTP/2.
#
# **Predict first.** With the same six other tabs, what fraction of this tab's updates
# arrives on HTTP/1.1, and on HTTP/2?

# %% tags=["prediction"]
predicted_h1_delivery_ratio = None  # a fraction, 0 to 1
predicted_h2_delivery_ratio = None

# %%
tabs = load_scenario("../scenarios/sse-six-connections.toml").replace({"transport.tls": "1.3"})
print(tabs.description)
rows = {}
for version in ["1.1", "2", "3"]:
    s = run(tabs.replace({"transport.http": version})).summary()
    rows[f"HTTP/{version}"] = {
        "updates delivered": s["deliveries"],
        "updates expected": s["expected_deliveries"],
        "delivery ratio": s["delivery_ratio"],
        "client messages delivered": s["up_deliveries"],
        "client messages sent": s["up_messages"],
        "connections per client": s["peak_connections"] / tabs.clients,
        "mean latency (ms)": s["latency_mean_s"] * 1e3,
    }
six_tabs = pd.DataFrame(rows).T
six_tabs.round(2)

# %%
ratio = six_tabs["delivery ratio"]
self_check("HTTP/1.1", predicted_h1_delivery_ratio, ratio["HTTP/1.1"], absolute=0.05)
self_check("HTTP/2", predicted_h2_delivery_ratio, ratio["HTTP/2"], absolute=0.05)
# the worked answer below, checked
assert ratio["HTTP/1.1"] == 0 and six_tabs.loc["HTTP/1.1", "client messages delivered"] == 0
assert (ratio[["HTTP/2", "HTTP/3"]] == 1).all()
assert (six_tabs.loc[["HTTP/2", "HTTP/3"], "client messages delivered"] == 120).all()
assert (six_tabs["client messages sent"] == 120).all()
assert six_tabs.loc["HTTP/1.1", "connections per client"] == 6
assert (six_tabs.loc[["HTTP/2", "HTTP/3"], "connections per client"] == 1).all()
assert (six_tabs.loc[["HTTP/2", "HTTP/3"], "mean latency (ms)"].round(6) == 50).all()
assert tabs.transport.max_concurrent_streams == 100 and tabs.strategy.other_tabs == 6

# %% [markdown] jupyter={"source_hidden": true} tags=["answer"]
# **Answer.** HTTP/1.1: **0**. The six other tabs' streams hold all six connections, so
# this tab's stream request never leaves the browser, and neither do its POSTs: not one
# of the 120 client messages arrives. HTTP/2: **1**, every update and every client
# message, after one one-way trip (50 ms). Each client opens one connection, and the
# seven streams and the POSTs are streams on it, far below the limit of 100. HTTP/3 is
# the same. The limit has moved, not gone: a client with more than 100 streams open
# would wait again, for a stream this time (`transport.max_concurrent_streams`).

# %% [markdown]
# ## 4. Head-of-line blocking on a lossy mobile link: TCP against QUIC
#
# `polling-lossy-http3.toml`: 20 clients poll every 200 ms over a mobile link (50 ms each
# way, 2 Mbit/s) that loses 3% of packets, five updates a second. Every poll and every
# response is its own stream on the client's one connection.
#
# * On **HTTP/2** the streams share one TCP byte stream. TCP hands data to the receiver
#   in order, so when a packet is lost every message behind it waits, whatever stream
#   it belongs to, until the lost one is resent and arrives: **head-of-line blocking**.
# * On **HTTP/3** QUIC keeps order within each stream only. A lost packet holds back its
#   own stream; a poll's response never waits for another poll's.
#
# `result.transfers` records, for each message, `received_at` (its last bit reached the
# receiver) and `handed_at` (the receiver's transport handed it on). A message that had
# to wait behind a lost one has `handed_at > received_at`: that difference is its
# **hold-back**.
#
# **Predict first.** What percentage of the messages that arrive are held back on
# HTTP/2? And on HTTP/3?

# %% tags=["prediction"]
predicted_h2_held_percent = None  # percent of the messages that arrive
predicted_h3_held_percent = None

# %%
lossy = load_scenario("../scenarios/polling-lossy-http3.toml").replace(
    {"duration_s": LOSSY_DURATION_S}
)
print(lossy.description)
network = lossy.network
assert (lossy.clients, lossy.strategy.interval_s, lossy.workload.rate_per_s) == (20, 0.2, 5.0)
assert (network.latency_s.mean(), network.bandwidth_bps, network.loss) == (0.05, 2e6, 0.03)
CONFIGURATIONS = {  # what each run changes in the scenario
    "HTTP/2, RTO floor 1 s": {"transport.http": "2"},
    "HTTP/2, RTO floor 0.2 s": {"transport.http": "2", "transport.rto_min_s": 0.2},
    "HTTP/2, no RTO floor": {"transport.http": "2", "transport.rto_min_s": 0.001},
    "HTTP/3": {"transport.http": "3"},
}
warm = lossy.warmup_s


def measure(result):
    """Latency, hold-back and resend delays of one run, after the warm-up."""
    s, t = result.summary(), result.transfers
    # the messages a connection hands on (not its own: handshakes, QUIC's ACK-only packets)
    handed_on = ~t["kind"].isin(TRANSPORT_HANDSHAKE_KINDS)
    data = t[handed_on & (t["connection_id"] >= 0) & (t["sent_at"] >= warm)]
    arrived = data[data["received_at"].notna()]
    hold = arrived["handed_at"] - arrived["received_at"]
    held = hold[hold > 1e-9]
    # each lost first transmission, and when it was sent again
    key = ["connection_id", "direction", "seq"]
    first = data[data["attempt"] == 0].set_index(key)["sent_at"]
    again = data[data["attempt"] == 1].set_index(key)["sent_at"]
    resend = (again - first.reindex(again.index)).dropna()
    d = result.deliveries.merge(t[["message_id", "received_at", "handed_at"]], on="message_id")
    d = d[d["created_at"] >= warm]
    return {
        "mean latency (ms)": s["latency_mean_s"] * 1e3,
        "99th percentile (ms)": s["latency_p99_s"] * 1e3,
        "held back (% of arrived)": 100 * len(held) / len(arrived),
        "mean hold-back of those (ms)": held.mean() * 1e3 if len(held) else 0.0,
        "mean wait for a resend (ms)": resend.mean() * 1e3,
        "hold-back per delivered update (ms)": (d["handed_at"] - d["received_at"]).mean() * 1e3,
    }


rows, latencies = [], {}
for replication in range(REPLICATIONS):
    # the same seed without loss: what latency would be if nothing were lost
    lossless = {
        version: run(
            lossy.replace({"transport.http": version, "network.loss": 0.0}), seed=replication
        )
        for version in ["2", "3"]
    }
    assert all(r.summary()["retransmissions"] == 0 for r in lossless.values())
    for name, changes in CONFIGURATIONS.items():
        result = run(lossy.replace(changes), seed=replication)
        row = {"configuration": name, "replication": replication, **measure(result)}
        base_ms = lossless[changes["transport.http"]].summary()["latency_mean_s"] * 1e3
        row["extra mean latency over no loss (ms)"] = row["mean latency (ms)"] - base_ms
        rows.append(row)
        if replication == 0:
            latencies[name] = result.deliveries.query("created_at >= @warm")["latency_s"]
hol_runs = pd.DataFrame(rows)


def with_ci(runs, columns):
    """Mean and 95% CI half-width over the replications, per configuration."""
    table = {}
    for name in CONFIGURATIONS:
        cell = runs[runs["configuration"] == name]
        for column in columns:
            mean, half = mean_half_width(cell[column])
            table.setdefault(name, {})[column] = mean
            table[name][f"± (95% CI)  {column}"] = half
    return pd.DataFrame(table).T


held_columns = ["held back (% of arrived)", "mean hold-back of those (ms)"]
hol = with_ci(hol_runs, held_columns)
print(f"{REPLICATIONS} replications of {LOSSY_DURATION_S:.0f} s each")
hol.loc[["HTTP/2, RTO floor 1 s", "HTTP/3"]].round(2)

# %%
held_pct = hol["held back (% of arrived)"]
self_check("held back on HTTP/2", predicted_h2_held_percent, held_pct.iloc[0], "%", absolute=3)
self_check("held back on HTTP/3", predicted_h3_held_percent, held_pct["HTTP/3"], "%", absolute=0.5)
# the worked answer below, checked
assert held_pct["HTTP/3"] == 0
assert 5 < held_pct["HTTP/2, RTO floor 1 s"] < 13
assert 250 < hol.loc["HTTP/2, RTO floor 1 s", "mean hold-back of those (ms)"] < 450

# %% [markdown] jupyter={"source_hidden": true} tags=["answer"]
# **Answer.** On HTTP/2, **about 9%** (the table above, with its confidence interval):
# three times the loss rate. Each lost packet holds back every message that arrives
# after it on that connection until it is resent, and here that takes about 0.7 s (see
# below), long enough for three or four more messages to arrive and wait. Those waited a
# third of a second on average. On HTTP/3: **0%**, exactly. Each poll and each response
# is alone on its stream, so nothing is ever waiting behind another stream's packet.
# Only the lost messages themselves are late.

# %% [markdown]
# ### Two effects, not one
#
# HTTP/3 changes two things at once. It removes head-of-line blocking across streams,
# and it brings QUIC's loss recovery. TCP resends a lost segment when three later ones
# have been acknowledged (fast retransmit) or when its **retransmission timeout** (RTO)
# expires; RFC 6298 puts a floor of **1 s** under the RTO, and Linux uses 0.2 s.
# QUIC's probe timeout has no such floor: it is the same estimate from the measured
# round trips plus the peer's maximum ACK delay, **25 ms** (RFC 9002 section 6.2.1). So
# the four runs above differ one step at a time:
#
# 1. HTTP/2 with RFC 6298's 1 s floor (rtsim's default, `transport.rto_min_s = 1`);
# 2. HTTP/2 with Linux's 0.2 s: a fairer TCP;
# 3. HTTP/2 with no floor (`rto_min_s = 0.001`): not a real TCP, but a TCP whose timer
#    is as quick as QUIC's (25 ms quicker, even), so that what still separates it from
#    HTTP/3 is head-of-line blocking, and those 25 ms in TCP's favour;
# 4. HTTP/3.
#
# Each run is compared with the same seed and no loss, so the *extra* mean latency is
# what loss costs.
#
# **Predict first.** With Linux's 0.2 s floor, how many milliseconds of extra mean
# latency does HTTP/2 pay for the loss, against HTTP/3's?

# %% tags=["prediction"]
predicted_linux_extra_ms = None  # milliseconds, HTTP/2 with the 0.2 s floor

# %%
columns = [
    "extra mean latency over no loss (ms)",
    "hold-back per delivered update (ms)",
    "mean wait for a resend (ms)",
    "99th percentile (ms)",
    "held back (% of arrived)",
]
effects = with_ci(hol_runs, columns)
effects[[c for c in effects.columns if not c.startswith("±")]].round(1)

# %%
fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5), layout="constrained")
extra = effects["extra mean latency over no loss (ms)"]
spread = effects["± (95% CI)  extra mean latency over no loss (ms)"]
positions = np.arange(len(effects))
left.bar(positions, extra, yerr=spread, capsize=4, color="tab:blue", label="extra mean latency")
hold_part = effects["hold-back per delivered update (ms)"]
left.bar(
    positions,
    hold_part,
    width=0.4,
    color="tab:orange",
    label="of which: held behind a lost message",
)
left.set_xticks(positions, [n.replace(", ", ",\n") for n in effects.index])
left.set_ylabel("extra mean latency over no loss (ms)")
left.set_title(f"What 3% loss costs (mean and 95% CI, {REPLICATIONS} runs)")
left.grid(True, axis="y", alpha=0.3)
left.legend(loc="upper right")
for name, latency in latencies.items():
    ordered = np.sort(latency.to_numpy()) * 1e3
    later = 1 - np.arange(1, len(ordered) + 1) / len(ordered)
    right.step(ordered, later, where="post", label=name)
right.set_yscale("log")
right.set_ylim(1e-3, 1)
right.set_xlim(0, 1500)
right.set_xlabel("delivery latency (ms)")
right.set_ylabel("fraction of updates delivered later (log scale)")
right.set_title("The tail of the latency distribution (one run each)")
right.grid(True, alpha=0.3)
right.legend(loc="upper right")
plt.show()

# %%
linux = effects.loc["HTTP/2, RTO floor 0.2 s"]
self_check(
    "HTTP/2 with Linux's floor",
    predicted_linux_extra_ms,
    linux["extra mean latency over no loss (ms)"],
    "ms",
    absolute=3,
)
rfc, quic_timer, h3 = (
    effects.loc[name] for name in ["HTTP/2, RTO floor 1 s", "HTTP/2, no RTO floor", "HTTP/3"]
)
col = "extra mean latency over no loss (ms)"
gain_ms = rfc[col] - h3[col]
timer_ms = rfc[col] - quic_timer[col]
hol_ms = quic_timer[col] - h3[col]
# the worked answer below, checked
assert 80 < gain_ms < 120 and timer_ms > 0.9 * gain_ms  # the timer: nearly all of it
assert abs(hol_ms) < 3 and 5 < linux[col] - h3[col] < 15
assert abs(linux[col] - 14) < 3 and abs(h3[col] - 7) < 2.5
assert 0.2 < rfc["hold-back per delivered update (ms)"] / rfc[col] < 0.4  # "a third"
assert lossy.transport.rto_min_s == 1.0 and QUIC_MAX_ACK_DELAY_S == 0.025
assert 20 < rfc["hold-back per delivered update (ms)"] < 40
assert quic_timer["hold-back per delivered update (ms)"] < 0.5
assert 600 < rfc["mean wait for a resend (ms)"] < 800
fast_retransmit_ms = 1e3 * analytic.fast_retransmit_delay_s(2 * 0.05, lossy.strategy.interval_s**-1)
assert abs(fast_retransmit_ms - 700) < 1e-6  # RTT + 3 / (5 a second)
assert abs(rfc["mean wait for a resend (ms)"] - fast_retransmit_ms) < 50
assert 180 < linux["mean wait for a resend (ms)"] < 230
assert 100 < h3["mean wait for a resend (ms)"] < 140
assert rfc["99th percentile (ms)"] > 1000 > 500 > linux["99th percentile (ms)"]
display(
    Markdown(
        f"HTTP/3 saves **{gain_ms:.0f} ms** of mean latency over HTTP/2 with RFC 6298's "
        f"timer. A TCP without the floor saves {timer_ms:.0f} ms of it; head-of-line "
        f"blocking alone accounts for {hol_ms:.1f} ms. With Linux's floor HTTP/2 pays "
        f"{linux[col]:.1f} ms for the loss, HTTP/3 {h3[col]:.1f} ms. A lost message waits "
        f"{rfc['mean wait for a resend (ms)']:.0f} ms for its resend with the 1 s floor, "
        f"{linux['mean wait for a resend (ms)']:.0f} ms with 0.2 s, and "
        f"{h3['mean wait for a resend (ms)']:.0f} ms on HTTP/3."
    )
)

# %% [markdown] jupyter={"source_hidden": true} tags=["answer"]
# **Answer.** **About 14 ms**, against about 7 ms for HTTP/3 (printed above). Most of
# HTTP/3's advantage over rtsim's default TCP is its **timer**, not its streams.
#
# With RFC 6298's floor, a lost response waits about 0.7 s to be resent: three more
# responses must arrive behind it for a fast retransmit, at five a second (0.6 s), and
# their acknowledgements must reach the server (a round trip after the lost one was
# sent: 0.1 s); the 1 s timer rarely fires first. During that
# wait every later message on the connection is held back: a third of HTTP/2's extra
# latency (the orange part) is updates waiting behind someone else's loss. Cut the
# timer and that part shrinks with it: with a 0.2 s floor the timer fires after 0.2 s,
# about when the next response arrives, so almost nothing is behind a loss; without a
# floor TCP recovers within about one round trip, as QUIC does, and the difference to
# HTTP/3, the blocking across streams (less QUIC's 25 ms), is within the noise.
#
# So head-of-line blocking costs in proportion to *how long* recovery takes and *how
# much traffic* is behind the loss. Light polling, a few messages a second per
# connection, has little behind each loss. The 99th percentile tells the same story:
# over a second with the 1 s floor, under half a second with Linux's. Real TCPs recover
# faster than this model's: Linux adds its 0.2 s to the smoothed round trip rather than
# using it as a floor, and resends a lone lost segment after about two round trips (tail
# loss probes), neither of which rtsim models (`docs/model.md`). QUIC's probe waits the
# peer's maximum ACK delay (25 ms) on top of the estimate, which is why HTTP/3's resends
# come a little after the floorless TCP's.

# %% [markdown]
# ## Exercises
#
# Worked answers are in `answers/08_http_versions_answers.ipynb`.
#
# 1. **A large certificate.** Before it has checked the client's address, a QUIC server
#    may send at most three times the 1,200 bytes it received. Raise
#    `transport.tls_certificate_bytes` (2,540 by default) until HTTP/3's first poll is
#    answered after 3 round trips instead of 2. At what size does that happen, and what
#    happens to HTTP/2 over TLS 1.3 with the same certificate?
# 2. **Rare updates.** Run section 2 again with `workload.rate_per_s = 0.1`. How many
#    bytes per delivered update does polling cost on HTTP/2 now, and WebSocket? Why does
#    header compression help so much less against WebSocket here?
# 3. **One stream for everything.** Run section 4's lossy link with `strategy.kind =
#    "sse"`, on HTTP/2 without an RTO floor and on HTTP/3. Does HTTP/3 still hold nothing
#    back? Why not?
