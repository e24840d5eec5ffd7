"""The static Huffman code of HPACK (RFC 7541 Appendix B), also used by QPACK.

RFC 9204 section 4.1.2 reuses this code for QPACK string literals. The code is canonical:
codes are assigned in order of (length, symbol), each the previous plus one, shifted left
when the length grows (the RFC's table lists exactly these codes). So only the 257 code
lengths are written out here, and the codes are derived from them; the tests compare
them with the whole table as the ``hpack`` package transcribes it.

Sizes are in bits for codes and in bytes for encoded strings.
"""

from __future__ import annotations

# Code length in bits of each symbol 0..255 and of EOS (256), RFC 7541 Appendix B.
# fmt: off
CODE_LENGTHS: tuple[int, ...] = (
    13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28,  # 0-15
    28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28,  # 16-31
    6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6,  # 32-47 (' ' to '/')
    5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10,  # 48-63 ('0' to '?')
    13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,  # 64-79 ('@' to 'O')
    7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6,  # 80-95 ('P' to '_')
    15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5,  # 96-111 ('`' to 'o')
    6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28,  # 112-127 ('p' to DEL)
    20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23,  # 128-143
    24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24,  # 144-159
    22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23,  # 160-175
    21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23,  # 176-191
    26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25,  # 192-207
    19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27,  # 208-223
    20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23,  # 224-239
    26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26,  # 240-255
    30,  # 256, EOS
)
# fmt: on

EOS = 256


def _canonical_codes(lengths: tuple[int, ...]) -> tuple[int, ...]:
    """Codes of a canonical Huffman code with these lengths (sorted by length, symbol)."""
    codes = [0] * len(lengths)
    code = 0
    previous = None
    for symbol in sorted(range(len(lengths)), key=lambda s: (lengths[s], s)):
        if previous is not None:
            code = (code + 1) << (lengths[symbol] - previous)
        codes[symbol] = code
        previous = lengths[symbol]
    return tuple(codes)


CODES: tuple[int, ...] = _canonical_codes(CODE_LENGTHS)


def encoded_length(data: bytes) -> int:
    """Bytes of ``data`` Huffman-coded: its code bits rounded up to whole bytes.

    The last byte is padded with the most significant bits of EOS, all ones (RFC 7541
    section 5.2).
    """
    return (sum(CODE_LENGTHS[b] for b in data) + 7) // 8


def encode(data: bytes) -> bytes:
    """``data`` Huffman-coded, padded with ones to a whole byte (RFC 7541 section 5.2)."""
    bits = 0
    value = 0
    for byte in data:
        value = (value << CODE_LENGTHS[byte]) | CODES[byte]
        bits += CODE_LENGTHS[byte]
    pad = -bits % 8
    value = (value << pad) | ((1 << pad) - 1)
    return value.to_bytes((bits + pad) // 8, "big")
