"""permessage-deflate (RFC 7692) for WebSocket and Socket.IO data frames.

With ``permessage_deflate = true`` every data frame's payload is compressed before it is
framed (control frames, pings and closes, are not: RFC 7692 section 6.1). The compressed
size comes either from a ratio (``deflate_ratio``: compressed / original, the same for
every message) or, with ``deflate_ratio = 0``, from compressing real text with zlib: the
payloads of ``deflate_corpus`` (a text file, one message per line, used in turn and
repeated or cut to each message's size) or, by default, a built-in corpus of JSON update
messages. With context takeover (RFC 7692 section 7.1.1, the default) each connection
and direction keeps one DEFLATE stream, so later messages refer to earlier ones; without
it every message is compressed on its own.

A compressor with context takeover keeps zlib's state, about 256 KiB, per connection and
direction, as a real server does: the reason servers leave the extension off by default
(the ``ws`` package's ``perMessageDeflate`` documentation). Sizes are bytes; a frame's
``payload_bytes`` are the compressed bytes it carries.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field

from ..errors import ScenarioError
from ..protocols.wire.deflate import Compressor, ratio_bytes
from ..schema import param

__all__ = ["DeflateKeys", "MessageDeflate", "json_update_text"]

_TOPICS = ("prices", "orders", "chat", "presence", "scores")
_WORDS = ("alpha", "bravo", "delta", "echo", "lima", "oscar", "sierra", "tango", "zulu")


@dataclass(frozen=True)
class DeflateKeys:
    """The keys WebSocket and Socket.IO share for permessage-deflate."""

    permessage_deflate: bool = param(
        False,
        "compress every data frame with permessage-deflate (RFC 7692)",
        source="off in the ws package (perMessageDeflate: false) and in Socket.IO since "
        "3.0; browsers offer it, servers decide",
    )
    deflate_ratio: float = param(
        0.0,
        "compressed / original size of every message; 0: compress real text with zlib "
        "(deflate_corpus, or built-in JSON updates)",
        ge=0,
        le=1.5,
        source="real compression of JSON updates unless a ratio is given",
    )
    deflate_corpus: str = param(
        "",
        "a text file of payloads, one per line, to compress (relative to the scenario "
        "file); empty: built-in JSON update messages",
        source="built-in JSON updates",
    )
    deflate_context_takeover: bool = param(
        True,
        "keep one DEFLATE stream per connection and direction (false: each message alone)",
        source="RFC 7692 section 7.1.1: context takeover unless negotiated off",
    )
    # the lines of deflate_corpus, read when the scenario is loaded
    corpus: tuple[bytes, ...] = field(default=(), compare=False, repr=False)

    def check_deflate(self, where: str) -> None:
        """The deflate_* keys need the extension on, and a ratio excludes a corpus."""
        changed = [
            name
            for name, default in (("deflate_ratio", 0.0), ("deflate_corpus", ""))
            if getattr(self, name) != default
        ]
        if not self.deflate_context_takeover:
            changed.append("deflate_context_takeover")
        if changed and not self.permessage_deflate:
            raise ScenarioError(
                f"{where}: {', '.join(changed)} only apply with permessage_deflate = true"
            )
        if self.deflate_ratio > 0 and self.deflate_corpus:
            raise ScenarioError(
                f"{where}: give deflate_ratio (a fixed ratio) or deflate_corpus (text to "
                "compress), not both"
            )


def json_update_text(index: int, size: int) -> bytes:
    """Message ``index`` of the built-in corpus: a JSON update of ``size`` bytes.

    A fixed shape (type, id, topic, timestamp, then a list of entries with a name and a
    price) with values from a hash of the index and the entry number, so numbers vary as
    real data does while names and keys repeat. Deterministic: the same in every run.
    """
    head = {
        "type": "update",
        "id": index,
        "topic": _TOPICS[index % len(_TOPICS)],
        "ts": 1_715_680_800_000 + 997 * index,
        "items": [],
    }
    text = json.dumps(head, separators=(",", ":"))[:-2]  # open the items list
    entry = 0
    while len(text) < size:
        digest = hashlib.sha256(f"{index}:{entry}".encode()).digest()
        word = _WORDS[digest[0] % len(_WORDS)]
        price = int.from_bytes(digest[1:4], "big") / 100
        text += ("," if entry else "") + f'{{"name":"{word}","price":{price:.2f}}}'
        entry += 1
    return (text + "]}").encode()[:size]


class MessageDeflate:
    """Compressed payload sizes for one strategy's frames, per connection and direction."""

    def __init__(self, keys: DeflateKeys):
        self.keys = keys
        self._compressors: dict[tuple[int, str], Compressor] = {}
        self._corpus = keys.corpus
        self._index = 0

    @property
    def on(self) -> bool:
        return self.keys.permessage_deflate

    def size(self, connection_id: int, direction: str, payload_bytes: int) -> int:
        """Bytes of a data frame's payload of ``payload_bytes`` once compressed."""
        if not self.on or payload_bytes <= 0:
            return payload_bytes
        if self.keys.deflate_ratio > 0:
            return ratio_bytes(payload_bytes, self.keys.deflate_ratio)
        key = (connection_id, direction)
        compressor = self._compressors.get(key)
        if compressor is None:
            compressor = Compressor(self.keys.deflate_context_takeover)
            self._compressors[key] = compressor
        self._index += 1
        return compressor.compressed_size(self._text(self._index, payload_bytes))

    def forget(self, connection_id: int) -> None:
        """A connection closed: its DEFLATE streams go with it."""
        for direction in ("up", "down"):
            self._compressors.pop((connection_id, direction), None)

    def _text(self, index: int, size: int) -> bytes:
        if not self._corpus:
            return json_update_text(index, size)
        line = self._corpus[index % len(self._corpus)]
        return (line * math.ceil(size / len(line)))[:size]
