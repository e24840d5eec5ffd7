"""WebSocket permessage-deflate (RFC 7692): negotiation bytes and compressed message sizes.

A message's payload is compressed with raw DEFLATE (RFC 1951), flushed to a byte
boundary (a sync flush, whose empty stored block ends in ``00 00 ff ff``), and those 4
trailing bytes are removed (RFC 7692 section 7.2.1). With context takeover (the default,
section 7.1.1) each message may refer to the previous ones (the LZ77 window carries
over), so repeated structure costs little; ``*_no_context_takeover`` resets it per
message. ``*_max_window_bits`` sets the LZ77 window, 2**8 to 2**15 bytes (section
7.1.2; zlib handles 8 as 9). Compression level: zlib's default (6).

Sizes can also come from a configured ratio instead of a corpus (:func:`ratio_bytes`).
The payload sizes returned go into WebSocket frames, whose headers are
:func:`simulation.protocols.websocket.frame_header_bytes` of the compressed size. Sizes in
bytes.
"""

from __future__ import annotations

import math
import zlib

TAIL = b"\x00\x00\xff\xff"  # RFC 7692 section 7.2.1
DEFAULT_WINDOW_BITS = 15  # RFC 7692 section 7.1.2: the default LZ77 window, 32,768 bytes
DEFAULT_LEVEL = zlib.Z_DEFAULT_COMPRESSION  # zlib's default, level 6

# Chrome's offer and a server's plain acceptance (RFC 7692 sections 5 and 7.1)
CLIENT_OFFER = "permessage-deflate; client_max_window_bits"
SERVER_RESPONSE = "permessage-deflate"


def extension_header_bytes(value: str, version: str = "1.1") -> int:
    """Bytes of a ``Sec-WebSocket-Extensions`` header line carrying ``value`` (HTTP/1.1).

    On HTTP/2 and HTTP/3 the field is HPACK/QPACK-coded with the rest of the header list
    (see :mod:`.headers`); this is its HTTP/1.1 text.
    """
    if version != "1.1":
        raise ValueError("only the HTTP/1.1 text size is computed here")
    return len(f"Sec-WebSocket-Extensions: {value}\r\n".encode("ascii"))


def ratio_bytes(payload_bytes: int, ratio: float) -> int:
    """Compressed size by a configured ratio (compressed / original), at least 1 byte."""
    if not 0 < ratio <= 1.5:
        raise ValueError(f"a compression ratio is in (0, 1.5], got {ratio}")
    return max(1, math.ceil(payload_bytes * ratio))


class Compressor:
    """One direction's permessage-deflate compressor (RFC 7692 section 7.2.1)."""

    def __init__(
        self,
        context_takeover: bool = True,
        window_bits: int = DEFAULT_WINDOW_BITS,
        level: int = DEFAULT_LEVEL,
    ) -> None:
        if not 8 <= window_bits <= 15:
            raise ValueError(f"max_window_bits is 8 to 15, got {window_bits}")
        self.context_takeover = context_takeover
        self.window_bits = max(window_bits, 9)  # zlib does not do raw deflate with 8
        self.level = level
        self._compressor = self._new()

    def _new(self):
        return zlib.compressobj(self.level, zlib.DEFLATED, -self.window_bits)

    def compress(self, payload: bytes) -> bytes:
        """The compressed message payload, tail removed."""
        if not self.context_takeover:
            self._compressor = self._new()
        data = self._compressor.compress(payload) + self._compressor.flush(zlib.Z_SYNC_FLUSH)
        if not data.endswith(TAIL):  # a sync flush always ends with the empty stored block
            raise AssertionError("deflate sync flush without its 00 00 ff ff tail")
        return data[: -len(TAIL)]

    def compressed_size(self, payload: bytes) -> int:
        """Bytes of the compressed payload (the compressor's state moves on)."""
        return len(self.compress(payload))


def decompress(messages: list[bytes], window_bits: int = DEFAULT_WINDOW_BITS) -> list[bytes]:
    """The receiving side (section 7.2.2): append the tail, inflate with one context."""
    inflater = zlib.decompressobj(-max(window_bits, 9))
    return [inflater.decompress(m + TAIL) for m in messages]


def corpus_sizes(payloads: list[bytes], context_takeover: bool = True) -> list[int]:
    """Compressed sizes of ``payloads`` sent in order as messages on one connection."""
    compressor = Compressor(context_takeover)
    return [compressor.compressed_size(p) for p in payloads]
