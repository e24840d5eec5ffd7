# %% [markdown]
# # 6. What if...? An interactive panel, faults, and a sweep with confidence intervals
#
# **What you will see.** A panel of sliders reruns a small scenario when you press its
# Run button: latency, loss, polling interval, number of clients, strategy. Then three things going
# wrong: a mobile user in a tunnel, a deploy that drops every connection at once, and a
# proxy that cuts idle connections. Last, a small sweep with confidence intervals, so you
# can tell a real difference from noise.

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
REPLICATIONS = 3 if QUICK else 10

# %%
import ipywidgets as widgets
import pandas as pd
from IPython.display import Markdown, display

from simulation import aggregate, load_scenario, plots, run, sweep
from simulation.course import check_prediction


def self_check(*args, **kwargs):
    """Print how a prediction compares with the run (simulation.course)."""
    print(check_prediction(*args, **kwargs))


base = load_scenario("../scenarios/default.toml").replace({"duration_s": 60.0, "clients": 10})


def rerun(latency_s=0.05, loss=0.0, interval_s=1.0, clients=10, strategy="short-polling"):
    changes = {
        "network.latency_s": latency_s,
        "network.loss": loss,
        "clients": clients,
        "strategy.kind": strategy,
    }
    if strategy == "short-polling":
        changes["strategy.interval_s"] = interval_s
    result = run(base.replace(changes))
    summary = result.summary()
    print(
        f"{strategy}: mean latency {summary['latency_mean_s'] * 1e3:.0f} ms, "
        f"p95 {summary['latency_p95_s'] * 1e3:.0f} ms, "
        f"{summary['bytes_per_delivery']:.0f} bytes per update, "
        f"{summary['retransmissions']} retransmissions"
    )
    plots.latency_cdf([result])  # shown by the inline backend, in the panel


# Run on demand: a 60 s simulation per slider step would lag behind the slider, and the
# panel stays empty until asked, so the notebook also runs unattended without it.
panel = widgets.interactive(
    rerun,
    {"manual": True, "manual_name": "Run"},
    latency_s=widgets.FloatSlider(value=0.05, min=0.005, max=0.3, step=0.005),
    loss=widgets.FloatSlider(value=0.0, min=0.0, max=0.2, step=0.01),
    interval_s=widgets.FloatSlider(value=1.0, min=0.1, max=5.0, step=0.1),
    clients=widgets.IntSlider(value=10, min=1, max=200),
    strategy=widgets.Dropdown(options=["short-polling", "long-polling", "sse", "websocket"]),
)
display(panel)

# %%
rerun()  # the panel's starting point, also shown when the notebook runs unattended

# %% [markdown]
# ## A tunnel
#
# The link is down from 60 s to 90 s (shaded). The connection has one retransmission
# timer, as TCP does (RFC 6298): it resends the first lost frame after 1, 2, 4, 8 and
# 16 s, so the first resend after the tunnel goes out a little after the link is back.
# Once that resend is acknowledged, one round trip later, every frame queued behind it is
# resent at once and they arrive together.
#
# **Predict first.** One update a second, on average, goes to the user in the tunnel,
# over a path of about 60 ms each way. How many updates are held while the link is down?
# And how many seconds after the tunnel's end do they arrive?

# %% tags=["prediction"]
predicted_held = None  # a number
predicted_resume_s = None

# %%
tunnel = run(load_scenario("../scenarios/tunnel.toml"))
tunnel.summary()[["latency_mean_s", "latency_max_s", "retransmissions", "recovery_max_s"]]

# %%
(outage,) = tunnel.scenario.faults.outages
tunnel_start, tunnel_end = outage.start_s, outage.end_s
axes = plots.time_series(tunnel, bin_s=2.0)
axes[2].text(tunnel_start + 1, axes[2].get_ylim()[1] * 0.9, "tunnel", va="top")
for panel in axes:
    panel.axvspan(tunnel_start, tunnel_end, color="0.6", alpha=0.3, linewidth=0)

