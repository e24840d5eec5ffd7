"""permessage-deflate (simulation.protocols.wire.deflate) against RFC 7692 and zlib."""

import json
import zlib

import pytest

from simulation.protocols import websocket
from simulation.protocols.wire import deflate, headers


def test_rfc7692_hello_examples():
    # RFC 7692 section 7.2.3.1: "Hello" compressed is f2 48 cd c9 c9 07 00
    compressor = deflate.Compressor()
    assert compressor.compress(b"Hello").hex() == "f248cdc9c90700"
    # section 7.2.3.2: the same message again, sharing the LZ77 window
    assert compressor.compress(b"Hello").hex() == "f200110000"
    fresh = deflate.Compressor(context_takeover=False)
    assert [fresh.compress(b"Hello").hex() for _ in range(2)] == ["f248cdc9c90700"] * 2


def _chat(n):
    return [
        json.dumps(
            {"type": "chat", "room": "general", "user": f"user{i % 7}", "text": f"hi {i}"}
        ).encode()
        for i in range(n)
    ]


def test_context_takeover_shrinks_repeated_structure():
    messages = _chat(20)
    with_context = deflate.corpus_sizes(messages)
    without = deflate.corpus_sizes(messages, context_takeover=False)
    assert sum(with_context) < sum(without) < sum(map(len, messages)) * 1.1
    assert with_context[10] < len(messages[10]) / 2
    assert all(s >= 1 for s in with_context)


@pytest.mark.parametrize("bits", [8, 9, 12, 15])
def test_roundtrip_with_zlib(bits):
    messages = [*_chat(10), bytes(range(256)) * 4, b""]
    compressor = deflate.Compressor(window_bits=bits)
    compressed = [compressor.compress(m) for m in messages]
    assert deflate.decompress(compressed, bits) == messages
    assert not any(c.endswith(deflate.TAIL) and len(c) > 4 for c in compressed[:3])


def test_sync_flush_tail_is_stripped():
    raw = zlib.compressobj(6, zlib.DEFLATED, -15)
    full = raw.compress(b"abc") + raw.flush(zlib.Z_SYNC_FLUSH)
    assert full.endswith(deflate.TAIL)
    assert deflate.Compressor().compress(b"abc") == full[:-4]


def test_negotiation_header_bytes():
    assert deflate.extension_header_bytes(deflate.CLIENT_OFFER) == len(
        "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
    )
    assert deflate.extension_header_bytes(deflate.SERVER_RESPONSE) == 46
    assert headers.WS_EXTENSIONS_OFFER == deflate.CLIENT_OFFER
    with pytest.raises(ValueError):
        deflate.extension_header_bytes("x", "2")


def test_ratio_and_frames():
    assert deflate.ratio_bytes(1000, 0.4) == 400
    assert deflate.ratio_bytes(1, 0.1) == 1
    with pytest.raises(ValueError):
        deflate.ratio_bytes(10, 0)
    with pytest.raises(ValueError):
        deflate.Compressor(window_bits=7)
    size = deflate.Compressor().compressed_size(b"x" * 10_000)
    assert size < 125 and websocket.frame_header_bytes(size, masked=True) == 6
