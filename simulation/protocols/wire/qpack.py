"""QPACK field compression (RFC 9204): bytes of a field section and of encoder instructions.

HTTP/3 sends each header list as an encoded field section on its request stream, and
dynamic table insertions on a separate unidirectional encoder stream (RFC 9204 section
4.2); the two byte counts are returned apart, as ``pylsqpack.Encoder.encode`` does.

The encoder follows the sample single-pass algorithm of RFC 9204 Appendix C:

* a field equal to a static entry (Appendix A, 99 entries, index 0 first) is an indexed
  field line (section 4.5.2); one equal to a dynamic entry it may refer to, likewise;
* otherwise, if the dynamic table has room, the field is inserted (with a static or
  dynamic name reference when there is one, section 4.3.2, or a literal name, 4.3.3) and
  the section refers to it (post-base index when inserted during this section, 4.5.3);
* otherwise it is a literal with a name reference (4.5.4, 4.5.5) or a literal name (4.5.6).

With ``max_table_capacity`` 0 (the default of SETTINGS_QPACK_MAX_TABLE_CAPACITY, RFC 9204
section 5) only the static table is used. A section that refers to entries the decoder
has not acknowledged may block its stream; the encoder does that for at most
``blocked_streams`` (SETTINGS_QPACK_BLOCKED_STREAMS, default 0) unacknowledged sections,
otherwise it only refers to acknowledged entries. :meth:`Encoder.acknowledge` stands for
the decoder's acknowledgments arriving (its instructions' bytes:
:func:`section_ack_bytes`, :func:`insert_count_increment_bytes`). Entries are evicted
oldest first, never one the section being encoded refers to. Literals are Huffman-coded
when shorter (as ls-qpack). Sizes are in bytes.

``history=True`` follows ls-qpack (the encoder of pylsqpack, hence of aioquic), which
inserts a field only once it has seen it before: it keeps a history of the fields it
encoded (``qenc_hist_seen`` in lsqpack.c) and sends a field it has not seen as a literal,
so the first request of a connection goes out uncompressed and the second inserts its
fields. The history is taken as unbounded (ls-qpack's ring holds about as many fields as
the table, more than a request's or response's list).
"""

from __future__ import annotations

from collections.abc import Iterable

from .primitives import encode_int, encode_string

# RFC 9204 section 3.2.1: an entry's size is its name and value lengths plus 32.
ENTRY_OVERHEAD_BYTES = 32

# fmt: off
# RFC 9204 Appendix A: the static table, index 0 first.
_STATIC = (
    (":authority", ""), (":path", "/"), ("age", "0"), ("content-disposition", ""),
    ("content-length", "0"), ("cookie", ""), ("date", ""), ("etag", ""),
    ("if-modified-since", ""), ("if-none-match", ""), ("last-modified", ""), ("link", ""),
    ("location", ""), ("referer", ""), ("set-cookie", ""), (":method", "CONNECT"),
    (":method", "DELETE"), (":method", "GET"), (":method", "HEAD"), (":method", "OPTIONS"),
    (":method", "POST"), (":method", "PUT"), (":scheme", "http"), (":scheme", "https"),
    (":status", "103"), (":status", "200"), (":status", "304"), (":status", "404"),
    (":status", "503"), ("accept", "*/*"), ("accept", "application/dns-message"),
    ("accept-encoding", "gzip, deflate, br"), ("accept-ranges", "bytes"),
    ("access-control-allow-headers", "cache-control"),
    ("access-control-allow-headers", "content-type"), ("access-control-allow-origin", "*"),
    ("cache-control", "max-age=0"), ("cache-control", "max-age=2592000"),
    ("cache-control", "max-age=604800"), ("cache-control", "no-cache"),
    ("cache-control", "no-store"), ("cache-control", "public, max-age=31536000"),
    ("content-encoding", "br"), ("content-encoding", "gzip"),
    ("content-type", "application/dns-message"), ("content-type", "application/javascript"),
    ("content-type", "application/json"), ("content-type", "application/x-www-form-urlencoded"),
    ("content-type", "image/gif"), ("content-type", "image/jpeg"), ("content-type", "image/png"),
    ("content-type", "text/css"), ("content-type", "text/html; charset=utf-8"),
    ("content-type", "text/plain"), ("content-type", "text/plain;charset=utf-8"),
    ("range", "bytes=0-"), ("strict-transport-security", "max-age=31536000"),
    ("strict-transport-security", "max-age=31536000; includesubdomains"),
    ("strict-transport-security", "max-age=31536000; includesubdomains; preload"),
    ("vary", "accept-encoding"), ("vary", "origin"), ("x-content-type-options", "nosniff"),
    ("x-xss-protection", "1; mode=block"), (":status", "100"), (":status", "204"),
    (":status", "206"), (":status", "302"), (":status", "400"), (":status", "403"),
    (":status", "421"), (":status", "425"), (":status", "500"), ("accept-language", ""),
    ("access-control-allow-credentials", "FALSE"), ("access-control-allow-credentials", "TRUE"),
    ("access-control-allow-headers", "*"), ("access-control-allow-methods", "get"),
    ("access-control-allow-methods", "get, post, options"),
    ("access-control-allow-methods", "options"),
    ("access-control-expose-headers", "content-length"),
    ("access-control-request-headers", "content-type"), ("access-control-request-method", "get"),
    ("access-control-request-method", "post"), ("alt-svc", "clear"), ("authorization", ""),
    ("content-security-policy", "script-src 'none'; object-src 'none'; base-uri 'none'"),
    ("early-data", "1"), ("expect-ct", ""), ("forwarded", ""), ("if-range", ""), ("origin", ""),
    ("purpose", "prefetch"), ("server", ""), ("timing-allow-origin", "*"),
    ("upgrade-insecure-requests", "1"), ("user-agent", ""), ("x-forwarded-for", ""),
    ("x-frame-options", "deny"), ("x-frame-options", "sameorigin"),
)
# fmt: on
STATIC_TABLE: tuple[tuple[bytes, bytes], ...] = tuple((n.encode(), v.encode()) for n, v in _STATIC)
_STATIC_EXACT: dict[tuple[bytes, bytes], int] = {}
_STATIC_NAME: dict[bytes, int] = {}
for _index, _entry in enumerate(STATIC_TABLE):
    _STATIC_EXACT.setdefault(_entry, _index)
    _STATIC_NAME.setdefault(_entry[0], _index)


