"""Server-Sent Events wire format (WHATWG HTML, "Server-sent events", event stream format).

An event is a block of ``field: value`` lines ended by a blank line; the bytes are counted
from the text itself. ``data`` may span several lines, each with its own ``data:`` field.
"""

from __future__ import annotations


def event_text(data: str, event_id: str | None = None, event: str | None = None) -> str:
    """The text of one event: optional ``id:`` and ``event:`` lines, ``data:`` lines, blank."""
    lines = []
    if event_id is not None:
        lines.append(f"id: {event_id}")
    if event is not None:
        lines.append(f"event: {event}")
    lines.extend(f"data: {line}" for line in data.split("\n"))
    return "\n".join(lines) + "\n\n"


def event_overhead_bytes(event_id: str | None = None, event: str | None = None) -> int:
    """Bytes an event adds around a single-line payload (whatever its length)."""
    return len(event_text("", event_id, event).encode("utf-8"))


def retry_field_bytes(retry_ms: int) -> int:
    """Bytes of a ``retry:`` line (sent once, to set the client's reconnection time)."""
    return len(f"retry: {retry_ms}\n".encode())


# Message kinds this protocol puts on the wire, and their category (protocols.kinds)
KINDS = {
    "sse-request": "data",
    "sse-request-other-tab": "data",
    "sse-response": "data",
    "sse-event": "data",
    "sse-end": "data",
    "sse-comment": "heartbeat",
}
