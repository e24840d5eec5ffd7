"""The implementations at each end of an HTTP/2 or HTTP/3 connection, for what the
protocols leave to them (``[transport] http_stack``).

* ``browser``: Chrome against a server such as nginx. HTTP/2: Chrome's SETTINGS and
  connection window, no WINDOW_UPDATE per stream, END_STREAM on a body's last DATA
  frame. QUIC: an endpoint acknowledges at once after two ack-eliciting packets (RFC 9000
  section 13.2.2) and puts its ACK frames in the packets it sends anyway.
* ``python``: the testbed's stack (simulation/testbed): httpx or aioquic clients against
  hypercorn. HTTP/2: h2's six initial SETTINGS at both ends, a WINDOW_UPDATE opening
  each request stream (httpcore), an empty DATA frame with END_STREAM after each body
  (hypercorn). hypercorn writes a response's HEADERS, its body and its end (an empty
  DATA frame, with END_STREAM or FIN) as separate sends: three TLS records on HTTP/2
  (OpenSSL makes a record per write), three packets on HTTP/3 (aioquic sends each).
  aioquic acknowledges on its ack timer only (``ack_at``; it has no two-packet rule) and
  puts an ACK frame only in packets sent once that timer is due. Its QPACK encoder is
  ls-qpack's (pylsqpack), which inserts a field in the dynamic table only the second time
  it sees it (:class:`~simulation.protocols.wire.qpack.Encoder` with ``history``): a
  connection's first request and response go out as literals.

Each choice was read off the testbed's wire (docs/validation-http2-http3.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..protocols.wire import http2

__all__ = ["STACKS", "HttpStack"]


@dataclass(frozen=True)
class HttpStack:
    """One pair of client and server implementations (see the module docstring)."""

    http2: http2.Stack
    separate_writes: bool  # a response's HEADERS, body and end as three writes: TLS records
    # on HTTP/2, QUIC packets on HTTP/3
    empty_end: bool  # HTTP/3: an empty DATA frame (2 bytes) ends each ending response
    ack_threshold: int  # QUIC: acknowledge at once after this many ack-eliciting packets
    piggyback_acks: bool  # QUIC: ACK frames ride in packets sent before the ack delay ends
    qpack_history: bool = False  # QPACK: insert a field only once seen before (ls-qpack)


STACKS = {
    "browser": HttpStack(http2.BROWSER_STACK, False, False, 2, True),
    "python": HttpStack(http2.HTTPX_HYPERCORN_STACK, True, True, 1 << 30, False, True),
}