def _bytes(text: bytes | str) -> bytes:
    return text if isinstance(text, bytes) else text.encode("utf-8")


def entry_size(name: bytes, value: bytes) -> int:
    """Bytes a field takes in the dynamic table (RFC 9204 section 3.2.1)."""
    return len(name) + len(value) + ENTRY_OVERHEAD_BYTES


def set_capacity_bytes(capacity: int) -> bytes:
    """The encoder's Set Dynamic Table Capacity instruction (RFC 9204 section 4.3.1)."""
    return encode_int(capacity, 5, 0x20)


def section_ack_bytes(stream_id: int) -> bytes:
    """The decoder's Section Acknowledgment for a stream (RFC 9204 section 4.4.1)."""
    return encode_int(stream_id, 7, 0x80)


def insert_count_increment_bytes(increment: int) -> bytes:
    """The decoder's Insert Count Increment instruction (RFC 9204 section 4.4.3)."""
    return encode_int(increment, 6, 0x00)


class Encoder:
    """A QPACK encoder: field lists in, (encoder stream bytes, field section bytes) out."""

    def __init__(self, huffman: str = "shorter", history: bool = False) -> None:
        self.huffman = huffman
        self.history: set[tuple[bytes, bytes]] | None = set() if history else None
        self.max_table_capacity = 0
        self.capacity = 0
        self.blocked_streams = 0
        self.entries: list[tuple[bytes, bytes]] = []  # oldest first
        self.dropped = 0  # absolute index of entries[0]: entries evicted so far
        self.size = 0
        self.known_received = 0  # entries the decoder has acknowledged
        self.unacknowledged_sections = 0  # sections that may block

    @property
    def insert_count(self) -> int:
        return self.dropped + len(self.entries)

    @property
    def state(self) -> tuple[int, int, int, int]:
        """What the next section's bytes depend on, beyond its fields: equal states encode
        the same list to the same bytes."""
        seen = len(self.history) if self.history is not None else 0
        return self.insert_count, self.known_received, self.size, seen

    def apply_settings(self, max_table_capacity: int, blocked_streams: int) -> bytes:
        """Use the decoder's SETTINGS; returns the encoder stream's capacity instruction."""
        self.max_table_capacity = self.capacity = max_table_capacity
        self.blocked_streams = blocked_streams
        return set_capacity_bytes(max_table_capacity) if max_table_capacity else b""

    def acknowledge(self) -> None:
        """The decoder has acknowledged every insertion and section so far."""
        self.known_received = self.insert_count
        self.unacknowledged_sections = 0

    def encode(self, stream_id: int, headers: Iterable[tuple]) -> tuple[bytes, bytes]:
        """(encoder stream bytes, encoded field section) for ``headers`` on ``stream_id``."""
        del stream_id  # the wire form does not depend on it
        may_block = self.unacknowledged_sections < self.blocked_streams
        limit = self.insert_count if may_block else self.known_received  # referable entries
        base, required, pinned = self.insert_count, 0, self.insert_count
        encoder, lines = bytearray(), bytearray()
        for field in headers:
            name, value = _bytes(field[0]), _bytes(field[1])
            static = _STATIC_EXACT.get((name, value))
            if static is not None:
                lines += encode_int(static, 6, 0xC0)
                continue
            exact, named = self._find(name, value, limit)
            static_name = _STATIC_NAME.get(name)
            inserted = self._find(name, value, self.insert_count)[0] is not None
            worth_inserting = not self._first_sight(name, value)  # always without history
            if (
                exact is None
                and not inserted
                and worth_inserting
                and self._room(entry_size(name, value), pinned)
            ):
                encoder += self._insert(name, value, static_name, named)
                if may_block:  # else it is referred to once acknowledged
                    exact, limit = self.insert_count - 1, self.insert_count
                if named is not None and named < self.dropped:  # evicted to make room
                    named = None
            if exact is not None:
                pinned, required = min(pinned, exact), max(required, exact + 1)
                if exact < base:
                    lines += encode_int(base - exact - 1, 6, 0x80)
                else:
                    lines += encode_int(exact - base, 4, 0x10)
            elif static_name is None and named is not None:
                pinned, required = min(pinned, named), max(required, named + 1)
                if named < base:
                    lines += encode_int(base - named - 1, 4, 0x40)
                else:
                    lines += encode_int(named - base, 3, 0x00)
                lines += encode_string(value, self.huffman)
            elif static_name is not None:
                lines += encode_int(static_name, 4, 0x50) + encode_string(value, self.huffman)
            else:
                lines += encode_string(name, self.huffman, 3, 0x20)
                lines += encode_string(value, self.huffman)
        if required > self.known_received:
            self.unacknowledged_sections += 1
        return bytes(encoder), self._prefix(required, base) + bytes(lines)

    def _first_sight(self, name: bytes, value: bytes) -> bool:
        """With ``history``: whether this is the first time the field is encoded (it is
        remembered from now on); without, never."""
        if self.history is None or (name, value) in self.history:
            return False
        self.history.add((name, value))
        return True

    def _prefix(self, required: int, base: int) -> bytes:
        """Encoded Required Insert Count and Base (RFC 9204 section 4.5.1)."""
        if required == 0:
            return b"\x00\x00"
        max_entries = self.max_table_capacity // ENTRY_OVERHEAD_BYTES
        head = encode_int(required % (2 * max_entries) + 1, 8)
        if base >= required:
            return head + encode_int(base - required, 7)
        return head + encode_int(required - base - 1, 7, 0x80)

    def _find(self, name: bytes, value: bytes, limit: int) -> tuple[int | None, int | None]:
        """Absolute indexes (< limit) of the newest equal entry and newest same-name one."""
        exact = named = None
        for offset in range(min(limit, self.insert_count) - self.dropped - 1, -1, -1):
            entry_name, entry_value = self.entries[offset]
            if entry_name == name:
                if entry_value == value:
                    return offset + self.dropped, named
                if named is None:
                    named = offset + self.dropped
        return exact, named

    def _room(self, size: int, pinned: int) -> bool:
        """Whether ``size`` fits after evicting entries older than ``pinned`` (and acked)."""
        free = self.capacity - self.size
        for offset, entry in enumerate(self.entries):
            if free >= size or offset + self.dropped >= min(pinned, self.known_received):
                break
            free += entry_size(*entry)
        return free >= size

    def _insert(self, name: bytes, value: bytes, static_name, named) -> bytes:
        """Add a field (evicting), returning its encoder stream instruction (4.3.2, 4.3.3)."""
        size = entry_size(name, value)
        while self.capacity - self.size < size:
            self.size -= entry_size(*self.entries.pop(0))
            self.dropped += 1
        if static_name is not None:
            head = encode_int(static_name, 6, 0xC0)
        elif named is not None and named >= self.dropped:
            head = encode_int(self.insert_count - named - 1, 6, 0x80)
        else:
            head = encode_string(name, self.huffman, 5, 0x40)
        self.entries.append((name, value))
        self.size += size
        return head + encode_string(value, self.huffman)


# The decoder stream's instructions, each sent when a field section that needed them is
# decoded (simulation.transport.connection): header compression bytes of the data.
KINDS = {"qpack-decoder": "data"}
