"""QPACK sizes (simulation.protocols.wire.qpack) against RFC 9204 and pylsqpack."""

import pylsqpack
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation.protocols.wire import headers
from simulation.protocols.wire import qpack as qp


def _raw(fields):
    return [(qp._bytes(n), qp._bytes(v)) for n, v, *_ in fields]


def _lists():
    out = []
    for kind in ["poll-request", "eio-poll", "http-post", "sse-request", "ws-upgrade-request"]:
        out.append(headers.field_list(headers.pad_to_http1(headers.request(kind, "3"), 700)))
    for kind in ["poll-response", "sse-response", "eio-post-ok", "ws-upgrade-response"]:
        message = headers.response(kind, "3", body_bytes=33)
        out.append(headers.field_list(headers.pad_to_http1(message, 300)))
    return out


def test_static_table_is_appendix_a():
    assert len(qp.STATIC_TABLE) == 99
    assert qp.STATIC_TABLE[0] == (b":authority", b"")
    assert qp.STATIC_TABLE[17] == (b":method", b"GET")
    assert qp.STATIC_TABLE[31] == (b"accept-encoding", b"gzip, deflate, br")
    assert qp.STATIC_TABLE[85][1].startswith(b"script-src 'none'; object-src")
    assert qp.STATIC_TABLE[98] == (b"x-frame-options", b"sameorigin")


def test_rfc9204_b1_literal_with_static_name_reference():
    encoder, section = qp.Encoder(huffman="never").encode(0, [(":path", "/index.html")])
    assert encoder == b"" and section.hex() == "0000510b2f696e6465782e68746d6c"


def test_rfc9204_b2_dynamic_table():
    encoder = qp.Encoder(huffman="never")
    assert encoder.apply_settings(220, 1).hex() == "3fbd01"
    fields = [(":authority", "www.example.com"), (":path", "/sample/path")]
    instructions, section = encoder.encode(4, fields)
    assert instructions.hex() == (
        "c00f7777772e6578616d706c652e636f6d" + "c10c2f73616d706c652f70617468"
    )
    assert section.hex() == "03811011"
    assert encoder.size == 106
    assert qp.section_ack_bytes(4).hex() == "84"
    assert qp.insert_count_increment_bytes(1).hex() == "01"


@pytest.mark.parametrize("index", range(9))
def test_static_only_is_identical_to_pylsqpack(index):
    fields = _lists()[index]
    assert qp.Encoder().encode(0, fields) == pylsqpack.Encoder().encode(0, _raw(fields))


def test_non_blocking_mode_refers_to_acknowledged_entries_only():
    fields = _lists()[0]
    encoder = qp.Encoder()
    encoder.apply_settings(4096, 0)
    instructions, first = encoder.encode(0, fields)
    assert len(instructions) > 400 and len(first) == 466  # inserted, sent as literals
    assert encoder.encode(4, fields) == (b"", first)  # not acknowledged yet
    encoder.acknowledge()
    assert len(encoder.encode(8, fields)[1]) == 18


@pytest.mark.parametrize("blocked", [16])
def test_repeated_requests_reach_pylsqpack_steady_state(blocked):
    fields = _lists()[0]
    ours, theirs = qp.Encoder(), pylsqpack.Encoder()
    assert ours.apply_settings(4096, blocked) == theirs.apply_settings(4096, blocked)
    our_decoder, their_decoder = pylsqpack.Decoder(4096, blocked), pylsqpack.Decoder(4096, blocked)
    ours_total = theirs_total = 0
    for i in range(6):
        stream = 4 * i
        ins, section = ours.encode(stream, fields)
        our_decoder.feed_encoder(ins)
        _, decoded = our_decoder.feed_header(stream, section)
        assert decoded == _raw(fields)
        ours.acknowledge()  # the decoder's acknowledgments arrive before the next request
        their_ins, their_section = theirs.encode(stream, _raw(fields))
        their_decoder.feed_encoder(their_ins)
        acks, _ = their_decoder.feed_header(stream, their_section)
        theirs.feed_decoder(acks)
        ours_total += len(ins) + len(section)
        theirs_total += len(their_ins) + len(their_section)
    # ls-qpack inserts a field the second time it sees it; the steady state is the same.
    # (Without blocking, pylsqpack's encoder never learns of insertions: its binding does
    # not hand out the decoder's Insert Count Increments.)
    assert len(section) == len(their_section) < 25
    assert ours_total <= theirs_total


def _response(index: int):
    """A poll response whose date and content-length change from one to the next."""
    message = headers.response("poll-response", "3", 1000.0 + index, body_bytes=200 * (index % 3))
    return headers.field_list(headers.pad_to_http1(message, 300))


@pytest.mark.parametrize(
    "make",
    [lambda i: _lists()[0], lambda i: _lists()[3], _response],
    ids=["poll-request", "sse-request", "poll-response"],
)
def test_history_mode_is_byte_identical_to_pylsqpack(make):
    """With ``history``, each section and its insertions are ls-qpack's own: the first
    list goes out as literals, the second inserts what the first showed."""
    ours, theirs = qp.Encoder(history=True), pylsqpack.Encoder()
    assert ours.apply_settings(4096, 16) == theirs.apply_settings(4096, 16)
    decoder = pylsqpack.Decoder(4096, 16)
    sizes = []
    for i in range(6):
        fields = make(i)
        state = ours.state
        mine = ours.encode(4 * i, fields)
        ours.acknowledge()
        instructions, section = theirs.encode(4 * i, _raw(fields))
        decoder.feed_encoder(instructions)
        acks, decoded = decoder.feed_header(4 * i, section)
        theirs.feed_decoder(acks)
        assert decoded == _raw(fields)
        assert mine == (instructions, section), i
        assert ours.state != state or i >= 2  # what it saw is part of its state
        sizes.append((len(instructions), len(section)))
    # nothing inserted on first sight; inserted once seen again
    assert sizes[0][0] == 0 and any(inserted for inserted, _ in sizes[1:])


_token = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=16)
_value = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=50)
_name = st.sampled_from([":path", "accept", "cookie", "date", "user-agent"]) | _token
_fields = st.lists(st.tuples(_name, _value), min_size=1, max_size=10)


@settings(max_examples=120, deadline=None)
@given(
    st.lists(_fields, min_size=1, max_size=6),
    st.sampled_from([0, 128, 4096]),
    st.sampled_from([0, 2, 16]),
    st.booleans(),
)
def test_hypothesis_decodes_with_pylsqpack(lists, capacity, blocked, acknowledge):
    ours = qp.Encoder()
    ours.apply_settings(capacity, blocked)
    decoder = pylsqpack.Decoder(capacity, blocked)
    for i, fields in enumerate(lists):
        ins, section = ours.encode(4 * i, fields)
        decoder.feed_encoder(ins)
        _, decoded = decoder.feed_header(4 * i, section)
        assert decoded == _raw(fields)
        if capacity == 0:
            assert (ins, section) == pylsqpack.Encoder().encode(4 * i, _raw(fields))
        if acknowledge:
            ours.acknowledge()