# %%
deliveries = tunnel.deliveries
held = deliveries[deliveries["created_at"].between(tunnel_start, tunnel_end)]
first, last = held["delivered_at"].min(), held["delivered_at"].max()
assert first >= tunnel_end  # nothing crosses the tunnel
assert last - first < 1.0  # they arrive together, not one timer at a time
display(
    Markdown(
        f"Of the {len(held)} updates created in the tunnel, none arrives before its end. "
        f"They all arrive together, between {first:.2f} s and {last:.2f} s: "
        f"{first - tunnel_end:.2f} s after the link came back, and within "
        f"{(last - first) * 1e3:.0f} ms of each other, the spike in the chart."
    )
)

# %%
self_check("updates held in the tunnel", predicted_held, len(held), tolerance=0.2)
self_check("resumed after the tunnel", predicted_resume_s, first - tunnel_end, "s", 0.3)
# the worked answer below, checked: the first frame lost, and its timer's schedule
transfers = tunnel.transfers
first_lost = transfers.loc[transfers["lost"], "sent_at"].min()
resends = first_lost + pd.Series([1, 1 + 2, 1 + 2 + 4, 1 + 2 + 4 + 8, 1 + 2 + 4 + 8 + 16])
assert tunnel_start <= first_lost < tunnel_start + 1 and resends.iloc[-2] < tunnel_end
assert tunnel_end < resends.iloc[-1] < first < resends.iloc[-1] + 0.5
assert abs(len(held) / (tunnel.scenario.workload.rate_per_s * 30) - 1) < 0.2
print(
    f"first frame lost at {first_lost:.2f} s; resends at "
    + ", ".join(f"{t:.2f}" for t in resends)
    + f" s; the held updates arrive from {first:.2f} s"
)

# %% [markdown] tags=["answer"]
# **Answer.** **About 30 updates, arriving a little over 1 s after the tunnel.** At one
# update a second, 30 s of tunnel hold about 30 (a Poisson count: the run's is printed
# above). The first frame sent into the tunnel is lost, and its timer resends it after
# 1, 2, 4, 8 and 16 s: 31 s after that first loss, so the resend that gets through goes
# out about 1 s after the tunnel ends (the line above prints the schedule). One round
# trip later its acknowledgement is back, every frame queued behind it is resent at
# once, and they arrive one trip after that. A shorter wait would need a shorter
# back-off: exercise 2.

# %% [markdown]
# ## One lost packet: an RTT for a busy stream, a second for an idle one
#
# When a segment is lost, TCP learns of it in one of two ways. If more segments follow,
# their duplicate acknowledgements tell the sender after about one round trip, and it
# resends at once (fast retransmit, RFC 5681). If nothing follows, only the
# retransmission timer is left, and it waits at least a second (RFC 6298). The same 1%
# loss therefore costs a busy WebSocket stream far less than a message sent now and then.

# %%
lossy = load_scenario("../scenarios/default-websocket.toml").replace(
    {"network.loss": 0.01, "clients": 10, "duration_s": 60.0}
)
busy = run(lossy.replace({"workload.rate_per_s": 50.0})).summary()
sparse = run(lossy.replace({"workload.rate_per_s": 0.5, "duration_s": 300.0})).summary()
stream_table = pd.DataFrame({"busy stream (50/s)": busy, "now and then (1 per 2 s)": sparse}).loc[
    ["latency_mean_s", "latency_p99_s", "retransmissions"]
]
assert busy["latency_p99_s"] < 0.5 < sparse["latency_p99_s"]
stream_table

# %% [markdown]
# ## A deploy drops every connection
#
# All clients reconnect after their reconnection delay. Without jitter they all come
# back in the same second; with socket.io-client's ±50% they spread out.
#
# **Predict first.** Each client waits 1 s after the drop, then opens a new TCP
# connection and a WebSocket on it (two round trips of 100 ms). How long after the
# deploy is the last client back without jitter, in seconds? And with a wait of 1 s ±50%?

# %% tags=["prediction"]
predicted_recovery_no_jitter_s = None  # a number
predicted_recovery_jitter_s = None

# %%
clients = 500 if QUICK else 10_000
deploys = [
    run(load_scenario(f"../scenarios/{name}.toml").replace({"clients": clients}))
    for name in ["deploy-10k", "deploy-10k-no-jitter"]
]
columns = ["reconnects", "reconnect_storm_peak_per_s", "recovery_max_s", "missed_updates"]
storm = pd.DataFrame({r.scenario.name: r.summary()[columns] for r in deploys})
# without jitter every client comes back in the same second; with it, fewer at once
assert storm.loc["reconnect_storm_peak_per_s", "deploy-10k-no-jitter"] == clients
assert storm.loc["reconnect_storm_peak_per_s", "deploy-10k"] < clients
storm

