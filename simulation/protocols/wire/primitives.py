"""Integer and string encodings shared by HPACK, QPACK, QUIC and HTTP/3 (sizes in bytes).

* Prefixed integers: an N-bit prefix in the first byte, then 7 bits a byte (RFC 7541
  section 5.1; QPACK uses the same, RFC 9204 section 4.1.1).
* String literals: a Huffman flag, the length as a prefixed integer, then the octets,
  Huffman-coded or not (RFC 7541 section 5.2; RFC 9204 section 4.1.2, where the flag may
  sit lower in the first byte).
* QUIC variable-length integers: 1, 2, 4 or 8 bytes, the two top bits giving the length
  (RFC 9000 section 16), used by QUIC frames and HTTP/3 frames.
"""

from __future__ import annotations

from . import huffman

# When a literal is Huffman-coded. "always" is the ``hpack`` package's default
# (Encoder.encode(huffman=True)); "shorter" is what nghttp2 and ls-qpack do (the Huffman
# form only when it is strictly shorter than the raw octets); "never" sends raw octets.
HUFFMAN_POLICIES = ("always", "shorter", "never")


def encode_int(value: int, prefix_bits: int, flags: int = 0) -> bytes:
    """``value`` as a prefixed integer of ``prefix_bits`` bits (RFC 7541 section 5.1).

    ``flags`` are the bits above the prefix in the first byte.
    """
    if value < 0:
        raise ValueError(f"prefixed integers are >= 0, got {value}")
    if not 1 <= prefix_bits <= 8:
        raise ValueError(f"a prefix has 1 to 8 bits, got {prefix_bits}")
    limit = (1 << prefix_bits) - 1
    if value < limit:
        return bytes([flags | value])
    out = [flags | limit]
    value -= limit
    while value >= 128:
        out.append((value & 127) | 128)
        value >>= 7
    out.append(value)
    return bytes(out)


def int_length(value: int, prefix_bits: int) -> int:
    """Bytes of ``value`` as a prefixed integer of ``prefix_bits`` bits."""
    return len(encode_int(value, prefix_bits))


def use_huffman(data: bytes, policy: str) -> bool:
    """Whether a literal is Huffman-coded under ``policy`` (one of HUFFMAN_POLICIES)."""
    if policy == "always":
        return True
    if policy == "shorter":
        return huffman.encoded_length(data) < len(data)
    if policy == "never":
        return False
    raise ValueError(f"huffman policy is one of {HUFFMAN_POLICIES}, got {policy!r}")


def encode_string(data: bytes, policy: str, prefix_bits: int = 7, flags: int = 0) -> bytes:
    """A string literal: H flag (just above the ``prefix_bits``-bit length), length, octets.

    RFC 7541 section 5.2 uses a 7-bit length; RFC 9204 section 4.1.2 also 5- and 3-bit
    ones for names. An empty string is never Huffman-coded with "shorter" (0 is not < 0).
    """
    if use_huffman(data, policy):
        coded = huffman.encode(data)
        return encode_int(len(coded), prefix_bits, flags | (1 << prefix_bits)) + coded
    return encode_int(len(data), prefix_bits, flags) + data


def string_length(data: bytes, policy: str, prefix_bits: int = 7) -> int:
    """Bytes of ``data`` as a string literal (without building it)."""
    size = huffman.encoded_length(data) if use_huffman(data, policy) else len(data)
    return int_length(size, prefix_bits) + size


# QUIC variable-length integer limits (RFC 9000 section 16, table 4)
_VARINT_LIMITS = ((63, 1, 0x00), (16383, 2, 0x40), (1073741823, 4, 0x80), ((1 << 62) - 1, 8, 0xC0))


def encode_varint(value: int) -> bytes:
    """``value`` as a QUIC variable-length integer, shortest form (RFC 9000 section 16)."""
    for limit, size, mark in _VARINT_LIMITS:
        if 0 <= value <= limit:
            data = bytearray(value.to_bytes(size, "big"))
            data[0] |= mark
            return bytes(data)
    raise ValueError(f"a QUIC varint holds 0 to 2**62 - 1, got {value}")


def varint_length(value: int) -> int:
    """Bytes of ``value`` as a QUIC variable-length integer: 1, 2, 4 or 8."""
    return len(encode_varint(value))
