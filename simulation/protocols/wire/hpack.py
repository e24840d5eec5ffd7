"""HPACK header compression (RFC 7541): the bytes of a header block given encoder state.

The encoder keeps the dynamic table, so a header list sent again costs what it really
costs: the first request of a connection spells its fields out, later ones mostly refer
to table entries (one byte each).

Indexing policy, as the ``hpack`` Python package's ``Encoder`` (v4) so sizes can be
checked against it:

* a field equal to a static entry (RFC 7541 Appendix A) or, failing that, to a dynamic
  entry, is sent indexed (section 6.1);
* otherwise it is a literal with incremental indexing (section 6.2.1), its name referred
  to by index when the static table has the name (lowest index) or else the dynamic table
  does (newest entry), and it is added to the dynamic table;
* a field marked sensitive (a 3-tuple ``(name, value, True)``) is a never-indexed literal
  (section 6.2.3), 4-bit name index, and is not added.

The dynamic table holds entries of ``len(name) + len(value) + 32`` bytes (section 4.1),
evicting the oldest to stay within its size (section 4.4); an entry larger than the
whole table empties it. Its size starts at 4,096 bytes, SETTINGS_HEADER_TABLE_SIZE's
initial value (RFC 9113 section 6.5.2); a change is signalled at the start of the next
block (section 6.3). Huffman coding (Appendix B) follows a policy of
:data:`.primitives.HUFFMAN_POLICIES`: "always" as the ``hpack`` package, or "shorter" as
nghttp2. Names and values are bytes or ASCII/UTF-8 text; sizes are in bytes.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence

from .primitives import encode_int, encode_string

# RFC 9113 section 6.5.2: SETTINGS_HEADER_TABLE_SIZE, initial value 4,096 bytes.
DEFAULT_HEADER_TABLE_SIZE = 4096
# RFC 7541 section 4.1: an entry's size is its name and value lengths plus 32.
ENTRY_OVERHEAD_BYTES = 32

# RFC 7541 Appendix A: the static table, index 1 first.
STATIC_TABLE: tuple[tuple[bytes, bytes], ...] = tuple(
    (name.encode(), value.encode())
    for name, value in (
        (":authority", ""),
        (":method", "GET"),
        (":method", "POST"),
        (":path", "/"),
        (":path", "/index.html"),
        (":scheme", "http"),
        (":scheme", "https"),
        (":status", "200"),
        (":status", "204"),
        (":status", "206"),
        (":status", "304"),
        (":status", "400"),
        (":status", "404"),
        (":status", "500"),
        ("accept-charset", ""),
        ("accept-encoding", "gzip, deflate"),
        ("accept-language", ""),
        ("accept-ranges", ""),
        ("accept", ""),
        ("access-control-allow-origin", ""),
        ("age", ""),
        ("allow", ""),
        ("authorization", ""),
        ("cache-control", ""),
        ("content-disposition", ""),
        ("content-encoding", ""),
        ("content-language", ""),
        ("content-length", ""),
        ("content-location", ""),
        ("content-range", ""),
        ("content-type", ""),
        ("cookie", ""),
        ("date", ""),
        ("etag", ""),
        ("expect", ""),
        ("expires", ""),
        ("from", ""),
        ("host", ""),
        ("if-match", ""),
        ("if-modified-since", ""),
        ("if-none-match", ""),
        ("if-range", ""),
        ("if-unmodified-since", ""),
        ("last-modified", ""),
        ("link", ""),
        ("location", ""),
        ("max-forwards", ""),
        ("proxy-authenticate", ""),
        ("proxy-authorization", ""),
        ("range", ""),
        ("referer", ""),
        ("refresh", ""),
        ("retry-after", ""),
        ("server", ""),
        ("set-cookie", ""),
        ("strict-transport-security", ""),
        ("transfer-encoding", ""),
        ("user-agent", ""),
        ("vary", ""),
        ("via", ""),
        ("www-authenticate", ""),
    )
)

_STATIC_EXACT: dict[tuple[bytes, bytes], int] = {}
_STATIC_NAME: dict[bytes, int] = {}
for _index, _entry in enumerate(STATIC_TABLE, 1):
    _STATIC_EXACT.setdefault(_entry, _index)
    _STATIC_NAME.setdefault(_entry[0], _index)

Field = tuple[bytes | str, bytes | str] | tuple[bytes | str, bytes | str, bool]


def entry_size(name: bytes, value: bytes) -> int:
    """Bytes a field takes in the dynamic table (RFC 7541 section 4.1)."""
    return len(name) + len(value) + ENTRY_OVERHEAD_BYTES


def _bytes(text: bytes | str) -> bytes:
    return text if isinstance(text, bytes) else text.encode("utf-8")


class DynamicTable:
    """The dynamic table (RFC 7541 section 2.3.2): newest entry first, index 62 on."""

    def __init__(self, max_size: int = DEFAULT_HEADER_TABLE_SIZE) -> None:
        self.max_size = max_size
        self.size = 0
        self.entries: deque[tuple[bytes, bytes]] = deque()

    def add(self, name: bytes, value: bytes) -> None:
        """Insert a field, evicting the oldest entries to fit (section 4.4)."""
        size = entry_size(name, value)
        if size > self.max_size:
            self.entries.clear()
            self.size = 0
            return
        self.entries.appendleft((name, value))
        self.size += size
        self._evict()

    def resize(self, max_size: int) -> None:
        """A new maximum size, evicting as needed (section 4.3)."""
        self.max_size = max_size
        self._evict()

    def _evict(self) -> None:
        while self.size > self.max_size:
            self.size -= entry_size(*self.entries.pop())

    def find(self, name: bytes, value: bytes) -> tuple[int | None, int | None]:
        """(index of an equal entry, index of the newest entry with this name), or None."""
        first_name = None
        for offset, (n, v) in enumerate(self.entries):
            if n == name:
                if v == value:
                    return offset + len(STATIC_TABLE) + 1, first_name
                if first_name is None:
                    first_name = offset + len(STATIC_TABLE) + 1
        return None, first_name


class Encoder:
    """An HPACK encoder: header lists in, header block bytes out, table state kept."""

    def __init__(
        self, header_table_size: int = DEFAULT_HEADER_TABLE_SIZE, huffman: str = "shorter"
    ) -> None:
        self.table = DynamicTable(header_table_size)
        self.huffman = huffman
        self._size_updates: list[int] = []

    def set_header_table_size(self, size: int) -> None:
        """Apply a peer's SETTINGS_HEADER_TABLE_SIZE; signalled in the next block."""
        if size != self.table.max_size:
            self.table.resize(size)
            self._size_updates.append(size)

    def encode(self, headers: Iterable[Field]) -> bytes:
        """The header block for ``headers`` (name, value[, sensitive]), updating the table."""
        block = bytearray()
        for size in self._size_updates:  # dynamic table size update (section 6.3)
            block += encode_int(size, 5, 0x20)
        self._size_updates = []
        for field in headers:
            sensitive = len(field) > 2 and bool(field[2])
            block += self._field(_bytes(field[0]), _bytes(field[1]), sensitive)
        return bytes(block)

    def encoded_size(self, headers: Iterable[Field]) -> int:
        """Bytes of the header block for ``headers``; the table is updated as by encode."""
        return len(self.encode(headers))

    def _field(self, name: bytes, value: bytes, sensitive: bool) -> bytes:
        index = _STATIC_EXACT.get((name, value))
        dynamic_name = None
        if index is None:
            index, dynamic_name = self.table.find(name, value)
        if index is not None:
            return encode_int(index, 7, 0x80)  # indexed field (section 6.1)
        name_index = _STATIC_NAME.get(name, dynamic_name)
        if sensitive:  # never indexed (section 6.2.3)
            prefix, flags = 4, 0x10
        else:  # incremental indexing (section 6.2.1)
            prefix, flags = 6, 0x40
            self.table.add(name, value)
        if name_index is None:
            head = bytes([flags]) + encode_string(name, self.huffman)
        else:
            head = encode_int(name_index, prefix, flags)
        return head + encode_string(value, self.huffman)


def block_sizes(
    header_lists: Sequence[Iterable[Field]],
    header_table_size: int = DEFAULT_HEADER_TABLE_SIZE,
    huffman: str = "shorter",
) -> list[int]:
    """Bytes of each header block when the lists are sent in order on one connection."""
    encoder = Encoder(header_table_size, huffman)
    return [encoder.encoded_size(headers) for headers in header_lists]
