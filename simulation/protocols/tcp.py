"""TCP/IP sizes: the headers every segment carries, and the connection handshake.

Only what is sent on the connection is counted; acknowledgements without data are not
modelled (they travel the other way and are small, but a bulk flow sends one per two
segments: see docs/model.md, "What the model leaves out").
"""

import math

# IPv4 header without options: 20 bytes (RFC 791 section 3.1); TCP header without options:
# 20 bytes (RFC 9293 section 3.1). Timestamps (RFC 7323) would add 12 more.
IPV4_TCP_HEADER_BYTES = 40

# Maximum segment size on an Ethernet path: 1500-byte MTU minus the 40 header bytes.
ETHERNET_MSS_BYTES = 1460

# SYN and SYN-ACK carry options (MSS 4, window scale 3, SACK-permitted 2, timestamps 10,
# padding): 20 more bytes than a bare header, as in a typical Linux SYN (60 bytes).
SYN_BYTES = IPV4_TCP_HEADER_BYTES + 20


def segments(size_bytes: int, mss_bytes: int) -> int:
    """Segments needed to carry ``size_bytes`` of TCP payload (at least one)."""
    return max(1, math.ceil(size_bytes / mss_bytes))


def packet_overhead_bytes(size_bytes: int, mss_bytes: int, header_bytes: int) -> int:
    """IP and TCP header bytes added to ``size_bytes`` of payload."""
    return segments(size_bytes, mss_bytes) * header_bytes


# Message kinds this protocol puts on the wire, and their category (protocols.kinds)
KINDS = {"tcp-syn": "handshake", "tcp-syn-ack": "handshake"}
