"""HPACK sizes (simulation.protocols.wire.hpack) against RFC 7541 and the hpack package."""

import hpack as hpack_pkg
import pytest
from hpack.huffman_constants import REQUEST_CODES, REQUEST_CODES_LENGTH
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation.protocols.wire import headers, huffman
from simulation.protocols.wire import hpack as hp
from simulation.protocols.wire.primitives import encode_int


def test_huffman_code_is_the_appendix_b_code():
    assert list(huffman.CODE_LENGTHS) == list(REQUEST_CODES_LENGTH)
    assert list(huffman.CODES) == list(REQUEST_CODES)


def test_huffman_rfc7541_c4_strings():
    # RFC 7541 C.4.1: "www.example.com" codes as f1e3 c2e5 f23a 6ba0 ab90 f4ff
    assert huffman.encode(b"www.example.com").hex() == "f1e3c2e5f23a6ba0ab90f4ff"
    assert huffman.encoded_length(b"no-cache") == 6  # C.4.2: a8eb 1064 9cbf


def test_static_table_is_appendix_a():
    assert hp.STATIC_TABLE == hpack_pkg.table.HeaderTable.STATIC_TABLE
    assert len(hp.STATIC_TABLE) == 61


def test_integer_encoding_rfc7541_c1():
    assert encode_int(10, 5) == bytes([10])  # C.1.1
    assert encode_int(1337, 5) == bytes([31, 154, 10])  # C.1.2
    assert encode_int(42, 8) == bytes([42])  # C.1.3


def test_rfc7541_c4_requests_with_huffman():
    encoder = hp.Encoder()
    first = [(":method", "GET"), (":scheme", "http"), (":path", "/")]
    first.append((":authority", "www.example.com"))
    assert encoder.encode(first).hex() == "828684418cf1e3c2e5f23a6ba0ab90f4ff"
    assert encoder.table.size == 57
    second = [*first, ("cache-control", "no-cache")]
    assert encoder.encode(second).hex() == "828684be5886a8eb10649cbf"
    third = [(":method", "GET"), (":scheme", "https"), (":path", "/index.html")]
    third += [(":authority", "www.example.com"), ("custom-key", "custom-value")]
    assert encoder.encode(third).hex() == "828785bf408825a849e95ba97d7f8925a849e95bb8e8b4bf"
    assert encoder.table.size == 164


def _poll_requests(n, version="2"):
    message = headers.pad_to_http1(headers.request("poll-request"), 700)
    return [headers.field_list(message)] * n


def _eio_requests(n):
    return [headers.field_list(headers.request("eio-poll", seq=i)) for i in range(n)]


def _responses(n):
    out = []
    for i in range(n):
        message = headers.response("poll-response", now_s=i * 0.7, body_bytes=100 + i)
        out.append(headers.field_list(headers.pad_to_http1(message, 300)))
    return out


@pytest.mark.parametrize("lists", [_poll_requests(12), _eio_requests(12), _responses(12)])
@pytest.mark.parametrize("policy", ["always", "shorter"])
def test_sequences_match_the_hpack_package(lists, policy):
    ours, theirs, decoder = hp.Encoder(huffman=policy), hpack_pkg.Encoder(), hpack_pkg.Decoder()
    for fields in lists:
        block, expected = ours.encode(fields), theirs.encode(fields)
        if policy == "always":
            assert block == expected
        else:  # no string here is longer Huffman-coded: raw only where it is as long
            assert len(block) == len(expected)
        assert decoder.decode(block) == fields


def test_repeated_poll_request_costs_few_bytes():
    sizes = hp.block_sizes(_poll_requests(10))
    assert sizes[0] < 700 * 0.8
    assert sizes[1] == sizes[9] <= 20  # every field indexed: one or two bytes each


def test_small_table_evicts_like_the_hpack_package():
    ours, theirs = hp.Encoder(huffman="always"), hpack_pkg.Encoder()
    theirs.header_table_size = 256
    ours.set_header_table_size(256)
    for fields in _eio_requests(6) + _responses(6):
        assert ours.encode(fields) == theirs.encode(fields)
        assert ours.table.size == theirs.header_table._current_size


def test_sensitive_fields_are_never_indexed():
    fields = [(":method", "GET"), ("authorization", "Bearer abc", True), ("x-key", "v", True)]
    ours, theirs = hp.Encoder(huffman="always"), hpack_pkg.Encoder()
    for _ in range(2):
        assert ours.encode(fields) == theirs.encode(fields)
    assert len(ours.table.entries) == 0


_token = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=20)
_value = st.binary(max_size=60) | st.text(
    alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=60
)
_fields = st.lists(
    st.tuples(st.sampled_from([":path", "accept", "cookie", "date"]) | _token, _value),
    max_size=12,
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_fields, min_size=1, max_size=6), st.sampled_from([64, 256, 4096]))
def test_hypothesis_identical_to_the_hpack_package(lists, table_size):
    ours, theirs, shorter = hp.Encoder(huffman="always"), hpack_pkg.Encoder(), hp.Encoder()
    theirs.header_table_size = table_size
    ours.set_header_table_size(table_size)
    shorter.set_header_table_size(table_size)
    decoder = hpack_pkg.Decoder()
    for fields in lists:
        expected = theirs.encode(fields)
        assert ours.encode(fields) == expected
        block = shorter.encode(fields)
        assert len(block) <= len(expected)
        decoded = decoder.decode(block, raw=True)
        assert decoded == [(hp._bytes(n), hp._bytes(v)) for n, v in fields]
