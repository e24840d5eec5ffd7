"""permessage-deflate (RFC 7692) on WebSocket and Socket.IO frames."""

from __future__ import annotations

import math

import pytest

from simulation import ScenarioError, run
from simulation.protocols import websocket as ws
from simulation.protocols.wire import deflate
from simulation.strategies.compression import json_update_text

from helpers import make_scenario

PAYLOAD = 300


def _run(kind="websocket", clients=1, **strategy):
    return run(
        make_scenario(
            clients=clients,
            duration_s=10.0,
            warmup_s=0.0,
            strategy={"kind": kind, **strategy},
            workload={"kind": "periodic", "rate_per_s": 2.0, "payload_bytes": PAYLOAD},
        )
    )


def _frames(result, kind="ws-frame"):
    transfers = result.transfers
    return transfers[transfers["kind"] == kind]


def test_a_ratio_shrinks_every_data_frame_and_its_header_follows():
    frames = _frames(_run(permessage_deflate=True, deflate_ratio=0.4))
    size = math.ceil(PAYLOAD * 0.4)
    assert set(frames["payload_bytes"]) == {size}
    assert set(frames["overhead_bytes"]) == {ws.frame_header_bytes(size, masked=False)}


@pytest.mark.parametrize("takeover", [True, False])
def test_real_compression_follows_zlib_on_the_built_in_corpus(takeover):
    frames = _frames(_run(permessage_deflate=True, deflate_context_takeover=takeover))
    compressor = deflate.Compressor(context_takeover=takeover)
    expected = [
        compressor.compressed_size(json_update_text(index, PAYLOAD))
        for index in range(1, len(frames) + 1)
    ]
    assert frames.sort_values("sent_at")["payload_bytes"].to_list() == expected
    if takeover:  # later messages refer to earlier ones: smaller than the first
        assert max(expected[5:]) < expected[0] * 0.6


def test_a_corpus_file_is_compressed_line_by_line(tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text('{"chat": "hello there"}\n\n{"chat": "general kenobi"}\n')
    frames = _frames(_run(permessage_deflate=True, deflate_corpus=str(corpus)))
    lines = [b'{"chat": "hello there"}', b'{"chat": "general kenobi"}']
    compressor = deflate.Compressor()
    expected = []
    for index in range(1, len(frames) + 1):
        line = lines[index % 2]
        expected.append(
            compressor.compressed_size((line * math.ceil(PAYLOAD / len(line)))[:PAYLOAD])
        )
    assert frames.sort_values("sent_at")["payload_bytes"].to_list() == expected


def test_the_server_accepts_the_extension_in_its_101():
    plain = _frames(_run(), "ws-upgrade-response")["overhead_bytes"].iloc[0]
    on = _frames(_run(permessage_deflate=True), "ws-upgrade-response")["overhead_bytes"].iloc[0]
    assert on - plain == len("Sec-WebSocket-Extensions: permessage-deflate\r\n")


@pytest.mark.parametrize("version", ["2", "3"])
def test_on_http2_and_3_the_200_names_the_extension_only_when_the_server_accepts_it(version):
    """Its one HEADERS frame carries ``sec-websocket-extensions`` with the extension on,
    and none without (a server that declines leaves it out, RFC 7692 section 5); the
    extension's line was once priced as a DATA frame besides."""
    from simulation.messages import DOWN, Message
    from simulation.network import HttpParams
    from simulation.protocols.wire import hpack
    from simulation.transport.framing import HttpFraming

    heads = {}
    for accepted in ("", deflate.SERVER_RESPONSE):
        framing = HttpFraming(version, HttpParams(), 4096)
        size = HttpParams().upgrade_response_bytes
        reply = Message(0, DOWN, "ws-upgrade-response", 0, size, response=True)
        if accepted:
            reply.overhead_bytes += deflate.extension_header_bytes(accepted)
            reply.meta = accepted
        heads[accepted] = framing.overhead_bytes(reply, 0.0), framing.last_fields
    assert "sec-websocket-extensions" not in dict(heads[""][1])
    assert dict(heads[deflate.SERVER_RESPONSE][1])["sec-websocket-extensions"] == (
        deflate.SERVER_RESPONSE
    )
    if version == "2":  # the HEADERS frame and nothing else
        for size, fields in heads.values():
            assert size == 9 + hpack.Encoder(4096).encoded_size(fields)


def test_socketio_compresses_its_event_frames_but_not_its_heartbeats():
    plain = _run("socketio").summary()
    compressed = _run("socketio", permessage_deflate=True).summary()
    assert compressed["wire_bytes"] < plain["wire_bytes"]
    assert compressed["deliveries"] == plain["deliveries"]


@pytest.mark.parametrize(
    ("strategy", "words"),
    [
        ({"deflate_ratio": 0.5}, "only apply with permessage_deflate = true"),
        ({"deflate_context_takeover": False}, "only apply with permessage_deflate = true"),
        (
            {"permessage_deflate": True, "deflate_ratio": 0.5, "deflate_corpus": "x.txt"},
            "not both",
        ),
        ({"permessage_deflate": True, "deflate_corpus": "missing.txt"}, "no such file"),
        ({"permessage_deflate": True, "deflate_ratio": 2.0}, "deflate_ratio"),
    ],
)
def test_deflate_keys_say_what_they_need(strategy, words):
    with pytest.raises(ScenarioError, match=words):
        make_scenario(strategy={"kind": "websocket", **strategy})


def test_an_empty_corpus_is_refused(tmp_path):
    corpus = tmp_path / "empty.txt"
    corpus.write_text("\n\n")
    with pytest.raises(ScenarioError, match="has no text"):
        make_scenario(
            strategy={
                "kind": "websocket",
                "permessage_deflate": True,
                "deflate_corpus": str(corpus),
            }
        )


def test_the_built_in_corpus_compresses_as_the_strategies_page_says():
    """docs/strategies.md: 300-byte updates shrink to 23% with context takeover, 51%
    without."""
    texts = [json_update_text(index, 300) for index in range(1, 200)]
    total = sum(map(len, texts))
    assert round(sum(deflate.corpus_sizes(texts)) / total, 2) == 0.23
    assert round(sum(deflate.corpus_sizes(texts, context_takeover=False)) / total, 2) == 0.51