# %%
no_jitter = storm.loc["recovery_max_s", "deploy-10k-no-jitter"]
jitter = storm.loc["recovery_max_s", "deploy-10k"]
self_check("last back, no jitter", predicted_recovery_no_jitter_s, no_jitter, "s")
self_check("last back, ±50% jitter", predicted_recovery_jitter_s, jitter, "s")
# the worked answer below, checked
assert abs(no_jitter - (1.0 + 2 * 0.1)) < 1e-6
assert 1.0 + 2 * 0.1 < jitter <= 1.5 + 2 * 0.1

# %% [markdown] tags=["answer"]
# **Answer.** **1.2 s without jitter, about 1.7 s with it.** Without jitter every client
# waits exactly 1 s, then needs TCP's round trip and the WebSocket Upgrade's, 2 × 100 ms:
# all of them are back at 1.2 s, all in the same second. With ±50% the waits spread
# uniformly between 0.5 and 1.5 s, so the unluckiest of many clients waits almost
# 1.5 s and is back just under 1.7 s. Jitter trades a later last reconnect for a storm
# spread over a second instead of a single burst.

# %% [markdown]
# ## A proxy cuts idle connections
#
# A long poll held for 40 s behind a proxy that closes connections silent for 30 s never
# reaches its timeout: every quiet hold ends with a broken connection and a new one.
#
# **Predict first.** Updates are rare (one per 100 s), so most holds are quiet. With
# the 40 s hold behind the 30 s proxy, how many long polls end with an empty response
# (the hold's timeout)?

# %% tags=["prediction"]
predicted_empty_responses = None  # a number

# %%
proxy = load_scenario("../scenarios/proxy-30s-long-polling-40s.toml").replace({"clients": 10})
fixed = proxy.replace({"strategy.hold_timeout_s": 25.0, "name": "hold 25 s"})
cut = pd.DataFrame(
    {
        r.scenario.name: r.summary()[["reconnects", "empty_responses", "handshake_bytes"]]
        for r in (run(proxy), run(fixed))
    }
)
# held 40 s: no hold ever times out (no empty response), connections break instead;
# held 25 s: quiet holds end with an empty response, and nothing breaks
assert cut.loc["empty_responses", proxy.name] == 0 and cut.loc["reconnects", proxy.name] > 0
assert cut.loc["reconnects", "hold 25 s"] == 0 and cut.loc["empty_responses", "hold 25 s"] > 0
cut

# %%
self_check(
    "empty responses, 40 s hold", predicted_empty_responses, cut.loc["empty_responses", proxy.name]
)

# %% [markdown] tags=["answer"]
# **Answer.** **None** (asserted above). A quiet hold would end with an empty response
# after 40 s, but the proxy cuts any connection silent for 30 s first, so no hold ever
# reaches its timeout: it ends with a broken connection, and the client pays a new TCP
# handshake (the `reconnects` and `handshake_bytes` rows). A hold shorter than the
# proxy's limit, 25 s, turns every cut into a cheap empty response on the same
# connection.

# %% [markdown]
# ## Is the difference real? A sweep with confidence intervals
#
# One run is one sample. Here each cell runs several times; replication r of every cell
# uses the same seed (common random numbers), and the bands are 95% confidence
# intervals of the mean.

# %%
runs = sweep(
    base,
    {
        "network.latency_s": [0.02, 0.05, 0.1, 0.2],
        "strategy.kind": ["short-polling", "long-polling", "websocket"],
    },
    replications=REPLICATIONS,
)
table = aggregate(runs, ["latency_mean_s"])
ax = plots.sweep_lines(table, "network.latency_s", "latency_mean_s")

# %% [markdown]
# ## Exercises
#
# 1. In the panel, raise the loss to 5%. Which strategy's p95 suffers most, and why?
#    (Hint: a busy stream recovers from a loss in about one round trip plus three
#    messages; a lone message waits for the 1 s retransmission timer.)
# 2. In the tunnel, set `transport.rto_max_s = 4`. How much sooner does service resume?
# 3. Make the deploy's jitter 0.2 and 1.0. How do the storm peak and the recovery time
#    trade off?
