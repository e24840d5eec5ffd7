"""Server-Sent Events: the stream, reconnection with Last-Event-ID, history, keep-alives."""

import pytest

from simulation import run
from simulation.protocols import http, sse

from helpers import make_scenario

TICKS = {"kind": "periodic", "rate_per_s": 1.0, "start_s": 0.5, "payload_bytes": 100}


def kinds(result):
    return result.transfers["kind"].astype(str).tolist()


def test_stream_end_reconnect_and_replay_trace():
    scenario = make_scenario(
        clients=2,
        duration_s=2.7,
        network={"latency_s": 0.01},
        strategy={"kind": "sse", "max_stream_s": 1.0, "retry_s": 0.5},
        workload=TICKS,
    )
    result = run(scenario)
    for client in (0, 1):
        _check_stream_trace(result, client)
    summary = result.summary()
    assert summary["reconnects"] == 2
    assert summary["replayed_updates"] == 2
    assert summary["replay_lost_updates"] == 0


def _check_stream_trace(result, client):
    t = result.transfers
    t = t[t["client"] == client].reset_index(drop=True)
    assert t["kind"].astype(str).tolist() == [
        "tcp-syn",
        "tcp-syn-ack",
        "sse-request",  # 0.02
        "sse-response",  # 0.03: the stream is open
        "sse-event",  # update 0 at 0.5
        "sse-end",  # the server ends the stream at 0.03 + 1.0
        "sse-request",  # 1.04 + retry 0.5, on the kept-alive connection
        "sse-response",
        "sse-event",  # update 1 (1.5), missed while away: replayed
        "sse-event",  # update 2 at 2.5
        "sse-end",  # this stream too reaches max_stream_s, at 1.55 + 1.0
    ]
    assert t["sent_at"].tolist() == pytest.approx(
        [0.0, 0.01, 0.02, 0.03, 0.5, 1.03, 1.54, 1.55, 1.55, 2.5, 2.55]
    )
    # Last-Event-ID: 0 on the second request
    assert t["overhead_bytes"][6] == 700 + len("Last-Event-ID: 0\r\n")
    # "id: 0\ndata: <100 bytes>\n\n" in a chunk "72\r\n...\r\n" (114 = 0x72)
    fields = sse.event_overhead_bytes(event_id="0")
    assert fields == 14
    assert t["overhead_bytes"][4] == fields + http.chunk_overhead_bytes(100 + fields) == 20
    assert t["overhead_bytes"][5] == http.LAST_CHUNK_BYTES
    d = result.deliveries[result.deliveries["client"] == client]
    assert d["latency_s"].tolist() == pytest.approx([0.01, 0.06, 0.01])
    connections = result.connections
    assert (connections["client"] == client).sum() == 1  # the connection was kept alive


def test_updates_beyond_the_history_are_lost_and_counted():
    scenario = make_scenario(
        duration_s=4.2,
        network={"latency_s": 0.01},
        strategy={"kind": "sse", "max_stream_s": 1.0, "retry_s": 3.0, "history_size": 2},
        workload=TICKS,
    )
    result = run(scenario)
    # away from 1.04 to 4.05: updates 1, 2, 3 (1.5, 2.5, 3.5) missed; the history holds
    # the last two updates, 2 and 3, which are replayed; update 1 is lost
    assert result.deliveries["update_id"].tolist() == [0, 2, 3]
    summary = result.summary()
    assert summary["replayed_updates"] == 2
    assert summary["replay_lost_updates"] == 1
    assert summary["deliveries"] + summary["replay_lost_updates"] == summary["updates"]


def test_keep_alive_comments_stop_a_proxy_from_breaking_the_stream():
    def broken_streams(comment_interval_s):
        scenario = make_scenario(
            duration_s=30.0,
            network={"latency_s": 0.01},
            strategy={"kind": "sse", "comment_interval_s": comment_interval_s},
            transport={"idle_timeout_s": 5.0},
            workload={"kind": "periodic", "rate_per_s": 0.02, "start_s": 25.0},
        )
        result = run(scenario)
        closed = result.connections["close_reason"].astype(str)
        return (closed == "idle-timeout").sum(), result

    breaks, result = broken_streams(float("inf"))
    # silent after the response (0.04): closed 5 s later; the client retries 3 s later on a
    # new connection (ready at 8.08), closed again... The update at 25 s keeps the fourth
    # stream alive past the end.
    assert breaks == 3
    closed = result.connections["closed_at"].tolist()
    assert closed[:3] == pytest.approx([5.04, 13.08, 21.12])
    assert result.summary()["reconnects"] == breaks
    assert result.deliveries["update_id"].tolist() == [0]  # replayed or live, not lost
    breaks, result = broken_streams(2.0)
    assert breaks == 0
    assert "sse-comment" in kinds(result)
    assert result.summary()["reconnects"] == 0


def test_a_stream_holds_one_of_the_hosts_connections():
    scenario = make_scenario(
        duration_s=5.0,
        network={"latency_s": 0.01},
        strategy={"kind": "sse"},
        transport={"max_connections_per_host": 1},
        workload=TICKS,
    )
    result = run(scenario)
    assert result.summary()["peak_connections"] == 1
    assert result.deliveries["latency_s"].tolist() == pytest.approx([0.01] * 5)


def test_a_push_under_way_when_the_replay_sent_its_update_is_not_sent_again():
    """Update 1 (1.5) takes the server 0.3 s to push to each client; meanwhile they reconnect
    (1.55) with Last-Event-ID 0 and the replay sends it. The push, done at 1.8, sends
    nothing more."""
    scenario = make_scenario(
        clients=2,
        duration_s=2.7,
        network={"latency_s": 0.01},
        server={"push_time_s": 0.3, "push_fanout": "parallel"},
        strategy={"kind": "sse", "max_stream_s": 1.0, "retry_s": 0.5},
        workload=TICKS,
    )
    result = run(scenario)
    for client in (0, 1):
        d = result.deliveries[result.deliveries["client"] == client]
        assert d["update_id"].tolist() == [0, 1]
        assert d["delivered_at"].tolist() == pytest.approx([0.81, 1.56])  # pushed, replayed
    summary = result.summary()
    assert summary["replayed_updates"] == 2
    assert summary["duplicate_deliveries"] == 0


def test_replay_finds_the_missed_updates_among_the_ids_of_client_messages(tmp_path):
    """Client messages take ids from the same counter as updates: the messages at 0.1 and
    1.2 are ids 0 and 2, the updates at 0.5 and 1.5 ids 1 and 3. The stream ends at
    1.03; the client is back at 1.55 with Last-Event-ID 1, and gets update 3 replayed."""
    trace = tmp_path / "messages.csv"
    trace.write_text("time_s,client,payload_bytes\n0.1,0,10\n1.2,0,10\n")
    scenario = make_scenario(
        clients=1,
        duration_s=2.0,
        network={"latency_s": 0.01},
        strategy={"kind": "sse", "max_stream_s": 1.0, "retry_s": 0.5},
        workload={**TICKS, "up": {"kind": "trace", "trace_csv": str(trace)}},
    )
    result = run(scenario)
    down = result.deliveries[result.deliveries["direction"] == "down"]
    assert down["update_id"].tolist() == [1, 3]
    assert down["delivered_at"].tolist() == pytest.approx([0.51, 1.56])
    summary = result.summary()
    assert summary["replayed_updates"] == 1
    assert summary["replay_lost_updates"] == 0
